"""Where events go: stdout (one JSON document a line), the --events-out file, and the broker."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Protocol, TextIO


class Publisher(Protocol):
    def publish(self, event: dict) -> None: ...
    def close(self) -> None: ...


class EventOutputs:
    """Sends each event everywhere it should go, as soon as it exists (nothing is held back)."""

    def __init__(self, events_out: Path | None, publisher: Publisher | None, stdout: TextIO = sys.stdout):
        self._file = events_out.open("w", encoding="utf-8") if events_out else None
        self._publisher = publisher
        self._stdout = stdout
        self.events: list[dict] = []

    def emit(self, event: dict) -> None:
        line = json.dumps(event, separators=(",", ":"), sort_keys=False)
        if self._file:
            self._file.write(line + "\n")
            self._file.flush()
        self._stdout.write(line + "\n")
        self._stdout.flush()
        if self._publisher:
            self._publisher.publish(event)
        self.events.append(event)

    def close(self) -> None:
        if self._file:
            self._file.close()
        if self._publisher:
            self._publisher.close()
