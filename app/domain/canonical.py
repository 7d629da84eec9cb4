"""The judge's field path: a canonical view (occupation, family, skills) read from schema fields alone.

The generator knows the view as latent truth (training/data/marketplace.py); users' own data has
no latent truth, so the judge must understand the text itself: skill spellings
resolve through the lexicon (synonyms, abbreviations, typos), skills named in free text are spotted,
and titles/headlines resolve to an occupation through the ESCO title variants. Its agreement with
the latent-truth path is measured on generated data (see `judge` stage, dataset.json).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from app.domain.featurize import member_skill_ids
from app.domain.occupations import Taxonomy
from app.domain.schemas import Job, Member
from app.domain.skills import SkillLexicon
from app.domain.titles import TitleIndex, norm_title

# Level and filler words employers and members put around a title.
_TITLE_FILLERS = (
    "working student",
    "summer intern",
    "entry level",
    "global head of",
    "head of",
    "director",
    "intern",
    "trainee",
    "junior",
    "jr",
    "graduate",
    "associate",
    "senior",
    "sr",
    "lead",
    "experienced",
    "principal",
    "chief",
    "vp",
    "executive",
    "assistant",
    "aspiring",
    "freelance",
    "certified",
)
_HEADLINE_SPLIT = re.compile(r"\s+(?:at|@)\s+|\s*[|·,]\s*|\s+-\s+|\s+–\s+", re.IGNORECASE)
_NICE_TO_HAVE = re.compile(r"nice to have|bonus|desirable|a plus|preferred|advantage", re.IGNORECASE)
_SENTENCES = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class CanonicalView:
    """What the judge understands of one side: occupation id, family and canonical skill ids.

    ``occupation``/``family`` are None when they could not be recognised. For a job, ``skills``
    are its *required* skills and ``preferred`` the nice-to-haves.
    """

    occupation: str | None
    family: str | None
    skills: frozenset[str]
    preferred: frozenset[str] = field(default_factory=frozenset)


class FieldCanonicalizer:
    """Builds the judge's CanonicalView from schema fields, without latent truth."""

    def __init__(self, taxonomy: Taxonomy, lexicon: SkillLexicon):
        self.taxonomy = taxonomy
        self.lexicon = lexicon
        self.titles = TitleIndex((variant, o.id) for o in taxonomy.occupations.values() for variant in o.all_titles)
        self._preferred = {norm_title(o.label): o.id for o in taxonomy.occupations.values()}
        self._skill_family = {sid: s.family for sid, s in lexicon.skills.items() if s.family != "generic"}

    # ---- occupations -------------------------------------------------------------------------

    def _pick(self, candidates: set[str], skills: frozenset[str], key: str) -> str:
        if len(candidates) == 1:
            return next(iter(candidates))
        if self._preferred.get(key) in candidates:
            return self._preferred[key]
        # Ambiguous variant ("bookkeeper" is also an accountant's alt label): best skill overlap.
        return max(sorted(candidates), key=lambda o: len(skills & set(self.taxonomy.occupations[o].core_skills)))

    def occupation_from_title(self, title: str, skills: frozenset[str] = frozenset()) -> str | None:
        """Occupation id for a job title or headline, or None when nothing matches well enough."""
        key = norm_title(title)
        while key:
            if key in self.titles:
                return self._pick(self.titles.occupations[key], skills, key)
            filler = next((f for f in _TITLE_FILLERS if key.startswith(f + " ")), None)
            if filler is None:
                break
            key = key[len(filler) + 1 :]
        best = self.titles.closest(key)
        return None if best is None else self._pick(self.titles.occupations[best], skills, best)

    def occupation_in_text(self, text: str, skills: frozenset[str] = frozenset()) -> str | None:
        """Occupation of the longest title variant written anywhere in free text, or None."""
        key = self.titles.in_text(text)
        return None if key is None else self._pick(self.titles.occupations[key], skills, key)

    def _family(self, occupation: str | None, skills: frozenset[str]) -> str | None:
        if occupation is not None:
            return self.taxonomy.occupations[occupation].family
        # No recognisable title: the family most of the skills belong to (if clear enough).
        counts = Counter(self._skill_family[s] for s in skills if s in self._skill_family)
        if not counts:
            return None
        # Ties go to the family named first: the skills are a set, so their order (and
        # Counter.most_common's on ties) would follow the process's string hash seed.
        family, count = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return family if count >= 2 else None

    # ---- views -------------------------------------------------------------------------------

    def member_view(self, member: Member) -> CanonicalView:
        """Canonical view of a member from headline, summary and skills list."""
        skills = member_skill_ids(member, self.lexicon)
        headline = _HEADLINE_SPLIT.split(member.headline)[0] if member.headline else ""
        occupation = self.occupation_from_title(headline, skills) if headline else None
        if occupation is None:
            occupation = self.occupation_in_text(member.summary, skills)
        return CanonicalView(occupation, self._family(occupation, skills), skills)

    def job_view(self, job: Job) -> CanonicalView:
        """Canonical view of a job: title -> occupation; requirements from the list and the description."""
        preferred = set(self.lexicon.resolve_all(job.preferred_skills))
        required = set(self.lexicon.resolve_all(job.required_skills))
        for sentence in _SENTENCES.split(job.description):
            found = self.lexicon.extract(sentence)
            (preferred if _NICE_TO_HAVE.search(sentence) else required).update(found)
        required -= preferred - self.lexicon.resolve_all(job.required_skills)
        skills = frozenset(required)
        occupation = self.occupation_from_title(job.title, skills)
        return CanonicalView(occupation, self._family(occupation, skills), skills, frozenset(preferred - required))
