"""Every shipped scenario: the decisions made from rendered pixels match the physics' truth."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml

from camera_sim.commands.scenario import play_scenario
from camera_sim.expectations import missed_expectations
from camera_sim.matchplay import MatchPlay
from camera_sim.outputs import EventOutputs
from camera_sim.scenario.loader import load_scenario
from camera_sim.scenario.schema import Scenario
from camera_sim.truth_check import FRAME_TOLERANCE, agrees

SCENARIO_DIR = Path(__file__).resolve().parents[1] / "scenarios"
SCENARIOS = sorted(SCENARIO_DIR.glob("*.yaml"))
MARGIN_ERROR_LIMIT_M = 0.015
"""FIFA's goal-line technology tolerance: +-1.5 cm."""


@pytest.fixture(scope="module", params=SCENARIOS, ids=lambda path: path.stem)
def played(request):
    play = MatchPlay.of(load_scenario(request.param))
    outputs = EventOutputs(None, None, stdout=io.StringIO())
    return play, play_scenario(play, outputs), outputs.events


def test_at_least_eight_scenarios_ship():
    assert len(SCENARIOS) >= 8


def test_every_expectation_a_scenario_states_is_met(played):
    play, decisions, _ = played
    assert missed_expectations(play, decisions) == []


def test_each_incident_gets_the_decision_the_truth_calls_for(played):
    play, decisions, _ = played
    for camera in play.reporting_cameras:
        for expected in play.expected_calls(camera):
            mine = [d for d in decisions[camera.camera_id] if expected.first_frame <= d.frame_index <= expected.last_frame]
            assert agrees(expected, mine), (camera.camera_id, expected, mine)


def test_goal_frames_are_within_one_frame_and_margins_within_fifa_tolerance(played):
    play, decisions, _ = played
    for camera in play.reporting_cameras:
        for expected in play.expected_calls(camera):
            mine = [d for d in decisions[camera.camera_id] if expected.first_frame <= d.frame_index <= expected.last_frame]
            for decision in mine:
                if decision.kind == "goal":
                    assert abs(decision.frame_index - expected.frame_index) <= FRAME_TOLERANCE
                    assert abs(decision.margin_m - expected.margin_m) < MARGIN_ERROR_LIMIT_M
                elif decision.reason is None:
                    # a no-goal's margin is the deepest point; the ball was held there for a while
                    truth = play.truths[expected.incident_index].deepest_margin_m
                    assert abs(decision.margin_m - truth) < MARGIN_ERROR_LIMIT_M


def test_every_event_has_the_contract_fields(played):
    play, _, events = played
    assert len({event["id"] for event in events}) == len(events)
    assert events[0]["type"] == "goalline.match_started" and events[-1]["type"] == "goalline.match_ended"
    for event in events[1:-1]:
        assert event["specversion"] == "1.0"
        assert event["source"].startswith("/goalline/cameras/") and event["time"].endswith("Z")
        assert event["type"] in ("goalline.goal", "goalline.no_goal")
        assert event["subject"] == play.scenario.match.id
        assert event["datacontenttype"] == "application/json"
        for field in ("match_id", "camera_id", "frame", "video_time_s", "margin_m", "margin_px"):
            assert field in event["data"]
        # wholly over (margin > 0) is a goal, unless it crossed outside the goal mouth (a reason)
        assert (event["data"]["margin_m"] > 0) == (event["type"] == "goalline.goal" or "reason" in event["data"])


def _clean_goal_with_cameras(*cameras: dict):
    document = yaml.safe_load((SCENARIO_DIR / "clean_goal.yaml").read_text())
    document["cameras"] += list(cameras)
    return MatchPlay.of(Scenario.model_validate(document))


def test_a_25_fps_camera_keeps_a_shot_that_moves_a_metre_between_frames():
    play = _clean_goal_with_cameras({"id": "slow", "goal": "north", "fps": 25, "resolution_px": [1920, 1080]})
    decisions = play_scenario(play, EventOutputs(None, None, stdout=io.StringIO()))
    slow = next(camera for camera in play.cameras if camera.camera_id == "slow")
    expected = play.expected_calls(slow)[0]
    assert agrees(expected, decisions["slow"])


def test_a_camera_whose_goal_sees_no_incident_records_nothing_and_the_others_go_on():
    play = _clean_goal_with_cameras({"id": "idle", "goal": "south"})
    decisions = play_scenario(play, EventOutputs(None, None, stdout=io.StringIO()))
    assert play.idle_camera_ids == ["idle"]
    assert [d.kind for d in decisions["north-gl"]] == ["goal"]


def test_a_ball_resting_in_the_net_for_most_of_the_clip_leaves_no_ghost_goal():
    document = yaml.safe_load((SCENARIO_DIR / "clean_goal.yaml").read_text())
    shot = document["timeline"][0]
    shot["duration_s"] = 4.0  # the ball lies in the net for most of the stream: the learnt background holds it
    wide = dict(shot, at="10:00", label="Wide of the far post", aim_m=[-9.0, 0.0, 1.0], spin_radps=[0, 0, 0])
    document["timeline"].insert(0, wide)
    play = MatchPlay.of(Scenario.model_validate(document))
    decisions = play_scenario(play, EventOutputs(None, None, stdout=io.StringIO()))["north-gl"]
    calls = play.expected_calls(play.cameras[0])
    assert calls[0].outside_mouth and calls[0].kind == "no_goal"  # the wide shot crossed the line's extension
    for expected in calls:
        mine = [d for d in decisions if expected.first_frame <= d.frame_index <= expected.last_frame]
        assert agrees(expected, mine), (expected, mine)
