"""Decision pictures (issue 6 section 1): the frame at the decisive moment, cropped round the ball
and the line, the calibration's line and the detection's circle drawn where they are, the margin
written on it; saved beside the events, never sent through the broker."""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from camera_sim.commands import scenario as scenario_commands, video as video_command
from camera_sim.commands.scenario import play_scenario
from camera_sim.decide.crossing import CrossingJudge
from camera_sim.goal_line import GoalLine
from camera_sim.matchplay import MatchPlay
from camera_sim.outputs import EventOutputs
from camera_sim.pictures.draw import (CAPTION_HEIGHT_PX, CIRCLE_COLOUR_BGR, CROP_SIZE_PX, GOAL_TEXT_BGR,
                                      LINE_COLOUR_BGR, NO_GOAL_TEXT_BGR, draw_decision)
from camera_sim.pictures.scene import PictureScene, scene_of
from camera_sim.pictures.store import PictureStore
from camera_sim.pipeline import LineDecision
from camera_sim.scenario.loader import load_scenario
from camera_sim.sources.clip import ClipSource

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
COLOUR_TOLERANCE = 60.0
"""A drawn pixel is within this (Euclidean, BGR) of its colour; anti-aliasing blends only its edges."""
TEXT_PIXELS = 300
"""A headline in its colour covers well over this many pixels of the caption."""


@dataclass
class Played:
    """A scenario played with pictures: its one camera, its decisions and their events."""

    play: MatchPlay
    decisions: list[LineDecision]
    events: list[dict]
    store: PictureStore

    @property
    def camera(self):
        return self.play.recording_cameras[0]

    def line(self) -> GoalLine:
        return self.camera.calibration(self.play.ball_diameter_m).line()

    def scene(self, decision: LineDecision) -> PictureScene:
        assert self.play.scenario.conditions.shake_px == 0  # a steady camera: frame pixels are calibration pixels
        return scene_of(decision, self.line(), (0.0, 0.0), self.play.ball_diameter_m / 2,
                        self.play.scenario.geometry.line_width_m)

    def picture(self, decision: LineDecision) -> np.ndarray:
        """The saved PNG of a decision's event."""
        event = next(e for e in self.events if e["data"].get("frame") == decision.frame_index)
        return cv2.imread(event["data"]["picture"]["path"], cv2.IMREAD_COLOR)


def play_with_pictures(scenario: str, folder: Path) -> Played:
    play = MatchPlay.of(load_scenario(SCENARIOS / scenario))
    outputs = EventOutputs(None, None, stdout=io.StringIO())
    store = PictureStore.open(folder)
    decisions = play_scenario(play, outputs, pictures=store)
    (camera_decisions,) = decisions.values()
    return Played(play, camera_decisions, [e for e in outputs.events if "frame" in e["data"]], store)


@pytest.fixture(scope="module")
def clean_goal(tmp_path_factory) -> Played:
    played = play_with_pictures("clean_goal.yaml", tmp_path_factory.mktemp("pictures"))
    assert [d.kind for d in played.decisions] == ["goal"]
    return played


@pytest.fixture(scope="module")
def saved_on_the_line(tmp_path_factory) -> Played:
    played = play_with_pictures("saved_on_the_line.yaml", tmp_path_factory.mktemp("pictures"))
    assert [d.kind for d in played.decisions] == ["no_goal"]
    return played


def near(pixel: np.ndarray, colour) -> bool:
    return float(np.linalg.norm(pixel.astype(float) - np.array(colour, float))) < COLOUR_TOLERANCE


def colour_count(image: np.ndarray, colour) -> int:
    return int(np.count_nonzero(np.linalg.norm(image.astype(float) - np.array(colour, float), axis=2)
                                < COLOUR_TOLERANCE))


def pixel(image: np.ndarray, point) -> np.ndarray:
    return image[round(point[1]), round(point[0])]


def test_the_goal_event_references_its_picture_by_path_and_url(clean_goal):
    (event,) = clean_goal.events
    picture = event["data"]["picture"]
    match_id = event["subject"]
    assert picture == {"path": str(clean_goal.store.folder / match_id / f"{event['id']}.png"),
                       "url": f"/pictures/{match_id}/{event['id']}.png"}
    assert Path(picture["path"]).is_absolute() and cv2.imread(picture["path"]) is not None


