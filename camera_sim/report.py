"""What a person sees on the terminal: progress while working, a summary table at the end."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from dataclasses import dataclass

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

PIPED_WIDTH = 160
"""Columns of the summary when stderr is not a terminal (a log file should not wrap a row)."""
console = Console(stderr=True, width=None if sys.stderr.isatty() else PIPED_WIDTH)


class _NoProgress:
    def update(self, advance: int = 1) -> None:
        pass


class _Bar:
    def __init__(self, bar: Progress, task) -> None:
        self._bar, self._task = bar, task

    def update(self, advance: int = 1) -> None:
        speed = self._bar.tasks[0].speed
        self._bar.update(self._task, advance=advance, rate=f"{speed:,.0f} frames/s" if speed else "")


@contextmanager
def progress(description: str, total: int | None):
    """A progress bar (frames, frames/s, time left) on a terminal; nothing when piped."""
    if not sys.stderr.isatty():
        yield _NoProgress()
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("frames"),
               TextColumn("{task.fields[rate]}"), TimeRemainingColumn())
    with Progress(*columns, console=console) as bar:
        yield _Bar(bar, bar.add_task(description, total=total, rate=""))


@dataclass(frozen=True)
class SummaryRow:
    incident_index: int
    incident: str
    camera: str
    expected: str
    decided: str
    frame: str
    margin: str
    verdict: str
    note: str = ""


def print_summary(title: str, rows: list[SummaryRow]) -> None:
    """The run's table: each incident, decision against truth, frame, margin, agreement."""
    table = Table(title=title, title_justify="left")
    for name in ("incident", "camera", "truth", "decision", "frame (ours / truth)", "margin (ours / truth)", "agree", "note"):
        table.add_column(name)
    for row in rows:
        table.add_row(row.incident, row.camera, row.expected, row.decided, row.frame, row.margin, row.verdict, row.note)
    console.print(table)


def print_decisions(title: str, decisions: list[dict]) -> None:
    """The video command's table of decisions (event data with a `kind`)."""
    table = Table(title=title, title_justify="left")
    for name in ("decision", "camera", "frame", "video time", "margin"):
        table.add_column(name)
    for data in decisions:
        table.add_row(data["kind"], data["camera_id"], str(data["frame"]), f'{data["video_time_s"]:.3f} s',
                      f'{data["margin_m"] * 1000:+.0f} mm ({data["margin_px"]:+.2f} px)')
    if not decisions:
        table.add_row("none", "", "", "", "")
    console.print(table)
