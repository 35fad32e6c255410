"""Only the ball can score: a ball found again after it was hidden must be the ball the camera
followed (its size, its colour), or the crossing across the gap is not given. Small real inputs:
frames drawn here, through the same detection, tracking and judge as every clip."""

from __future__ import annotations

import numpy as np
import pytest
import cv2

from camera_sim.detect.background import learn_background
from camera_sim.pipeline import CameraJudge
from camera_sim.sources.calibration import Calibration

SIZE = (480, 240)
LINE_X = 300
"""The goal-side edge of the painted line; the goal side is to the right."""
RADIUS_PX = 10
FPS = 100.0
GRASS_BGR = (60, 130, 60)
WHITE_BGR = (235, 235, 235)
YELLOW_SHIRT_BGR = (30, 200, 230)
APPROACH = [(60 + 8 * n, 120) for n in range(25)]
"""A ball rolling at 8 px a frame (0.9 m/s at 100 frames/s) to 4 radii short of the line..."""
HIDDEN_FRAMES = 6
"""...then hidden (behind a player) for 6 frames..."""
BEYOND = [(LINE_X + 40 + 4 * n, 120) for n in range(30)]
"""...then something round is seen wholly over, 4 radii past the line."""


def frame(ball: tuple[int, int] | None, colour=WHITE_BGR, radius: int = RADIUS_PX) -> np.ndarray:
    image = np.full((SIZE[1], SIZE[0], 3), GRASS_BGR, np.uint8)
    image[:, LINE_X - 12:LINE_X] = WHITE_BGR  # the painted line, its goal-side edge at LINE_X
    if ball is not None:
        cv2.circle(image, ball, radius, colour, -1, lineType=cv2.LINE_AA)
    noise = np.random.default_rng(len(image)).normal(0, 2, image.shape)
    return np.clip(image + noise, 0, 255).astype(np.uint8)


def judged(frames: list[np.ndarray]) -> list:
    """Every call the judge makes on these frames, in order (the stream's end included)."""
    calibration = Calibration(goal_line=((LINE_X, 0), (LINE_X, SIZE[1] - 1)), goal_side=(LINE_X + 50, 120), fps=FPS)
    judge = CameraJudge("gl", calibration, learn_background([frame(None)] * 15), FPS)
    return [d for n, image in enumerate(frames) for d in judge.process(n, image)] + judge.finish()


def calls_for(beyond_colour, beyond_radius: int = RADIUS_PX) -> list:
    return judged([frame(p) for p in APPROACH] + [frame(None)] * HIDDEN_FRAMES
                  + [frame(p, beyond_colour, beyond_radius) for p in BEYOND])


def test_the_same_ball_seen_again_past_the_line_is_a_goal_across_the_hidden_frames():
    calls = calls_for(WHITE_BGR)
    assert [(c.kind, c.evidence) for c in calls] == [("goal", "interpolated")]


def test_a_yellow_shirt_seen_past_the_line_after_the_ball_was_hidden_is_no_goal():
    assert [c.kind for c in calls_for(YELLOW_SHIRT_BGR) if c.kind == "goal"] == []


@pytest.mark.parametrize("radius", [RADIUS_PX * 2, RADIUS_PX // 2])
def test_a_white_thing_of_another_size_seen_past_the_line_is_no_goal(radius):
    assert [c.kind for c in calls_for(WHITE_BGR, radius) if c.kind == "goal"] == []


BALL_PASSES = [(60 + 8 * n, 40) for n in range(20)]
"""The ball rolls past far from the line first: its size is learnt there."""


def elongated_frame(centre: tuple[int, int], half_length_radii: int) -> np.ndarray:
    """Something white as wide as the ball and longer, never round: a shin, a sock seen side-on."""
    image = frame(None)
    axes = (half_length_radii * RADIUS_PX, RADIUS_PX)
    cv2.ellipse(image, centre, axes, 0.0, 0, 360, WHITE_BGR, -1, lineType=cv2.LINE_AA)
    return image


def test_a_blob_as_wide_as_the_ball_but_never_round_makes_no_call_at_the_line():
    gone = [frame(None)] * 50
    sweeps = [elongated_frame((LINE_X - 120 + 30 * n, 170), 4) for n in range(9)]  # 30 px a frame along its length
    assert judged([frame(p) for p in BALL_PASSES] + gone + sweeps + gone) == []


def test_a_white_sock_swinging_over_the_white_line_after_the_ball_has_gone_scores_nothing():
    """Where the sock crosses the paint, its end on the goal side fits circles, of wandering sizes."""
    swings = [elongated_frame((LINE_X - 40 + round(45 * np.sin(n / 6)), 170), 5) for n in range(120)]
    calls = judged([frame(p) for p in BALL_PASSES] + swings)
    assert [c for c in calls if c.kind == "goal"] == []