def test_the_saved_picture_is_the_decisive_frame_drawn_with_the_detections_circle(clean_goal):
    (decision,) = clean_goal.decisions
    assert decision.ball_frame == decision.frame_index  # a measured goal: its first frame over has its circle
    drawn = draw_decision(clean_goal.camera.frame_again(decision.frame_index), clean_goal.scene(decision))
    assert np.array_equal(clean_goal.picture(decision), drawn.image)


def test_the_drawn_circle_lies_on_the_detected_ball_circle_and_leaves_its_centre(clean_goal):
    (decision,) = clean_goal.decisions
    image = clean_goal.picture(decision)
    view = draw_decision(clean_goal.camera.frame_again(decision.frame_index), clean_goal.scene(decision)).crop
    u, v = view.to_picture(decision.ball_centre_px)
    radius = view.scale * decision.ball_radius_px
    assert radius > 40  # enlarged: a 9 px ball is drawn several times its size
    angles = np.linspace(0, 2 * math.pi, 72, endpoint=False)
    rim = [(u + radius * math.cos(a), v + radius * math.sin(a)) for a in angles]
    assert sum(near(pixel(image, p), CIRCLE_COLOUR_BGR) for p in rim) >= 0.95 * len(rim)
    inside = [(u + 0.7 * radius * math.cos(a), v + 0.7 * radius * math.sin(a)) for a in angles]
    assert not near(pixel(image, (u, v)), CIRCLE_COLOUR_BGR)
    assert not any(near(pixel(image, p), CIRCLE_COLOUR_BGR) for p in inside)


def test_the_drawn_line_lies_where_the_calibrations_two_points_map(clean_goal):
    (decision,) = clean_goal.decisions
    image = clean_goal.picture(decision)
    view = draw_decision(clean_goal.camera.frame_again(decision.frame_index), clean_goal.scene(decision)).crop
    calibration = clean_goal.camera.calibration(clean_goal.play.ball_diameter_m)
    first, second = (np.array(view.to_picture(p)) for p in calibration.goal_line)
    ball = np.array(view.to_picture(decision.ball_centre_px))
    clear_of_ball = view.scale * decision.ball_radius_px + 6
    width, height = CROP_SIZE_PX
    on_line = [first + t * (second - first) for t in np.linspace(0, 1, 4001)]
    in_crop = [p for p in on_line if 2 <= p[0] < width - 2 and 2 <= p[1] < height - 2
               and np.linalg.norm(p - ball) > clear_of_ball]
    assert len(in_crop) > 100
    assert sum(near(pixel(image, p), LINE_COLOUR_BGR) for p in in_crop) >= 0.95 * len(in_crop)
    # and nowhere else: the pixels 8 px to either side of it are not the line's colour
    normal = np.array(calibration.line().normal)
    for side in (-8, 8):
        assert not any(near(pixel(image, p + side * normal), LINE_COLOUR_BGR) for p in in_crop[::10])


def test_the_goal_picture_writes_the_margin_in_centimetres_in_the_goal_colour(clean_goal):
    (decision,) = clean_goal.decisions
    assert 0.01 <= decision.margin_m < 0.10
    drawn = draw_decision(clean_goal.camera.frame_again(decision.frame_index), clean_goal.scene(decision))
    assert drawn.headline == f"GOAL — {decision.margin_m * 100:.0f} cm over"
    caption = clean_goal.picture(decision)[-CAPTION_HEIGHT_PX:]
    assert colour_count(caption, GOAL_TEXT_BGR) > TEXT_PIXELS
    assert colour_count(caption, NO_GOAL_TEXT_BGR) == 0


def test_a_no_goal_picture_says_no_goal_and_how_far_short(saved_on_the_line):
    (decision,) = saved_on_the_line.decisions
    drawn = draw_decision(saved_on_the_line.camera.frame_again(decision.frame_index),
                          saved_on_the_line.scene(decision))
    assert drawn.headline == f"NO GOAL — {-decision.margin_m:.2f} m short"  # about 12 cm
    caption = saved_on_the_line.picture(decision)[-CAPTION_HEIGHT_PX:]
    assert colour_count(caption, NO_GOAL_TEXT_BGR) > TEXT_PIXELS
    assert colour_count(caption, GOAL_TEXT_BGR) == 0


