"""What the web view shows, as the events make it: every match's row, the notification feed and
the referee's-watch delays. Pure: the server (consumers.web) feeds it events and sends its
messages to browsers; a restarted server feeds it its journal again.
"""

from __future__ import annotations

from collections import deque
from dataclasses import asdict
from datetime import datetime, timezone

from consumers.events import CloudEvent
from consumers.match_state import MatchRow, ScoreTable
from consumers.notifications import notification

FEED_LENGTH = 200
"""Notifications a late visitor sees (and a reconnecting browser can catch up on): a season's
goals for one league at a glance, a few hundred kilobytes."""
FIFA_WATCH_LIMIT_MS = 1000
"""FIFA's goal-line technology standard: the referee's watch signals a goal within 1 s."""


def row_message(row: MatchRow) -> dict:
    """A match row as JSON for the page."""
    message = asdict(row)
    message["score"] = f"{row.score[0]}-{row.score[1]}" if row.score else None
    message["last_time"] = row.last_time.isoformat() if row.last_time else None
    message["status"] = row.status
    return message


def decided_at(event: CloudEvent) -> datetime | None:
    """When the camera made the decision (data.decided_at, wall clock), if it says."""
    text = event.data.get("decided_at")
    if not isinstance(text, str):
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


class WebState:
    """The matches and the newest FEED_LENGTH notifications, each with an ordinal for catch-up."""

    def __init__(self) -> None:
        self.table = ScoreTable()
        self._feed: deque[dict] = deque(maxlen=FEED_LENGTH)

    def apply(self, event: CloudEvent, received_at: datetime) -> dict:
        """Take an event; the message every browser gets for it (the feed entry and its match's row)."""
        row = self.table.apply(event)
        headline, line = notification(event)
        picture = event.data.get("picture")
        made = decided_at(event)
        entry = {"id": event.id, "kind": event.kind, "match_id": event.subject, "headline": headline, "line": line,
                 "picture_url": picture.get("url") if isinstance(picture, dict) else None,
                 "decided_at": made.isoformat() if made else None,
                 "server_delay_ms": round((received_at - made).total_seconds() * 1000) if made else None,
                 "row": row_message(row)}
        self._feed.append(entry)
        return entry

    def snapshot(self) -> dict:
        """Everything a late visitor needs: every match, and the feed newest first."""
        return {"matches": [row_message(row) for row in self.table.rows()], "feed": list(reversed(self._feed)),
                "watch_limit_ms": FIFA_WATCH_LIMIT_MS}

    def after(self, event_id: str | None) -> list[dict]:
        """The feed entries after `event_id`, oldest first (all of it for an unknown id)."""
        entries = list(self._feed)
        ids = [entry["id"] for entry in entries]
        return entries[ids.index(event_id) + 1:] if event_id in ids else entries
