"""What a consumer has already handled, kept on disk so a redelivered or re-published event (same
id) is never notified twice, across restarts too.

The record is a file with one line per handled event, appended with a single write; every
instance of a consumer (competing on one queue) appends to the same file and reads what the
others appended before deciding that an id is new.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from broker.state import state_dir

SEEN_FOLDER = "seen"
READ_CHUNK_BYTES = 1 << 20
FILE_MODE = 0o600
"""Only the consumer's user reads what it handled."""


def plain_id(line: str) -> str | None:
    """The id on a line of a seen-ids file."""
    return line.strip() or None


def archived_id(line: str) -> str | None:
    """The id of an event archived as a JSON line (None for a line that is not one)."""
    try:
        document = json.loads(line)
    except ValueError:
        return None
    return document.get("id") if isinstance(document, dict) and isinstance(document.get("id"), str) else None


class HandledIds:
    """Ids read from an append-only file; `add` appends one (or only remembers it, when the
    handler's own line in the file is the record).

    path: the file (made if missing); id_of_line: how to read an id off a line;
    record: whether `add` writes the id (True) or the handler writes the line itself (False).
    """

    def __init__(self, path: Path, id_of_line: Callable[[str], str | None] = plain_id, record: bool = True):
        self.path, self._id_of_line, self._record = path, id_of_line, record
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, FILE_MODE)
        self._ids: set[str] = set()
        self._offset = 0
        self._catch_up()

    def __contains__(self, event_id: str) -> bool:
        if event_id in self._ids:
            return True
        self._catch_up()  # another instance may have handled it since
        return event_id in self._ids

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, event_id: str) -> None:
        """Mark an event handled (one append of one line when recording)."""
        if self._record:
            os.write(self._fd, f"{event_id}\n".encode())
        self._ids.add(event_id)

    def close(self) -> None:
        """Release the file."""
        os.close(self._fd)

    def _catch_up(self) -> None:
        """Read whole lines appended since the last look (a half-written last line waits)."""
        while chunk := os.pread(self._fd, READ_CHUNK_BYTES, self._offset):
            complete = chunk.rfind(b"\n") + 1
            if complete == 0:
                if len(chunk) < READ_CHUNK_BYTES:
                    return
                complete = len(chunk)  # a line longer than a chunk is not an id: skip it
            for line in chunk[:complete].decode("utf-8", "replace").splitlines():
                if (event_id := self._id_of_line(line)) is not None:
                    self._ids.add(event_id)
            self._offset += complete


def seen_ids_for(queue: str, folder: Path | None = None) -> HandledIds:
    """The record of a consumer queue's handled events in the state folder."""
    return HandledIds(state_dir(folder) / SEEN_FOLDER / f"{queue}.ids")
