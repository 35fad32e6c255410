"""The same handlers without a broker: events read as JSON lines from a file or a pipe."""

from __future__ import annotations

import sys
from collections.abc import Callable

from broker.events import TEAM_HEADERS
from consumers.events import CloudEvent, InvalidEvent, parse_event


def replay(source: str, match_id: str | None, handle: Callable[[CloudEvent], None], team: str | None = None) -> int:
    """Hand each event of `source` ('-' for stdin) to `handle`; bad lines are reported and skipped.
    match_id / team: only that match's events, or only those of matches the team plays in (by the
    same rule as the broker's headers binding: the event's home or away team).

    Returns the exit status: 0, or 2 when the file cannot be read.
    """
    try:
        stream = sys.stdin.buffer if source == "-" else open(source, "rb")  # noqa: SIM115 (closed below)
    except OSError as error:
        print(f"{source}: cannot read ({error.strerror})", file=sys.stderr)
        return 2
    try:
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                event = parse_event(line)
            except InvalidEvent as error:
                print(f"{source}: line {number}: skipped, {error}", file=sys.stderr, flush=True)
                continue
            if (match_id is None or event.subject == match_id) and (team is None or team in _teams_of(event)):
                handle(event)
    except KeyboardInterrupt:
        pass
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    return 0


def _teams_of(event: CloudEvent) -> tuple:
    return tuple(event.data.get(side) for side in TEAM_HEADERS)
