"""The match-level judge: observations of several cameras fused in 3D, Law 10 in the goal frame.

Pure parts on projected points (the cameras' own projection, with noise where it matters); the
whole chain on rendered frames in test_scenarios.py (the seven-camera scenarios) and below.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from camera_sim.camera.pinhole import PinholeCamera
from camera_sim.commands.scenario import play_scenario
from camera_sim.decide.fusion import FusionJudge, GoalGeometry
from camera_sim.decide.observation import Observation
from camera_sim.decide.triangulate import fit_path
from camera_sim.matchplay import MatchPlay
from camera_sim.outputs import EventOutputs
from camera_sim.scenario.schema import Scenario
from camera_sim.truth_check import FRAME_TOLERANCE

ROOT = Path(__file__).resolve().parents[1]

GOAL = GoalGeometry(goal_width_m=7.32, goal_height_m=2.44, ball_radius_m=0.11)
CAMERAS = {
    "line-right": PinholeCamera.looking_at((16, 0, 9), (0, 0, 1), (1280, 720), 1700.0),
    "line-left": PinholeCamera.looking_at((-16, 0, 9), (0, 0, 1), (1280, 720), 1700.0),
    "stand-right": PinholeCamera.looking_at((10, -25, 12), (0, 0, 1), (1920, 1080), 2500.0,
                                            distortion=(-0.15, 0.03, 0.001, -0.001)),
    "stand-left": PinholeCamera.looking_at((-10, -25, 12), (0, 0, 1), (1920, 1080), 2500.0),
}
FPS = 500.0
SIGMA_PX = 0.2


def _seen(path, cameras=CAMERAS, fps=FPS, duration_s=0.6, sigma_px=SIGMA_PX, seed=0, offset_s=0.0):
    """Each camera's observations of a ball on `path` (t -> goal-frame point), in time order."""
    rng = np.random.default_rng(seed)
    observations = []
    for frame in range(int(duration_s * fps)):
        t = offset_s + frame / fps
        for camera_id, camera in cameras.items():
            centre = camera.project(path(t)[None])[0] + rng.normal(0.0, sigma_px, 2)
            observations.append(Observation(camera_id, t, frame, (float(centre[0]), float(centre[1])), sigma_px))
    return sorted(observations, key=lambda o: o.time_s)


def _judged(observations, cameras=CAMERAS, fps=FPS):
    judge = FusionJudge(cameras, {camera_id: fps for camera_id in cameras}, GOAL)
    return judge.observe(observations) + judge.finish()


def _shot(x_m, z_m, speed_mps=20.0):
    """A shot square to the line, crossing the goal plane at (x_m, z_m)."""
    t_cross = 6.0 / speed_mps
    return lambda t: np.array([x_m, -6.0 + speed_mps * t, z_m + 4.905 * (t_cross**2 - t**2)])


def test_a_point_seen_by_two_cameras_is_recovered_through_lens_distortion():
    point = np.array([1.2, 0.3, 0.8])
    cameras = {k: CAMERAS[k] for k in ("line-right", "stand-right")}
    seen = [Observation(k, 0.0, 0, tuple(c.project(point[None])[0]), SIGMA_PX) for k, c in cameras.items()]
    fit = fit_path(seen, cameras, t0_s=0.0, order=0)
    assert np.abs(fit.position_at(0.0) - point).max() < 1e-6


def test_the_stated_uncertainty_matches_the_scatter_of_noisy_fixes():
    path = _shot(1.0, 0.5)
    errors, stated = [], []
    for seed in range(150):
        near = [o for o in _seen(path, duration_s=0.02, seed=seed, offset_s=0.29)]
        fit = fit_path(near, CAMERAS, t0_s=0.3, order=2)
        errors.append(fit.position_at(0.3) - path(0.3))
        stated.append(np.sqrt(np.diag(fit.covariance_at(0.3))))
    z_scores = np.array(errors) / np.array(stated)
    assert np.all((0.7 < z_scores.std(axis=0)) & (z_scores.std(axis=0) < 1.3))
    assert np.sqrt(np.mean(np.square(errors), axis=0)).max() < 0.002  # 2 mm with 0.2 px errors


def test_a_camera_that_disagrees_with_the_others_is_dropped():
    path = _shot(1.0, 0.5)
    near = _seen(path, duration_s=0.01, offset_s=0.295)
    forged = [o if o.camera_id != "stand-left" else
              Observation(o.camera_id, o.time_s, o.frame_index, (o.centre_px[0] + 25, o.centre_px[1]), o.sigma_px)
              for o in near]
    fit = fit_path(forged, CAMERAS, t0_s=0.3, order=2)
    assert fit.rejected == ("stand-left",)
    assert np.abs(fit.position_at(0.3) - path(0.3)).max() < 0.003


def test_one_camera_alone_fixes_no_point():
    near = [o for o in _seen(_shot(1.0, 0.5), duration_s=0.02, offset_s=0.29) if o.camera_id == "line-right"]
    assert fit_path(near, CAMERAS, t0_s=0.3, order=2) is None


