"""python -m consumers notify [--broker URL] [--match ID] [--events-in FILE] (CONTRACT section 1)."""

from __future__ import annotations

import argparse
import re
import sys

from broker.connection import BrokerUnavailable, broker_url, redacted
from broker.events import ID_PATTERN
from consumers.printer import print_notification
from consumers.replay import replay
from consumers.subscriber import consume


class _OneLineParser(argparse.ArgumentParser):
    """Usage errors in one line on stderr with exit 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: {message} (see --help)\n")


def main(argv: list[str] | None = None) -> int:
    """Run a consumer until interrupted; exit 0 on SIGINT / SIGTERM, 2 bad option, 3 no broker."""
    parser = _OneLineParser(prog="python -m consumers", description="Goal-line event consumers.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_OneLineParser)
    notify = sub.add_parser("notify", help="print the notifications as they arrive")
    notify.add_argument("--broker", help="AMQP URL (default: $AMQP_URL, else local guest)")
    notify.add_argument("--match", help="only this match's events (a binding per match)")
    notify.add_argument("--events-in", metavar="FILE",
                        help="read events as JSON lines from FILE ('-' for stdin) instead of the broker")
    args = parser.parse_args(argv)
    if args.match is not None and not re.fullmatch(ID_PATTERN, args.match):
        parser.error("--match: letters, digits, '-' and '_' only")
    if args.events_in:
        try:
            return replay(args.events_in, args.match, print_notification)
        except BrokenPipeError:
            return 0  # the reader of our output has gone: nothing left to do
    url = broker_url(args.broker)
    try:
        consume(url, args.match, print_notification,
                on_ready=lambda queue: print(f"listening on {queue} at {redacted(url)}", file=sys.stderr, flush=True))
    except BrokerUnavailable as error:
        print(str(error), file=sys.stderr)
        return error.exit_status
    return 0


if __name__ == "__main__":
    sys.exit(main())
