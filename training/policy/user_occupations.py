"""Users' own occupations and title mappings for the judge (``--occupations FILE``).

A JSON file extends the bundled ESCO taxonomy::

    {
      "titles": {"Staff Nurse": "nurse responsible for general care", "RMN": "<an occupation id>"},
      "occupations": [
        {"id": "clinical-coder", "label": "clinical coder", "family": "<a family id>",
         "titles": ["Clinical Coding Officer"], "core_skills": []}
      ]
    }

``titles`` maps a title as written to an occupation (by id or label, the bundled ones or the file's
own); ``occupations`` adds occupations to existing families. Every problem is reported at once.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from app.domain.occupations import Occupation, Taxonomy
from training.data.jsonl import DataFileError


def _new_occupation(
    path: Path, index: int, entry: object, taxonomy: Taxonomy, problems: list[str]
) -> Occupation | None:
    where = f"{path}: occupations[{index}]"
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str) or not entry.get("label"):
        problems.append(f"{where}: needs an 'id' and a 'label'")
        return None
    if entry.get("family") not in taxonomy.families:
        problems.append(
            f"{where}: family: {entry.get('family')!r} is not one of {', '.join(sorted(taxonomy.families))}"
        )
        return None
    titles = tuple(str(t) for t in entry.get("titles", []))
    skills = tuple(str(s) for s in entry.get("core_skills", []))
    return Occupation(entry["id"], str(entry["label"]), entry["family"], "", titles, "", skills, 0.0)


def extend_taxonomy(taxonomy: Taxonomy, path: str | Path) -> Taxonomy:
    """``taxonomy`` with the file's occupations added and its title mappings attached."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DataFileError(f"{path}: cannot read occupations file ({exc})") from None
    if not isinstance(doc, dict) or set(doc) - {"titles", "occupations"}:
        raise DataFileError(f"{path}: expected an object with 'titles' and/or 'occupations'")
    problems: list[str] = []
    occupations = dict(taxonomy.occupations)
    for index, entry in enumerate(doc.get("occupations", [])):
        occupation = _new_occupation(path, index, entry, taxonomy, problems)
        if occupation is not None:
            occupations[occupation.id] = occupation
    by_label = {o.label.casefold(): o.id for o in occupations.values()}
    added: dict[str, list[str]] = {}
    for title, target in dict(doc.get("titles", {})).items():
        occupation_id = target if target in occupations else by_label.get(str(target).casefold())
        if occupation_id is None:
            problems.append(f"{path}: titles[{title!r}]: {target!r} is neither an occupation id nor a label")
            continue
        added.setdefault(occupation_id, []).append(title)
    if problems:
        raise DataFileError("\n".join(problems))
    for occupation_id, titles in added.items():
        occupation = occupations[occupation_id]
        occupations[occupation_id] = dataclasses.replace(occupation, titles=occupation.titles + tuple(titles))
    return dataclasses.replace(taxonomy, occupations=occupations)
