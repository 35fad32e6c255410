"""What the web view shows, from events alone (consumers/web_state.py): rows, the feed, catch-up
after a reconnect, and the measured delay."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from broker.events import cloud_event
from consumers.events import CloudEvent
from consumers.web_state import FEED_LENGTH, WebState

KICK_OFF = datetime(2026, 8, 15, 15, 0, tzinfo=timezone.utc)
DECIDED = datetime(2026, 11, 27, 18, 0, 0, tzinfo=timezone.utc)


def event(kind: str, match_id: str = "m1", frame: int = 0, **data) -> CloudEvent:
    data = {"home": "Rovers", "away": "United", **data}
    if kind in ("goal", "no_goal"):
        data |= {"match_id": match_id, "camera_id": "north-gl", "frame": frame, "video_time_s": frame / 250,
                 "margin_m": 0.05}
    return CloudEvent.model_validate(cloud_event(kind, match_id, "/test", KICK_OFF + timedelta(seconds=frame), data,
                                                 (match_id, kind, frame)))


def test_a_goal_updates_its_match_row_and_tops_the_feed():
    state = WebState()
    state.apply(event("match_started"), DECIDED)
    message = state.apply(event("goal", frame=100, score={"home": 1, "away": 0}), DECIDED)
    assert message["row"]["score"] == "1-0" and message["headline"] == "GOAL"
    snapshot = state.snapshot()
    assert [entry["headline"] for entry in snapshot["feed"]] == ["GOAL", "KICK-OFF"]
    assert [row["match_id"] for row in snapshot["matches"]] == ["m1"]


def test_the_delay_is_measured_from_the_cameras_decision_to_arrival():
    state = WebState()
    made = DECIDED - timedelta(milliseconds=42)
    message = state.apply(event("goal", frame=5, decided_at=made.isoformat()), DECIDED)
    assert message["server_delay_ms"] == 42


def test_a_reconnecting_browser_gets_only_what_it_missed():
    state = WebState()
    ids = [state.apply(event("goal", frame=n), DECIDED)["id"] for n in range(3)]
    assert [entry["id"] for entry in state.after(ids[0])] == ids[1:]
    assert [entry["id"] for entry in state.after("unknown")] == ids


def test_the_feed_keeps_the_newest_notifications_only():
    state = WebState()
    for n in range(FEED_LENGTH + 5):
        state.apply(event("no_goal", frame=n), DECIDED)
    feed = state.snapshot()["feed"]
    assert len(feed) == FEED_LENGTH and feed[0]["line"].endswith("short of being wholly over")


def test_a_picture_reference_is_passed_to_the_page_and_the_event_text_is_left_as_text():
    state = WebState()
    message = state.apply(event("goal", frame=9, home="<script>alert(1)</script>",
                                picture={"path": "/x.png", "url": "/pictures/m1/x.png"}), DECIDED)
    assert message["picture_url"] == "/pictures/m1/x.png"
    assert "<script>" in message["row"]["home"]  # escaped by the page (textContent), never turned into HTML here