def test_cameras_at_other_frame_rates_and_start_times_are_fused_by_time():
    path = _shot(1.0, 0.5, speed_mps=30.0)
    fast = _seen(path, {"line-right": CAMERAS["line-right"]}, fps=500.0, duration_s=0.02, offset_s=0.19)
    slow = _seen(path, {"stand-left": CAMERAS["stand-left"]}, fps=50.0, duration_s=0.06, offset_s=0.1713)
    fit = fit_path(fast + slow, CAMERAS, t0_s=0.2, order=2)
    assert fit.cameras == ("line-right", "stand-left")
    assert np.abs(fit.position_at(0.2) - path(0.2)).max() < 0.005


def test_a_shot_into_the_mouth_is_one_goal_at_the_first_moment_wholly_over():
    path = _shot(1.0, 0.5)
    calls = _judged(_seen(path))
    assert [(c.kind, c.in_mouth) for c in calls] == [("goal", True)]
    wholly_over_s = (6.0 + GOAL.ball_radius_m) / 20.0
    assert wholly_over_s <= calls[0].time_s < wholly_over_s + 1 / FPS
    assert abs(calls[0].crossing_time_s - wholly_over_s) < 0.1 / FPS
    x_m, _, z_m = path(wholly_over_s)
    assert abs(calls[0].crossing_m[0] - x_m) < 0.003 and abs(calls[0].crossing_m[1] - z_m) < 0.003
    assert calls[0].cameras == tuple(sorted(CAMERAS))


@pytest.mark.parametrize("x_m, z_m", [(4.2, 0.5), (-4.0, 1.0), (0.0, 2.8)], ids=["wide-right", "wide-left", "over-bar"])
def test_a_ball_crossing_outside_the_mouth_is_a_no_goal_with_that_reason(x_m, z_m):
    calls = _judged(_seen(_shot(x_m, z_m)))
    assert [(c.kind, c.reason) for c in calls] == [("no_goal", "outside_mouth")]


def test_a_crossing_too_near_the_post_to_tell_is_never_a_goal():
    calls = _judged(_seen(_shot(3.655, 0.5), sigma_px=2.0))
    assert [(c.kind, c.reason) for c in calls] == [("no_goal", "mouth_uncertain")]


def test_a_ball_that_stops_on_the_line_is_one_no_goal_at_its_deepest():
    def stopped(t):  # rolls in and stops with its centre 3 cm past the goal-side edge
        return np.array([0.5, -3.0 + 3.03 * min(t, 0.5) / 0.5, 0.11])
    calls = _judged(_seen(stopped, duration_s=1.0))
    assert [c.kind for c in calls] == ["no_goal"]
    assert abs(calls[0].margin_m - (0.03 - GOAL.ball_radius_m)) < 0.003


def test_a_ball_back_off_the_post_into_the_field_is_a_no_goal():
    def off_the_post(t):  # in to 5 cm short of wholly over, then straight back out
        depth = 0.06 - abs(t - 0.3) * 10.0
        return np.array([3.5, depth, 0.5])
    calls = _judged(_seen(off_the_post))
    assert [c.kind for c in calls] == ["no_goal"]
    assert abs(calls[0].margin_m - (0.06 - GOAL.ball_radius_m)) < 0.003


def _impact(apex_margin_m: float, apex_s: float):
    """A ball driven at 50 km/h into something just behind (or before) the line and bouncing back
    at 60 % of its speed: its deepest point falls between frames at 250 frames/s."""
    apex_y = GOAL.ball_radius_m + apex_margin_m
    return lambda t: np.array([-1.0, apex_y - (13.9 * (apex_s - t) if t < apex_s else 8.3 * (t - apex_s)), 0.11])


@pytest.mark.parametrize("phase", [0.0, 0.4, 0.8])
def test_an_impact_whole_ball_over_only_between_frames_is_a_goal(phase):
    calls = _judged(_seen(_impact(0.02, 0.3 + phase / 250), fps=250.0), fps=250.0)
    assert [(c.kind, c.evidence) for c in calls] == [("goal", "impact")]


@pytest.mark.parametrize("phase", [0.0, 0.4, 0.8])
def test_an_impact_short_of_the_line_is_a_no_goal_read_at_its_apex(phase):
    calls = _judged(_seen(_impact(-0.01, 0.3 + phase / 250), fps=250.0), fps=250.0)
    assert [c.kind for c in calls] == ["no_goal"]
    assert calls[0].margin_m < 0


def test_a_ball_first_seen_already_over_the_line_is_not_a_goal():
    observations = [o for o in _seen(_shot(1.0, 0.5)) if o.time_s > 0.35]  # hidden until it was over
    assert [c.kind for c in _judged(observations)] == []


