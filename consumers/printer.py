"""The notifier's handler: a plain function of an event, the same behind RabbitMQ or in-process."""

from __future__ import annotations

import sys
from collections.abc import Callable

from rich.console import Console
from rich.markup import escape

from consumers.events import CloudEvent
from consumers.notifications import notification

STYLES = {"GOAL": "bold white on green", "NO GOAL": "bold white on red", "KICK-OFF": "bold cyan",
          "FULL TIME": "bold cyan"}
_console = Console(highlight=False)


def print_notification(event: CloudEvent, show_id: bool = False) -> None:
    """One line per event on stdout: coloured on a terminal, plain when piped; `show_id` ends it
    with the event's id in brackets (to find it in logs and archives)."""
    headline, line = notification(event)
    if show_id:
        line += f"  [{event.id}]"
    if _console.is_terminal:
        _console.print(f"[{STYLES.get(headline, 'bold')}] {headline} [/] {escape(line)}")  # team names are free text
    else:
        print(f"{headline:<9} {line}", file=sys.stdout, flush=True)


def notification_printer(show_ids: bool) -> Callable[[CloudEvent], None]:
    """The notifier's handler, with or without ids."""
    return lambda event: print_notification(event, show_ids)
