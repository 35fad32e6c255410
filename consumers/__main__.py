"""python -m consumers notify | log | webhook | scoreboard (CONTRACT section 1 for notify; the others are the
project's own)."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from broker.connection import BrokerUnavailable, broker_url, redacted
from broker.events import EXCHANGE, ID_PATTERN
from broker.state import state_dir_path
from broker.topology import (
    TopologyReport,
    archive_queue,
    consumer_queues,
    match_binding,
    notify_queues,
    team_notify_queues,
)
from consumers.archive import Archive
from consumers.dedupe import RecordUnavailable, seen_ids_for
from consumers.printer import notification_printer
from consumers.replay import replay
from consumers.scoreboard import run_scoreboard
from consumers.subscriber import Subscription, consume
from consumers.webhook import FORMATS, check_target, run_webhook


DEFAULT_WEB_PORT = 8000
MAX_PORT = 65535


class _OneLineParser(argparse.ArgumentParser):
    """Usage errors in one line on stderr with exit 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: {message} (see --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="python -m consumers", description="Goal-line event consumers.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_OneLineParser)

    def add_broker_options(command: argparse.ArgumentParser) -> None:
        command.add_argument("--broker", help="AMQP URL (default: $AMQP_URL, else local guest)")
        command.add_argument("--state-dir", type=Path,
                             help="where the record of handled events lives (default: $GOALLINE_STATE_DIR, "
                                  "else ~/.local/state/goalline)")

    notify = sub.add_parser("notify", help="print the notifications as they arrive")
    add_broker_options(notify)
    follow = notify.add_mutually_exclusive_group()
    follow.add_argument("--match", help="only this match's events (a binding per match)")
    follow.add_argument("--team", help="every match of this team, home or away (a headers binding; exact name)")
    notify.add_argument("--show-ids", action="store_true", help="end each line with the event's id")
    notify.add_argument("--events-in", metavar="FILE",
                        help="read events as JSON lines from FILE ('-' for stdin) instead of the broker")

    log = sub.add_parser("log", help="append every event to FILE as a JSON line (each event once)")
    log.add_argument("file", type=Path)
    add_broker_options(log)
    log.add_argument("--match", help="only this match's events (a queue of its own)")

    webhook = sub.add_parser("webhook", help="post each notification as JSON to URL (Slack, Discord, or the event)")
    webhook.add_argument("url", metavar="URL", type=_webhook_url,
                         help="the webhook's http(s) URL (a secret: never logged beyond scheme://host/…)")
    add_broker_options(webhook)
    webhook.add_argument("--match", help="only this match's events (a queue of its own)")
    webhook.add_argument("--format", choices=FORMATS, default="slack",
                         help='slack: {"text": ...} (default); discord: {"content": ...}; event: the whole CloudEvent')

    scoreboard = sub.add_parser("scoreboard", help="the live table of every match (a plain line per update when piped)")
    add_broker_options(scoreboard)

    web = sub.add_parser("web", help="the live web view: scoreboard, notifications, pictures, referee's watch")
    add_broker_options(web)
    web.add_argument("--port", type=_port, default=DEFAULT_WEB_PORT, help=f"default {DEFAULT_WEB_PORT}")
    web.add_argument("--host", default="127.0.0.1",
                     help="address to listen on (default 127.0.0.1: this machine only)")
    web.add_argument("--pictures", type=Path,
                     help="the camera side's decision pictures (default: <state folder>/pictures)")
    return parser


def _port(text: str) -> int:
    value = int(text)
    if not 1 <= value <= MAX_PORT:
        raise argparse.ArgumentTypeError(f"must be 1-{MAX_PORT}")
    return value


def _webhook_url(text: str) -> str:
    """The URL argument of `webhook`; its error never repeats the URL (it may hold a token)."""
    try:
        return check_target(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def main(argv: list[str] | None = None) -> int:
    """Run a consumer until interrupted; exit 0 on SIGINT / SIGTERM, 2 bad option or a record that
    cannot be kept, 3 no broker."""
    parser = _parser()
    args = parser.parse_args(argv)
    if getattr(args, "match", None) is not None and not re.fullmatch(ID_PATTERN, args.match):
        parser.error("--match: letters, digits, '-' and '_' only")
    if getattr(args, "team", None) is not None and not args.team.strip():
        parser.error("--team: a team's name, as the scenario spells it")
    if args.command == "notify" and args.events_in:
        try:
            return replay(args.events_in, args.match, notification_printer(args.show_ids), args.team)
        except BrokenPipeError:
            return 0  # the reader of our output has gone: nothing left to do
    url = broker_url(args.broker)
    try:
        if args.command == "log":
            _archive(url, args)
        elif args.command == "webhook":
            run_webhook(url, args.url, args.format, args.match, args.state_dir)
        elif args.command == "scoreboard":
            run_scoreboard(url, args.state_dir)
        elif args.command == "web":
            from consumers.web import run_web  # FastAPI and uvicorn load only for the web view
            run_web(url, args.host, args.port, args.state_dir, args.pictures)
        else:
            _notify(url, args)
    except (BrokerUnavailable, RecordUnavailable) as error:
        print(str(error), file=sys.stderr)
        return error.exit_status
    return 0


def _notify(url: str, args: argparse.Namespace) -> None:
    queues = team_notify_queues(args.team) if args.team else notify_queues(args.match)
    try:
        handled = seen_ids_for(queues[0].name, args.state_dir)
    except OSError as error:  # the state folder itself cannot be made
        raise RecordUnavailable(f"{state_dir_path(args.state_dir)}: cannot keep the record of handled events "
                                f"there ({error.strerror or error.__class__.__name__})") from None
    try:
        consume(url, Subscription(queues, handled), notification_printer(args.show_ids), on_ready=_announce(url))
    finally:
        handled.close()


def _archive(url: str, args: argparse.Namespace) -> None:
    archive = Archive(args.file)
    try:
        queues = consumer_queues(archive_queue(args.match), ((EXCHANGE, match_binding(args.match)),))
        consume(url, Subscription(queues, archive.handled), archive.append, on_ready=_announce(url))
    finally:
        archive.close()


def _announce(url: str):
    def on_ready(queue: str, report: TopologyReport) -> None:
        print(f"listening on {queue} at {redacted(url)} ({report.describe()})", file=sys.stderr, flush=True)
    return on_ready


if __name__ == "__main__":
    sys.exit(main())
