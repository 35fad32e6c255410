"""Reading events and wording notifications: pure functions on small real documents."""

from __future__ import annotations

import json

import pytest

from consumers.events import MAX_BODY_BYTES, InvalidEvent, parse_event
from consumers.notifications import notification

GOAL = {"specversion": "1.0", "id": "e1", "source": "/goalline/cameras/north-gl", "type": "goalline.goal",
        "subject": "rovers-united", "time": "2026-08-15T15:17:40Z", "datacontenttype": "application/json",
        "data": {"match_id": "rovers-united", "camera_id": "north-gl", "frame": 554, "video_time_s": 2.216,
                 "margin_m": 0.61, "margin_px": 50.2, "match_clock": "17:40.72", "scoring_team": "Rovers",
                 "home": "Rovers", "away": "United", "score": {"home": 1, "away": 0}}}


def body(document: dict) -> bytes:
    return json.dumps(document).encode()


def test_a_goal_names_the_scorer_the_new_score_the_clock_the_camera_and_the_margin():
    headline, line = notification(parse_event(body(GOAL)))
    assert headline == "GOAL"
    for part in ("Rovers score!", "Rovers 1-0 United", "17:40.72", "north-gl", "frame 554", "ball 0.61 m over the line"):
        assert part in line


def test_a_no_goal_says_how_far_short_the_ball_stayed():
    no_goal = GOAL | {"type": "goalline.no_goal", "data": GOAL["data"] | {"margin_m": -0.04}}
    headline, line = notification(parse_event(body(no_goal)))
    assert headline == "NO GOAL" and "ball stayed 4 cm short of being wholly over" in line


def test_a_goal_seen_only_either_side_of_a_player_says_how_sure_and_how_it_was_seen():
    hidden = GOAL | {"data": GOAL["data"] | {"confidence": 0.9991, "evidence": "interpolated", "hidden_frames": 12}}
    _, line = notification(parse_event(body(hidden)))
    assert "(99.9% sure; hidden 12 frames, from the track either side)" in line


def test_a_goal_fused_from_several_cameras_says_so_and_how_an_impact_was_read():
    fused = GOAL | {"data": GOAL["data"] | {"cameras": ["gl-left", "north-gl", "stand-left"], "evidence": "impact",
                                             "confidence": 0.9999}}
    _, line = notification(parse_event(body(fused)))
    assert "3 cameras in 3D, frame 554 of north-gl" in line
    assert "deepest between frames, where the paths in and out meet" in line


def test_an_event_from_a_clip_without_teams_still_reads_well():
    data = {key: GOAL["data"][key] for key in ("match_id", "camera_id", "frame", "video_time_s", "margin_m")}
    _, line = notification(parse_event(body(GOAL | {"data": data})))
    assert "rovers-united" in line and "frame 554" in line


@pytest.mark.parametrize("raw, reason", [
    (b"\xff\xfe", "not JSON"),
    (b"[1, 2]", "not a JSON object"),
    (body({k: v for k, v in GOAL.items() if k != "id"}), "id"),
    (body(GOAL | {"specversion": "0.3"}), "specversion"),
    (body(GOAL | {"data": GOAL["data"] | {"frame": "554"}}), "frame"),
    (body(GOAL | {"data": {k: v for k, v in GOAL["data"].items() if k not in ("margin_m", "margin_px")}}), "margin"),
    (b" " * (MAX_BODY_BYTES + 1), "limit"),
    (b"[" * 30_000, "not JSON"),  # nesting deeper than the parser recurses
])
def test_a_message_that_is_not_a_valid_event_is_refused_with_a_reason(raw, reason):
    with pytest.raises(InvalidEvent, match=reason):
        parse_event(raw)


@pytest.mark.parametrize("reason, words", [("outside_mouth", "wide of the posts or over the bar"),
                                           ("mouth_uncertain", "too near a post or the bar to tell")])
def test_a_no_goal_outside_the_mouth_says_why_it_is_no_goal(reason, words):
    document = dict(GOAL, type="goalline.no_goal", data=dict(GOAL["data"], reason=reason, margin_m=0.05))
    headline, line = notification(parse_event(body(document)))
    assert headline == "NO GOAL" and words in line and "short" not in line
