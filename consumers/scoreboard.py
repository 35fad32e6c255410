"""The scoreboard consumer: the live table of every match, redrawn in place on a terminal, a plain
line per update when piped. The table's state is consumers.match_state; this file draws it and
keeps its journal.

The journal (`<state folder>/scoreboard/goalline.scoreboard.all.jsonl`) holds every event the
scoreboard took, one JSON line each, appended before the table changes: a restarted scoreboard
reads it back and shows every match it knew, and it is also the record of what was handled (an
event delivered again is dropped), as the archiver's file is for `log`.
"""

from __future__ import annotations

import threading
from pathlib import Path

from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from broker.connection import redacted
from broker.events import EXCHANGE
from broker.log_line import Log, log_to_stderr
from broker.state import state_dir, state_dir_path
from broker.topology import EVERY_MATCH, PREFIX, TopologyReport, consumer_queues
from consumers.archive import Archive
from consumers.dedupe import RecordUnavailable
from consumers.events import CloudEvent, InvalidEvent, parse_event
from consumers.match_state import MatchRow, ScoreTable
from consumers.printer import STYLES
from consumers.subscriber import Subscription, consume

SCOREBOARD_QUEUE = f"{PREFIX}.scoreboard.all"
JOURNAL_FOLDER = "scoreboard"
UNKNOWN = "?"
"""Shown for what no event has said yet (the teams and score of a clip's match)."""


def journal_path(folder: Path | None = None) -> Path:
    """Where the scoreboard keeps the events it took (the state folder made if missing)."""
    try:
        return state_dir(folder) / JOURNAL_FOLDER / f"{SCOREBOARD_QUEUE}.jsonl"
    except OSError as error:
        raise RecordUnavailable(f"{state_dir_path(folder)}: cannot keep the scoreboard's journal there "
                                f"({error.strerror or error.__class__.__name__})") from None


def table_from_journal(path: Path) -> ScoreTable:
    """The table as the journal's events make it (a line that is not an event, such as the half
    line a killed scoreboard left, is skipped)."""
    table = ScoreTable()
    try:
        with path.open("rb") as journal:
            for line in journal:
                try:
                    table.apply(parse_event(line))
                except InvalidEvent:
                    continue
    except FileNotFoundError:
        pass
    except OSError as error:
        raise RecordUnavailable(f"{path}: cannot read ({error.strerror or error})") from None
    return table


def score_text(row: MatchRow) -> str:
    """'1-0', or '?' before any event carried a score."""
    return f"{row.score[0]}-{row.score[1]}" if row.score else UNKNOWN


def time_text(row: MatchRow) -> str:
    """The last event's time of day in UTC, '15:17:40'."""
    return row.last_time.strftime("%H:%M:%S") if row.last_time else UNKNOWN


def snapshot_line(row: MatchRow) -> str:
    """One match as it now stands, on one plain line (what the piped scoreboard prints per update):
    'rovers-united  Rovers 1-0 United  GOAL 17:40.72  at 15:17:40 UTC  live'."""
    last = " ".join(part for part in (row.last_event, row.last_clock) if part) or UNKNOWN
    return (f"{row.match_id}  {row.home or UNKNOWN} {score_text(row)} {row.away or UNKNOWN}  {last}  "
            f"at {time_text(row)} UTC  {row.status}")


def scoreboard_table(rows: list[MatchRow], source: str = "") -> Table:
    """The table drawn on a terminal: a row per match, in the order they first appeared."""
    table = Table(title="Goal-line scoreboard", caption=source if rows else f"waiting for events {source}".strip(),
                  caption_justify="left")
    for header, justify in (("match", "left"), ("home", "right"), ("score", "center"), ("away", "left"),
                            ("last event", "left"), ("clock", "right"), ("at (UTC)", "right"), ("status", "left")):
        table.add_column(header, justify=justify, no_wrap=True)
    for row in rows:
        headline = Text(f" {row.last_event} ", style=STYLES.get(row.last_event or "", "bold")) if row.last_event \
            else Text(UNKNOWN)
        table.add_row(row.match_id, row.home or UNKNOWN, Text(score_text(row), style="bold"), row.away or UNKNOWN,
                      headline, row.last_clock or "", time_text(row), row.status,
                      style="dim" if row.ended else None)  # team names are free text: never read as markup
    return table


def run_scoreboard(broker: str, state_dir: Path | None = None, *, console: Console | None = None,
                   stop: threading.Event | None = None, log: Log = log_to_stderr) -> None:
    """`python -m consumers scoreboard`: draw the table of every match until SIGINT / SIGTERM or
    `stop`; on a console that is not a terminal, print a snapshot line of the match each event
    changed (and one per known match at the start).

    BrokerUnavailable if the broker cannot be reached at the start; RecordUnavailable if the
    journal cannot be kept.
    """
    console = console or Console(highlight=False)
    archive = Archive(journal_path(state_dir))
    try:
        table = table_from_journal(archive.path)
        subscription = Subscription(consumer_queues(SCOREBOARD_QUEUE, ((EXCHANGE, EVERY_MATCH),)), archive.handled)
        source = f"{SCOREBOARD_QUEUE} at {redacted(broker)}"

        def on_ready(queue: str, report: TopologyReport) -> None:
            log(f"listening on {queue} at {redacted(broker)} ({report.describe()})")

        if console.is_terminal:
            with Live(scoreboard_table(table.rows(), source), console=console, auto_refresh=False) as live:
                def redraw(event: CloudEvent) -> None:
                    archive.append(event)  # the journal first: it is the record of what was handled
                    table.apply(event)
                    live.update(scoreboard_table(table.rows(), source), refresh=True)
                consume(broker, subscription, redraw, on_ready=on_ready, stop=stop, log=log)
        else:
            def print_line(row: MatchRow) -> None:
                console.file.write(snapshot_line(row) + "\n")
                console.file.flush()

            def print_update(event: CloudEvent) -> None:
                archive.append(event)
                print_line(table.apply(event))
            try:
                for row in table.rows():
                    print_line(row)
            except BrokenPipeError:
                return  # the reader of our output has gone before the first event
            consume(broker, subscription, print_update, on_ready=on_ready, stop=stop, log=log)
    finally:
        archive.close()
