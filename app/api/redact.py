"""No absolute paths in answers: where the service's files live is nobody's business but the operator's."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

# An absolute path (two or more components) inside a message; the last component is kept.
_ABSOLUTE = re.compile(r"(?<![\w.:/])/(?:[^\s/:'\"]+/)+(?=[^\s/:'\"])")


def public(value: Any, artifacts: Path) -> Any:
    """``value`` (JSON-like) with every path under ``artifacts`` shown relative to it, and any other
    absolute path cut to its last component."""
    if isinstance(value, dict):
        return {public(key, artifacts): public(item, artifacts) for key, item in value.items()}
    if isinstance(value, list):
        return [public(item, artifacts) for item in value]
    if not isinstance(value, str):
        return value
    for root in {str(artifacts.resolve()), str(artifacts)}:
        if root.startswith("/"):
            value = value.replace(root + "/", "").replace(root, artifacts.name)
    return _ABSOLUTE.sub("", value)
