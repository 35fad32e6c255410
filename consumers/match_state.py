"""The scoreboard's state: one row per match, built from events alone (no I/O, no drawing).

Each event carries the whole score as the camera's board had it (`data.score`), so a row takes
the score of the newest event it has seen rather than counting goals: a goal reported by a second
camera (`counted: false`) is not counted twice, and a scoreboard that missed an event is right again
at the next one. Events can arrive out of their order (a retried one comes back seconds later):
an event older than the row's last one fills in what the row lacks (the teams) but never rolls
the score or the last event back. Full time is kept once seen.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timezone

from consumers.events import CloudEvent
from consumers.notifications import notification


@dataclass(frozen=True)
class MatchRow:
    """A match as the events so far tell it."""

    match_id: str
    home: str | None = None
    away: str | None = None
    score: tuple[int, int] | None = None
    """(home, away) as the newest event carried it; None until an event carries one (a clip's don't)."""
    last_event: str | None = None
    """The newest event's headline: KICK-OFF, GOAL, NO GOAL, FULL TIME (consumers.notifications)."""
    last_clock: str | None = None
    """The newest event's match clock (mm:ss.ss), if it has one (goal and no_goal do)."""
    last_time: datetime | None = None
    """When the newest event happened (its CloudEvents `time`, in UTC)."""
    started: bool = False
    ended: bool = False

    @property
    def status(self) -> str:
        """'full time', 'live' or 'not started' (events seen, kick-off not among them)."""
        return "full time" if self.ended else "live" if self.started else "not started"


class ScoreTable:
    """Every match seen, in the order first seen.

    >>> table = ScoreTable()
    >>> table.rows()
    []
    """

    def __init__(self) -> None:
        self._rows: dict[str, MatchRow] = {}

    def apply(self, event: CloudEvent) -> MatchRow:
        """Take an event into its match's row; returns the row as it now stands."""
        data, when = event.data, event_time(event)
        row = self._rows.get(event.subject) or MatchRow(event.subject)
        teams = {side: data[side] for side in ("home", "away") if isinstance(data.get(side), str)}
        row = replace(row, **teams, started=row.started or event.kind == "match_started",
                      ended=row.ended or event.kind == "match_ended")
        if _is_newest(when, row.last_time):
            clock = data.get("match_clock")
            row = replace(row, last_event=notification(event)[0], last_clock=clock if isinstance(clock, str) else None,
                          last_time=when or row.last_time, score=_score(data) or row.score)
        elif row.score is None:
            row = replace(row, score=_score(data))
        self._rows[event.subject] = row
        return row

    def rows(self) -> list[MatchRow]:
        """The matches, in the order their first event came."""
        return list(self._rows.values())


def event_time(event: CloudEvent) -> datetime | None:
    """The event's `time` in UTC (a time without zone is taken as UTC); None if unreadable.

    >>> event_time(CloudEvent(specversion="1.0", id="x", source="/s", type="goalline.goal", subject="m",
    ...                       time="2026-08-15T15:17:40.716Z", data={})).isoformat()
    '2026-08-15T15:17:40.716000+00:00'
    """
    try:
        moment = datetime.fromisoformat(event.time)
    except ValueError:
        return None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _is_newest(when: datetime | None, last: datetime | None) -> bool:
    """Whether an event at `when` is at least as new as the row's last (an unreadable time is
    taken as arriving in order)."""
    return when is None or last is None or when >= last


def _score(data: dict) -> tuple[int, int] | None:
    """(home, away) from `data.score`, if it is there and made of counts."""
    score = data.get("score")
    if not isinstance(score, dict):
        return None
    home, away = score.get("home"), score.get("away")
    if all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in (home, away)):
        return home, away
    return None
