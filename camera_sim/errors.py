"""The project's own errors: each one becomes one line on stderr and an exit status."""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """A scenario, clip or calibration that is missing, malformed or invalid (exit 2).

    Args:
        source: the file at fault.
        where: the field path (``timeline[3].speed_mps``) or ``line N``; may be empty.
        reason: what is wrong, in words a user can act on.
    """

    exit_status = 2

    def __init__(self, source: str | Path, where: str, reason: str):
        self.source = str(source)
        self.where = where
        self.reason = reason
        super().__init__(self.one_line())

    def one_line(self) -> str:
        parts = [self.source] + ([self.where] if self.where else []) + [self.reason]
        return _printable(": ".join(parts))


def _printable(text: str) -> str:
    """`text` with each character that is not printable escaped as in a Python string literal (a
    newline as \\n): a key or a tag quoted from the file may hold line breaks, and the error is one line."""
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)
