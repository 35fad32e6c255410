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
"""Several camera processes share the file; a writer waits this long for another's transaction
(each lasts microseconds; 10 s means the other process is stuck)."""
PROC = Path("/proc")
START_TIME_FIELD = 19
"""Index of /proc/PID/stat field 22 (starttime) among the fields after the ')' closing the name."""

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
    headers: dict | None = None
    """AMQP headers (the teams); derived from the body, so not stored."""


def process_identity(pid: int) -> str | None:
    """'HOST PID START' of a running process (HOST: boot id and pid namespace; START: its start
    time), None if it is not running.

    The start time (clock ticks since boot, /proc/PID/stat field 22) tells a reused pid from the
    process that wrote the rows; the boot id and the pid namespace tell another boot's or another
    container's pids (sharing the state folder) from this one's. Without /proc, the pid alone.
    """
    if not PROC.is_dir():
        return _identity_without_proc(pid)
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields_after_name = stat.rsplit(")", 1)[1].split()  # the name (field 2) may hold spaces and ')'
    return f"{_THIS_HOST} {pid} {fields_after_name[START_TIME_FIELD]}"


def _host_identity() -> str:
    """This boot and this pid namespace: pids only mean something within both."""
    try:
        boot = (PROC / "sys" / "kernel" / "random" / "boot_id").read_text().strip()
        namespace = os.readlink(PROC / "self" / "ns" / "pid")
    except OSError:
        return "unknown"
    return f"{boot}/{namespace}"


def _identity_without_proc(pid: int) -> str | None:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # it runs, as another user
    return f"{_THIS_HOST} {pid} -"


def _still_running(owner: str) -> bool:
    """Whether the process that wrote rows as `owner` still runs here. Another boot's or another
    pid namespace's owner counts as gone: its rows are published again (duplicates, which
    consumers drop, rather than events stranded)."""
    parts = owner.split(" ")
    if len(parts) != 3 or parts[0] != _THIS_HOST or not parts[1].isdigit():
        return False
    return process_identity(int(parts[1])) == owner


class OutboxFull(Exception):
    """The outbox holds its capacity of events: a new event cannot be kept for the broker."""


_THIS_HOST = _host_identity()


class Outbox:
    """Events not yet confirmed by the broker, on disk. Thread-safe.

    path: the SQLite file; capacity: events kept at most (default 100,000).
    """

    def __init__(self, path: Path, capacity: int = DEFAULT_CAPACITY):
        self.path, self.capacity = path, capacity
        self._owner = process_identity(os.getpid()) or f"{_THIS_HOST} {os.getpid()} -"
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
        """Forget confirmed events (one transaction, rolled back whole if it fails)."""
        if not event_ids:
            return
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                removed = self._db.executemany("DELETE FROM outbox WHERE event_id = ?",
                                               [(event_id,) for event_id in event_ids]).rowcount
                self._db.execute("COMMIT")
            except sqlite3.Error:
                self._db.execute("ROLLBACK")  # never leave a transaction open: later adds would join it
                raise
            self._depth = max(0, self._depth - removed)

    def adopt_orphans(self) -> int:
        """Make the rows of processes that no longer run this process's own; how many."""
        with self._lock:
            owners = [row[0] for row in self._db.execute("SELECT DISTINCT owner FROM outbox WHERE owner != ?",
                                                         (self._owner,))]
            adopted = 0
            for owner in owners:
                if not _still_running(owner):
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
