"""Where events go: stdout (one JSON document a line), the --events-out file, and the broker."""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol, TextIO

from broker.connection import BrokerUnavailable
from camera_sim.errors import InputError


DECISION_TYPES = ("goalline.goal", "goalline.no_goal")


class Publisher(Protocol):
    def publish(self, event: dict, body: bytes) -> None:
        """Send one event whose serialised form is `body`."""

    def close(self, timeout_s: float | None = None) -> None:
        """Flush what is unconfirmed (waiting at most `timeout_s`), then release the connection."""


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
        """Publish the event (into the durable outbox first), then write the very same bytes to
        the file and stdout. A reader of stdout that goes away ends stdout, not the match.

        A goal or no_goal gets data.decided_at, the wall clock as it leaves the camera (UTC, ms):
        what the referee's-watch delay is measured from (the event's `time` is the match's clock)."""
        if event.get("type") in DECISION_TYPES:
            event["data"]["decided_at"] = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
        line = json.dumps(event, separators=(",", ":"))
        if self._publisher:
            self._publisher.publish(event, line.encode("utf-8"))
        if self._file:
            self._file.write(line + "\n")
            self._file.flush()
        if self._stdout is not None:
            try:
                self._stdout.write(line + "\n")
                self._stdout.flush()
            except BrokenPipeError:
                self._stdout = _silence(self._stdout)
        self.events.append(event)

    def close(self, wait: bool = True) -> None:
        """Close the file, then flush and close the broker connection (BrokerUnavailable if
        events are left unconfirmed: they wait in the outbox). wait=False: do not wait for the
        broker's last confirms (after Ctrl+C)."""
        if self._file:
            self._file.close()
        if self._publisher:
            self._publisher.close(None if wait else 0.0)

    def __enter__(self) -> EventOutputs:
        return self

    def __exit__(self, kind, error, trace) -> bool:
        """Close; when the run failed, its error stays the one reported (exit status and line),
        and a broker failure on top of it is said on a line of its own."""
        if kind is None:
            self.close()
            return False
        try:
            self.close(wait=not issubclass(kind, KeyboardInterrupt))
        except BrokerUnavailable as failure:
            print(str(failure), file=sys.stderr)
        return False


def _silence(stream: TextIO) -> None:
    """Point a closed pipe's descriptor at /dev/null, so Python's flush at exit does not complain
    (the Python documentation's advice for SIGPIPE); nothing more is written to it."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
    return None
