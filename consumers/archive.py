"""The archive consumer's handler: every event appended to a file as one JSON line.

The file is also the record of what was archived (consumers.dedupe reads its ids back), so an
event is written once even when a killed archiver gets it again: the line and the record are the
same single append.
"""

from __future__ import annotations

import os
from pathlib import Path

from consumers.dedupe import HandledIds, RecordUnavailable, append_line, archived_id
from consumers.events import CloudEvent

FILE_MODE = 0o644
"""An archive is for others to read (replays, audits); the folder's permissions guard it."""


class Archive:
    """An append-only JSON-lines file of events; `handled` knows which ids it already holds.

    path: the file (made if missing, with its folder).
    """

    def __init__(self, path: Path):
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
        except OSError as error:
            raise RecordUnavailable(f"{path}: cannot append to it ({error.strerror or error})") from None
        self.handled = HandledIds(path, id_of_line=archived_id, record=False)

    def append(self, event: CloudEvent) -> None:
        """Write the event as one line, in one write (whole or not at all for a reader)."""
        append_line(self._fd, (event.model_dump_json() + "\n").encode(), self.path)

    def close(self) -> None:
        """Release the file."""
        os.close(self._fd)
        self.handled.close()
