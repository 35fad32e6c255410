"""How the event side reports what happens: one line each, on stderr (stdout carries events and
notifications). Every component takes a `Log` so tests can collect the lines instead."""

from __future__ import annotations

import sys
from collections.abc import Callable

Log = Callable[[str], None]


def log_to_stderr(line: str) -> None:
    """Write one line on stderr, at once."""
    print(line, file=sys.stderr, flush=True)
