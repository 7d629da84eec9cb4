"""The offline pipeline's user-facing error: bad input, named in one line.

``python -m training`` prints these as ``error: <message>`` with exit code 2. Anything else that
escapes a stage is a bug and keeps its traceback.
"""

from __future__ import annotations


class TrainingError(Exception):
    """A problem with the user's input (a file, a setting, a policy); the message says where and what."""
