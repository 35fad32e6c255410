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
"""Read the record in 1 MiB pieces: a few reads for a season's events, bounded memory per read."""
FILE_MODE = 0o600
"""Only the consumer's user reads what it handled."""


class RecordUnavailable(Exception):
    """The record of handled events cannot be read or written: handling on would notify twice
    after the next restart, so the consumer stops (exit 2, one line naming the file)."""

    exit_status = 2


def append_line(fd: int, line: bytes, path: Path) -> None:
    """Append `line` whole: a short write (a full disk) is undone, then RecordUnavailable."""
    start = os.lseek(fd, 0, os.SEEK_END)
    written = 0
    try:
        while written < len(line):
            written += os.write(fd, line[written:])
    except OSError as error:
        if written:
            os.ftruncate(fd, start)  # never leave half a line for the next append to join onto
        raise RecordUnavailable(f"{path}: cannot append ({error.strerror or error})") from None


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
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, FILE_MODE)
        except OSError as error:
            raise RecordUnavailable(f"{path}: cannot open ({error.strerror or error})") from None
        self._ids: set[str] = set()
        self._offset = 0
        self._catch_up()
        self._end_last_line()

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
            append_line(self._fd, f"{event_id}\n".encode(), self.path)
        self._ids.add(event_id)

    def close(self) -> None:
        """Release the file."""
        os.close(self._fd)

    def _catch_up(self) -> None:
        """Read whole lines appended since the last look (a half-written last line waits)."""
        try:
            while chunk := os.pread(self._fd, READ_CHUNK_BYTES, self._offset):
                complete = chunk.rfind(b"\n") + 1
                if complete == 0 and len(chunk) < READ_CHUNK_BYTES:
                    return  # only part of a line so far
                self._read_lines(chunk[:complete] if complete else b"")
                self._offset += complete or len(chunk)  # a line longer than a chunk is no id: skipped
        except OSError as error:
            raise RecordUnavailable(f"{self.path}: cannot read ({error.strerror or error})") from None

    def _read_lines(self, data: bytes) -> None:
        for line in data.decode("utf-8", "replace").splitlines():
            if (event_id := self._id_of_line(line)) is not None:
                self._ids.add(event_id)

    def _end_last_line(self) -> None:
        """A killed writer may have left a line without its end: end it, so the next id is not
        glued to it (the fragment itself is then ignored as an unknown id)."""
        size = os.fstat(self._fd).st_size
        if size and os.pread(self._fd, 1, size - 1) != b"\n":
            append_line(self._fd, b"\n", self.path)
            self._offset = size + 1


def seen_ids_for(queue: str, folder: Path | None = None) -> HandledIds:
    """The record of a consumer queue's handled events in the state folder."""
    return HandledIds(state_dir(folder) / SEEN_FOLDER / f"{queue}.ids")
