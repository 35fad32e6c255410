"""Events in the shape CONTRACT section 3 fixes: CloudEvents 1.0, structured JSON mode."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

EXCHANGE = "goalline.events"
CONTENT_TYPE = "application/cloudevents+json"
SPEC_VERSION = "1.0"
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
"""Match and camera ids: they become routing-key words, so no '.', '#' or '*'."""
TEAM_HEADERS = ("home", "away")
"""AMQP headers every event with teams carries: the teams' names as in the scenario."""
_ID_NAMESPACE = uuid.UUID("5b0c7d1e-9a43-4f2e-8a51-6f0e3c2d9b17")
"""Fixed namespace for uuid5 ids: the same decision always gets the same id."""


def routing_key(match_id: str, kind: str) -> str:
    """CONTRACT section 3: match.<match_id>.<kind>."""
    return f"match.{match_id}.{kind}"


def event_id(*identity: object) -> str:
    """A stable id derived from what identifies the occurrence (match, camera, kind, frame...)."""
    return str(uuid.uuid5(_ID_NAMESPACE, "/".join(str(part) for part in identity)))


def cloud_event(kind: str, match_id: str, source: str, time: datetime, data: dict, identity: tuple) -> dict:
    """A CloudEvents 1.0 document (a dict ready for json.dumps).

    kind: goal, no_goal, match_started or match_ended; identity: what makes the id stable.
    """
    if time.tzinfo is None:
        time = time.replace(tzinfo=timezone.utc)
    return {
        "specversion": SPEC_VERSION,
        "id": event_id(*identity),
        "source": source,
        "type": f"goalline.{kind}",
        "subject": match_id,
        "time": time.astimezone(timezone.utc).isoformat().replace("+00:00", "Z"),
        "datacontenttype": "application/json",
        "data": data,
    }


def team_headers(event: dict) -> dict:
    """AMQP headers naming the match's teams ({'home': ..., 'away': ...}, those known), so a
    headers exchange can route by team. Empty for events without teams (a clip's)."""
    data = event.get("data") if isinstance(event.get("data"), dict) else {}
    return {side: data[side] for side in TEAM_HEADERS if isinstance(data.get(side), str)}


def kind_of(event: dict) -> str:
    """The kind of an event from its CloudEvents type (goalline.<kind>)."""
    return event["type"].removeprefix("goalline.")
