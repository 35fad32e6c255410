"""The same handlers without a broker: events read as JSON lines from a file or a pipe."""

from __future__ import annotations

import sys
from collections.abc import Callable

from consumers.events import CloudEvent, InvalidEvent, parse_event


def replay(source: str, match_id: str | None, handle: Callable[[CloudEvent], None]) -> int:
    """Hand each event of `source` ('-' for stdin) to `handle`; bad lines are reported and skipped.

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
            if match_id is None or event.subject == match_id:
                handle(event)
    except KeyboardInterrupt:
        pass
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    return 0