def _fused_scenario() -> dict:
    """Three small cameras on the north goal (one in the line's plane, two in the stands): a low
    drive inside the far post, then a drive 0.7 m wide of it."""
    return {
        "name": "fused", "seed": 4,
        "match": {"id": "fused", "home": "A", "away": "B", "kick_off": "2026-01-01T15:00:00Z"},
        "cameras": [
            {"id": "line", "goal": "north", "resolution_px": [640, 360], "fps": 100},
            {"id": "stand", "goal": "north", "resolution_px": [640, 360], "fps": 100,
             "position_m": [14.0, -12.0, 10.0], "look_at_m": [0.0, 0.0, 1.2], "fov_deg": 30},
            {"id": "roof", "goal": "north", "resolution_px": [640, 360], "fps": 100,
             "position_m": [-10.0, 4.0, 14.0], "look_at_m": [0.0, 0.0, 1.2], "fov_deg": 30},
        ],
        "timeline": [
            {"at": "10:00", "kind": "shot", "goal": "north", "from_m": [1.0, -14.0, 0.11], "speed_mps": 22,
             "aim_m": [-2.8, 1.0, 0.3], "duration_s": 1.2},
            {"at": "20:00", "kind": "shot", "goal": "north", "from_m": [-2.0, -16.0, 0.11], "speed_mps": 24,
             "aim_m": [-4.47, 1.0, 0.5], "duration_s": 1.2},
        ],
    }


@pytest.fixture(scope="module")
def fused_run():
    play = MatchPlay.of(Scenario.model_validate(_fused_scenario()))
    outputs = EventOutputs(None, None, stdout=io.StringIO())
    return play_scenario(play, outputs), outputs.events


@pytest.fixture(scope="module")
def fused_render(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("fused")
    scenario = out / "fused.yaml"
    scenario.write_text(yaml.safe_dump(_fused_scenario()), encoding="utf-8")
    subprocess.run([sys.executable, "-m", "camera_sim", "render", str(scenario), "--out", str(out)],
                   cwd=ROOT, check=True, capture_output=True)
    return out


def test_run_fuses_cameras_off_the_line_plane_into_one_call_per_crossing(fused_run):
    decisions, events = fused_run
    assert decisions["stand"] == [] and decisions["roof"] == []  # they only observe
    assert [(d.kind, d.reason, d.camera_id) for d in decisions["line"]] == [
        ("goal", None, "line"), ("no_goal", "outside_mouth", "line")]
    assert all({"line", "stand"} <= set(d.cameras) <= {"line", "stand", "roof"} for d in decisions["line"])
    goal = next(e for e in events if e["type"] == "goalline.goal")["data"]
    assert goal["cameras"] == list(decisions["line"][0].cameras) and goal["in_mouth"] is True
    assert set(goal["position_m"]) == {"x", "y", "z"} and goal["margin_sigma_m"] > 0


def test_render_writes_a_rig_and_video_of_it_gives_the_calls_run_gave(fused_render, fused_run, tmp_path):
    rig = yaml.safe_load((fused_render / "rig-north.yaml").read_text())
    assert [camera["id"] for camera in rig["cameras"]] == ["line", "stand", "roof"]
    assert not (fused_render / "stand.calib.yaml").exists()  # off the line's plane: no single-clip calibration
    events_out = tmp_path / "rig.jsonl"
    result = subprocess.run([sys.executable, "-m", "camera_sim", "video", "--rig", str(fused_render / "rig-north.yaml"),
                             "--no-publish", "--no-pictures", "--events-out", str(events_out)],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    from_video = [json.loads(line)["data"] for line in events_out.read_text().splitlines()]
    from_run = fused_run[0]["line"]
    assert [(d["camera_id"], d.get("reason"), d["in_mouth"]) for d in from_video] == [
        (d.camera_id, d.reason, d.in_mouth) for d in from_run]
    for ours, theirs in zip(from_video, from_run):
        assert abs(ours["frame"] - theirs.frame_index) <= FRAME_TOLERANCE
        assert abs(ours["margin_m"] - theirs.margin_m) <= 0.015  # the clips are MPEG-4 compressed


def _bad_rig(fused_render: Path, tmp_path: Path, change) -> Path:
    rig = yaml.safe_load((fused_render / "rig-north.yaml").read_text())
    for camera in rig["cameras"]:
        camera["clip"] = str(fused_render / camera["clip"])
    change(rig)
    path = tmp_path / "rig.yaml"
    path.write_text(yaml.safe_dump(rig), encoding="utf-8")
    return path


@pytest.mark.parametrize("change, field, words", [
    (lambda rig: rig["cameras"][1]["R"][0].__setitem__(0, 2.0), "cameras[1].R", "is not a rotation"),
    (lambda rig: rig["cameras"][2].__setitem__("clip", "nowhere.mp4"), "cameras[2].clip", "no such file"),
    (lambda rig: rig["cameras"][1].__setitem__("t", [0.0, 0.0, -30.0]), "cameras[1]", "cannot see the whole goal mouth"),
    (lambda rig: rig.__setitem__("cameras", rig["cameras"][:1]), "cameras", "at least 2"),
], ids=["not-a-rotation", "clip-missing", "mouth-not-in-view", "one-camera"])
def test_a_bad_rig_is_one_line_naming_the_field(fused_render, tmp_path, change, field, words):
    path = _bad_rig(fused_render, tmp_path, change)
    result = subprocess.run([sys.executable, "-m", "camera_sim", "video", "--rig", str(path), "--no-publish"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0] and field in lines[0] and words in lines[0], result.stderr
