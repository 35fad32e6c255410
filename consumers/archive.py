"""The archive consumer's handler: every event appended to a file as one JSON line.

The file is also the record of what was archived (consumers.dedupe reads its ids back), so an
event is written once even when a killed archiver gets it again: the line and the record are the
same single append.
"""

from __future__ import annotations

import os
from pathlib import Path

from consumers.dedupe import HandledIds, archived_id
from consumers.events import CloudEvent

FILE_MODE = 0o644


class Archive:
    """An append-only JSON-lines file of events; `handled` knows which ids it already holds.

    path: the file (made if missing; its folder must exist).
    """

    def __init__(self, path: Path):
        self.path = path
        self.handled = HandledIds(path, id_of_line=archived_id, record=False)
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)

    def append(self, event: CloudEvent) -> None:
        """Write the event as one line, in one write (whole or not at all for a reader)."""
        os.write(self._fd, (event.model_dump_json() + "\n").encode())

    def close(self) -> None:
        """Release the file."""
        os.close(self._fd)
        self.handled.close()
