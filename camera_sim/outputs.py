"""Where events go: stdout (one JSON document a line), the --events-out file, and the broker."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Protocol, TextIO

from camera_sim.errors import InputError


class Publisher(Protocol):
    def publish(self, event: dict, body: bytes) -> None:
        """Send one event whose serialised form is `body`."""

    def close(self) -> None:
        """Release the connection."""


def open_events_file(path: Path) -> TextIO:
    """Open --events-out for writing (a fresh file each run); InputError if it cannot be."""
    try:
        return path.open("w", encoding="utf-8")
    except OSError as error:
        raise InputError(path, "", f"cannot write the events file ({error.strerror or error.__class__.__name__})") from None


class EventOutputs:
    """Sends each event everywhere it should go, as soon as it exists (nothing is held back)."""

    def __init__(self, events_file: TextIO | None, publisher: Publisher | None, stdout: TextIO = sys.stdout):
        self._file = events_file
        self._publisher = publisher
        self._stdout = stdout
        self.events: list[dict] = []

    def emit(self, event: dict) -> None:
        """Write the event to the file and stdout, then publish the very same bytes."""
        line = json.dumps(event, separators=(",", ":"))
        if self._file:
            self._file.write(line + "\n")
            self._file.flush()
        self._stdout.write(line + "\n")
        self._stdout.flush()
        if self._publisher:
            self._publisher.publish(event, line.encode("utf-8"))
        self.events.append(event)

    def close(self) -> None:
        """Close the file and the broker connection."""
        if self._file:
            self._file.close()
        if self._publisher:
            self._publisher.close()
