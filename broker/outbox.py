"""The camera side's durable outbox: every event is written here before it is published and
removed only when the broker has confirmed it, so a broker outage, a lost connection or a
killed camera process loses nothing.

One SQLite file (write-ahead log) per state folder, shared by every camera process on the host.
Each row belongs to the process that wrote it; a process that starts adopts the rows of
processes that are no longer running and publishes them again, with the same ids.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

OUTBOX_FILE = "outbox.sqlite3"
DEFAULT_CAPACITY = 100_000
"""Events kept at most (about 60 MB at ~600 bytes each): a day of outage for hundreds of matches."""
WARN_FRACTION = 0.8
"""A warning when the outbox is this full, before it refuses events."""
BUSY_TIMEOUT_S = 10.0
"""Several camera processes share the file; a writer waits this long for another's transaction."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY,  -- the rowid: grows with each insert, so it orders the events
    event_id TEXT NOT NULL UNIQUE,
    routing_key TEXT NOT NULL,
    body BLOB NOT NULL,
    owner TEXT NOT NULL
)"""


@dataclass(frozen=True)
class Pending:
    """One event waiting for the broker's confirm."""

    event_id: str
    routing_key: str
    body: bytes


def process_identity(pid: int) -> str | None:
    """'pid:start-time' of a running process, None if it is not running.

    The start time (clock ticks since boot, /proc/PID/stat field 22) tells a reused pid from the
    process that wrote the rows. Without /proc, the pid alone is used.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    except OSError:
        return _identity_without_proc(pid)
    fields_after_name = stat.rsplit(")", 1)[1].split()
    return f"{pid}:{fields_after_name[19]}"  # field 22 overall; the name (field 2) may hold spaces


def _identity_without_proc(pid: int) -> str | None:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return f"{pid}:"


class OutboxFull(Exception):
    """The outbox holds its capacity of events: a new event cannot be kept for the broker."""


class Outbox:
    """Events not yet confirmed by the broker, on disk. Thread-safe.

    path: the SQLite file; capacity: events kept at most (default 100,000).
    """

    def __init__(self, path: Path, capacity: int = DEFAULT_CAPACITY):
        self.path, self.capacity = path, capacity
        self._owner = process_identity(os.getpid()) or f"{os.getpid()}:"
        self._lock = threading.Lock()
        # synchronous=NORMAL in WAL mode: a committed row survives the process being killed
        # (it is in the operating system's hands); only a power cut may lose the last commits.
        self._db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(_SCHEMA)
        self._depth = self._count()

    @property
    def depth(self) -> int:
        """Events in the outbox (every process's)."""
        return self._depth

    def add(self, event_id: str, routing_key: str, body: bytes) -> bool:
        """Keep an event until it is confirmed; False if it was already kept (same id).

        OutboxFull when the outbox holds `capacity` events.
        """
        with self._lock:
            if self._depth >= self.capacity:
                self._depth = self._count()  # other processes may have emptied it meanwhile
                if self._depth >= self.capacity:
                    raise OutboxFull(f"outbox {self.path} is full ({self.capacity} events)")
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO outbox (event_id, routing_key, body, owner) VALUES (?, ?, ?, ?)",
                (event_id, routing_key, body, self._owner))
            self._depth += cursor.rowcount
            return cursor.rowcount == 1

    def remove(self, event_ids: list[str]) -> None:
        """Forget confirmed events (one transaction)."""
        if not event_ids:
            return
        with self._lock:
            self._db.execute("BEGIN")
            removed = 0
            for event_id in event_ids:
                removed += self._db.execute("DELETE FROM outbox WHERE event_id = ?", (event_id,)).rowcount
            self._db.execute("COMMIT")
            self._depth = max(0, self._depth - removed)

    def adopt_orphans(self) -> int:
        """Make the rows of processes that no longer run this process's own; how many."""
        with self._lock:
            owners = [row[0] for row in self._db.execute("SELECT DISTINCT owner FROM outbox WHERE owner != ?",
                                                         (self._owner,))]
            adopted = 0
            for owner in owners:
                pid = int(owner.split(":", 1)[0])
                if process_identity(pid) != owner:
                    adopted += self._db.execute("UPDATE outbox SET owner = ? WHERE owner = ?",
                                                (self._owner, owner)).rowcount
            return adopted

    def own_pending(self) -> list[Pending]:
        """This process's events, oldest first."""
        with self._lock:
            rows = self._db.execute("SELECT event_id, routing_key, body FROM outbox WHERE owner = ? ORDER BY seq",
                                    (self._owner,)).fetchall()
        return [Pending(event_id, key, bytes(body)) for event_id, key, body in rows]

    def close(self) -> None:
        """Close the file (the rows stay for the next process)."""
        with self._lock:
            self._db.close()

    def _count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]


def open_outbox(folder: Path, capacity: int = DEFAULT_CAPACITY) -> Outbox:
    """The outbox of a state folder (made if missing)."""
    folder.mkdir(parents=True, exist_ok=True)
    return Outbox(folder / OUTBOX_FILE, capacity)
