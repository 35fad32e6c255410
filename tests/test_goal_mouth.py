"""Law 10's "between the posts and under the bar" from one goal-line camera: the ball's apparent
size places its crossing in the goal plane; a crossing outside the mouth, or too near it to tell,
is never a goal. Small real inputs: a rendered scenario, a clip written by `render`."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import yaml

from camera_sim.commands.scenario import play_scenario
from camera_sim.expectations import missed_expectations
from camera_sim.matchplay import MatchPlay
from camera_sim.outputs import EventOutputs
from camera_sim.scenario.loader import load_scenario
from camera_sim.goal_mouth import GROUND_TOLERANCE_M
from camera_sim.sources.calibration import Calibration
from tests.test_bad_input import VALID_CALIBRATION, assert_bad_input, full_clip, run_cli, write_calibration  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
OUTSIDE = ROOT / "scenarios" / "outside_the_mouth.yaml"
WIDE_ROLL = 0
"""outside_the_mouth.yaml's first incident: rolled over the line 1 m wide of the near post."""
WIDE_DRIVE = 1
"""Its second: a drive 0.7 m wide of the far post."""
INSIDE = 4
"""Its last: a low drive inside the far post, the only goal."""


@pytest.fixture(scope="module")
def outside_played():
    play = MatchPlay.of(load_scenario(OUTSIDE))
    outputs = EventOutputs(None, None, stdout=io.StringIO())
    return play, play_scenario(play, outputs), outputs.events


def calls(events: list[dict]) -> list[dict]:
    return [e for e in events if e["type"] in ("goalline.goal", "goalline.no_goal")]


def test_the_cameras_pose_in_the_goal_plane_comes_from_where_it_sees_the_mouths_corners():
    play = MatchPlay.of(load_scenario(OUTSIDE))
    camera = play.cameras[0]
    view = camera.calibration(play.ball_diameter_m).mouth_view(tuple(camera.config.resolution_px))
    expected = [camera.config.distance_m, camera.config.height_m]  # side "right": x = +distance
    assert view.centre_m == pytest.approx(expected, abs=0.01)


def test_balls_over_the_line_wide_of_a_post_over_the_bar_or_onto_the_roof_are_no_goals_with_a_reason(outside_played):
    _, _, events = outside_played
    outside = calls(events)[:INSIDE]
    assert len(calls(events)) == INSIDE + 1
    for event in outside:
        assert event["type"] == "goalline.no_goal", event["data"]
        assert event["data"]["reason"] in ("outside_mouth", "mouth_uncertain")
        assert event["data"]["in_mouth"] is not True


def test_only_the_goal_inside_the_mouth_counts_on_the_scoreboard(outside_played):
    _, _, events = outside_played
    goals = [e for e in calls(events) if e["type"] == "goalline.goal"]
    assert len(goals) == 1 and goals[0]["data"]["in_mouth"] is True
    assert abs(goals[0]["data"]["goal_plane_m"]["x"]) < 3.66 - 0.11
    assert events[-1]["data"]["score"] == {"home": 1, "away": 0}


def test_every_expectation_of_the_scenario_is_met(outside_played):
    play, decisions, _ = outside_played
    assert missed_expectations(play, decisions) == []


def test_run_exits_1_naming_each_incident_whose_expectation_is_missed(tmp_path):
    document = yaml.safe_load(OUTSIDE.read_text())
    document["timeline"] = [dict(document["timeline"][WIDE_ROLL], expect="goal")]
    path = tmp_path / "wrong_expectation.yaml"
    path.write_text(yaml.safe_dump(document))
    result = run_cli("run", path, "--no-publish", "--no-pictures")
    assert result.returncode == 1, result.stderr
    assert "expectation missed: timeline[0] (Rolled over the line 1 m wide of the near post): expected goal, " \
           "called no_goal" in " ".join(result.stderr.split())


def test_video_places_a_rendered_clip_like_run_from_the_calibration_render_writes(tmp_path):
    document = yaml.safe_load(OUTSIDE.read_text())
    document["timeline"] = [document["timeline"][WIDE_DRIVE]]
    scenario = tmp_path / "wide.yaml"
    scenario.write_text(yaml.safe_dump(document))
    assert run_cli("render", scenario, "--out", tmp_path / "clips").returncode == 0
    calibration = yaml.safe_load((tmp_path / "clips" / "north-gl.calib.yaml").read_text())
    assert {"focal_px", "goal_mouth_px"} <= calibration.keys()
    out = tmp_path / "events.jsonl"
    result = run_cli("video", tmp_path / "clips" / "north-gl.mp4", "--no-publish", "--no-pictures",
                     "--events-out", out)
    assert result.returncode == 0, result.stderr
    decided = calls([json.loads(line) for line in out.read_text().splitlines()])
    assert [(e["type"], e["data"]["reason"]) for e in decided] == [("goalline.no_goal", "outside_mouth")]


def test_without_the_mouth_in_the_calibration_a_goal_says_in_mouth_null():
    calibration = Calibration.model_validate(VALID_CALIBRATION)
    assert calibration.mouth_view((640, 480)) is None