def test_small_margins_are_written_in_millimetres_and_unknown_metres_in_pixels(clean_goal):
    (decision,) = clean_goal.decisions
    frame = clean_goal.camera.frame_again(decision.frame_index)
    scene = clean_goal.scene(decision)
    assert draw_decision(frame, replace(scene, kind="no_goal", margin_m=-0.0041)).headline == "NO GOAL — 4 mm short"
    assert draw_decision(frame, replace(scene, margin_m=None, margin_px=5.13)).headline == "GOAL — 5.1 px over"


def test_a_hidden_crossing_is_shown_with_the_nearest_measured_circle():
    judge = CrossingJudge()
    calls = []
    for frame, distance in ((0, -30.0), (1, -15.0), (10, 25.0), (11, 30.0)):  # hidden in frames 2 to 9
        calls += judge.observe(frame, distance, 10.0, centre_px=(100.0 + frame, 50.0))
    (call,) = calls
    assert (call.evidence, call.frame_index) == ("interpolated", 7)  # crossed at 6.6
    assert (call.seen_frame, call.seen_centre_px, call.seen_radius_px) == (10, (110.0, 50.0), 10.0)


def test_a_picture_from_a_hidden_crossing_says_whose_circle_it_draws(clean_goal):
    (decision,) = clean_goal.decisions
    hidden = replace(decision, evidence="interpolated", hidden_frames=8, ball_frame=decision.frame_index + 3)
    scene = clean_goal.scene(hidden)
    drawn = draw_decision(clean_goal.camera.frame_again(decision.frame_index), scene)
    assert any(f"circle measured in frame {decision.frame_index + 3}" in line for line in drawn.text)


def test_rendering_a_frame_again_gives_its_pixels_and_leaves_the_frames_after_it_alone():
    def frames(replay: bool) -> list[np.ndarray]:
        camera = MatchPlay.of(load_scenario(SCENARIOS / "clean_goal.yaml")).recording_cameras[0]
        rendered = []
        for index in range(175, 181):
            rendered.append(camera.render_frame(index))
            if replay and index == 178:
                assert np.array_equal(camera.frame_again(177), rendered[2])
        return rendered

    assert all(np.array_equal(a, b) for a, b in zip(frames(replay=True), frames(replay=False)))


def test_video_saves_the_picture_of_each_decision_from_the_clip(tmp_path):
    scenario_commands.render(SCENARIOS / "clean_goal.yaml", tmp_path / "clip")
    clip_path = tmp_path / "clip" / "north-gl.mp4"
    outputs = EventOutputs(None, None, stdout=io.StringIO())
    assert video_command.video(clip_path, None, "clean-goal", lambda _: outputs, pictures_dir=tmp_path / "pictures") == 0
    (goal,) = [e for e in outputs.events if e["type"] == "goalline.goal"]
    saved = Path(goal["data"]["picture"]["path"])
    assert saved == tmp_path / "pictures" / "clean-goal" / f"{goal['id']}.png" and saved.is_file()
    clip = ClipSource(clip_path)
    frame_index = goal["data"]["frame"]
    in_order = next(frame for index, frame in clip.frames() if index == frame_index)
    assert np.array_equal(clip.frame_at(frame_index), in_order)


def test_run_saves_pictures_in_the_state_folder_unless_told_not_to(tmp_path, own_state_dir):
    def run(*options: str) -> list[dict]:
        events_out = tmp_path / "events.jsonl"
        subprocess.run([sys.executable, "-m", "camera_sim", "run", "scenarios/clean_goal.yaml", "--no-publish",
                        "--events-out", str(events_out), *options], cwd=ROOT, check=True, capture_output=True)
        return [json.loads(line) for line in events_out.read_text().splitlines()]

    (goal,) = [e for e in run() if e["type"] == "goalline.goal"]
    expected = own_state_dir.resolve() / "pictures" / "clean-goal" / f"{goal['id']}.png"
    assert Path(goal["data"]["picture"]["path"]) == expected and expected.is_file()
    (goal,) = [e for e in run("--no-pictures") if e["type"] == "goalline.goal"]
    assert "picture" not in goal["data"]