def test_a_calibration_with_a_focal_length_but_no_mouth_is_bad_input(full_clip, tmp_path):  # noqa: F811
    path = write_calibration(full_clip.with_suffix(".calib.yaml"), yaml.safe_dump(dict(VALID_CALIBRATION, focal_px=900.0)))
    assert_bad_input(run_cli("video", full_clip, "--no-publish"), path, "goal_mouth_px")


def test_mouth_corners_that_no_camera_in_the_plane_could_see_are_bad_input(full_clip, tmp_path):  # noqa: F811
    (x1, y1), (x2, y2) = VALID_CALIBRATION["goal_line"]
    on_line = [[x1 + (x2 - x1) * share, y1 + (y2 - y1) * share] for share in (0.2, 0.9, 0.25, 0.3)]
    corners = dict(zip(("left_post_foot", "right_post_foot", "left_bar_end", "right_bar_end"), on_line))
    path = write_calibration(full_clip.with_suffix(".calib.yaml"),
                             yaml.safe_dump(dict(VALID_CALIBRATION, focal_px=900.0, goal_mouth_px=corners)))
    assert_bad_input(run_cli("video", full_clip, "--no-publish"), path, "goal_mouth_px")


def test_mouth_corners_given_in_the_wrong_order_are_refused_not_mirrored():
    from camera_sim.goal_line import GoalLine
    from camera_sim.goal_mouth import MouthGeometryError, MouthView
    line = GoalLine.through((0.0, 360.0), (1280.0, 360.0), goal_side=(0.0, 400.0))
    feet_and_bar = [(640 - 1000 * drop / depth, 360.0) for drop, depth in ((4, 13.66), (4, 6.34), (1.56, 13.66), (1.56, 6.34))]
    assert MouthView.resect(1000.0, (640.0, 360.0), line, feet_and_bar, 7.32, 2.44).centre_m[1] == pytest.approx(4.0)
    bar_and_feet = feet_and_bar[2:] + feet_and_bar[:2]  # the bar's ends given as the posts' feet
    with pytest.raises(MouthGeometryError):
        MouthView.resect(1000.0, (640.0, 360.0), line, bar_and_feet, 7.32, 2.44)


def _doctest_view():
    """The module doctest's camera: 10 m beside the middle of the goal, 4 m up, f = 1000 px."""
    from camera_sim.goal_line import GoalLine
    from camera_sim.goal_mouth import MouthView
    line = GoalLine.through((0.0, 360.0), (1280.0, 360.0), goal_side=(0.0, 400.0))
    corners = [(640 - 1000 * drop / depth, 360.0) for drop, depth in ((4, 13.66), (4, 6.34), (1.56, 13.66), (1.56, 6.34))]
    return MouthView.resect(1000.0, (640.0, 360.0), line, corners, goal_width_m=7.32, goal_height_m=2.44)


def _seen_at(x: float, z: float, size: float = 1.0, ball_radius_m: float = 0.11):
    """Image centre and radius (times `size`) of a ball crossing the doctest camera's plane at (x, z)."""
    import math
    depth, drop = 10.0 - x, 4.0 - z
    u = 640 - 1000 * drop / depth
    cos_phi = 1000 / math.hypot(1000, u - 640)
    angular = math.asin(ball_radius_m / math.hypot(depth, drop))
    return (u, 360.0), size * math.tan(angular) * 1000 * (1 / cos_phi + 1 / cos_phi**2) / 2


def test_a_ball_on_the_ground_near_a_post_is_placed_where_its_ray_meets_the_ground():
    view = _doctest_view()
    centre, radius = _seen_at(-3.2, 0.11)  # rolling 0.46 m inside the far post
    sightings = [(frame, centre, radius) for frame in (8, 9, 11)]
    place = view.place(sightings, at_frame=10, ball_radius_m=0.11, frame_period_s=0.004)
    # Its uncertainty along the ray reaches past the post, but only under the ground.
    assert place.verdict == "in_mouth"
    assert place.z_m >= 0.11 - GROUND_TOLERANCE_M - 1e-9
    too_small = [(frame, centre, 0.85 * radius) for frame in (8, 9, 11)]  # placed 2.4 m too far: wholly under the ground
    assert view.place(too_small, at_frame=10, ball_radius_m=0.11, frame_period_s=0.004).verdict == "mouth_uncertain"


def test_a_crossing_far_from_every_sized_frame_takes_its_ray_from_the_nearest_frame_that_saw_the_ball():
    view = _doctest_view()
    at = (-1.0, 1.0)
    # Six sized frames 0.1 s before the crossing, their sizes 2 % noisy (the line through them
    # read that far off is a guess: their mean, allowing for the drift since, is surer).
    sightings = [(frame, *_seen_at(at[0], at[1], 1.02 if frame % 2 else 0.98)) for frame in range(70, 76)]
    without = view.place(sightings, at_frame=100, ball_radius_m=0.11, frame_period_s=0.004)
    with_ray = view.place(sightings, at_frame=100, ball_radius_m=0.11, frame_period_s=0.004,
                          crossing_ray=(_seen_at(*at)[0], 1.0))
    assert without.sigma_across_m > 1.0 and with_ray.sigma_across_m == pytest.approx(0.05)  # 3 cm, 4 cm of drift
    assert with_ray.sigma_m == without.sigma_m  # the distance along the ray still allows for the drift
