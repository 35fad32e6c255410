"""Clip calibration (CONTRACT section 2), read and written as YAML."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field

from camera_sim import laws
from camera_sim.camera.pinhole import GOAL_LINE_NORMAL, PinholeCamera
from camera_sim.goal_mouth import MouthGeometryError, MouthView
from camera_sim.errors import InputError
from camera_sim.goal_line import GeometryError, GoalLine
from camera_sim.validation import load_model

PixelPoint = tuple[float, float]
CALIBRATION_DEPTH_M = 1.0
"""The goal-side hint point of a calibration made from a camera model is this far into the goal."""


class GoalMouthCorners(BaseModel):
    """Where the camera sees the goal mouth's inner corners: four pixel points on the goal line's
    image (left and right as seen from the field, looking at the goal)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    left_post_foot: PixelPoint
    """Where the left post's inner edge meets the ground."""
    right_post_foot: PixelPoint
    """Where the right post's inner edge meets the ground."""
    left_bar_end: PixelPoint
    """Where the crossbar's lower edge meets the left post's inner edge."""
    right_bar_end: PixelPoint
    """Where the crossbar's lower edge meets the right post's inner edge."""


class Calibration(BaseModel):
    """What a clip needs besides its pixels. Keys beyond CONTRACT section 2 are optional."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    goal_line: tuple[PixelPoint, PixelPoint]
    """Two pixel points on the goal-side edge of the painted goal line."""
    goal_side: PixelPoint
    """Any pixel point on the goal side of that edge."""
    fps: float | None = Field(None, gt=0.0, le=10000.0)
    """Overrides the frame rate the container reports."""
    ball_diameter_m: float = Field(laws.BALL_DIAMETER_M, gt=0.05, le=0.5)
    """Project key: the ball's true diameter, the ruler that turns pixel margins into metres."""
    focal_px: float | None = Field(None, gt=10.0, le=100000.0)
    """Project key: the camera's focal length in pixels (with goal_mouth_px, the ball's apparent
    size places the crossing between the posts and under the bar, or outside them)."""
    principal_point_px: PixelPoint | None = None
    """Project key: where the optical axis meets the image (px); default the frame's centre."""
    goal_mouth_px: GoalMouthCorners | None = None
    """Project key: the goal mouth's inner corners in the image; needs focal_px."""
    goal_width_m: float = Field(laws.GOAL_WIDTH_M, gt=3.0, le=12.0)
    """Project key: between the posts' inner edges (Law 1)."""
    goal_height_m: float = Field(laws.GOAL_HEIGHT_M, gt=1.0, le=4.0)
    """Project key: from the ground to the crossbar's lower edge (Law 1)."""
    exposure_s: float | None = Field(None, ge=0.0, le=1.0)
    """Project key: the shutter's open time (s), a camera setting. A ball moving during the
    exposure is smeared along its motion; knowing by how much, the rim fit reads each edge at
    mid-exposure (BallDetector). Without it no smear is allowed for (margins of fast balls read
    a few mm short)."""
    cuts: list[Annotated[int, Field(ge=1)]] = []
    """Project key: frame indices where a new recording starts (a clip of several moments put
    back to back): no ball is followed across a cut."""

    def line(self) -> GoalLine:
        """The goal line in the image, oriented to the goal side (GeometryError if degenerate)."""
        return GoalLine.through(self.goal_line[0], self.goal_line[1], self.goal_side)

    def mouth_view(self, frame_size: tuple[int, int]) -> MouthView | None:
        """The camera's pose in the goal plane, when the calibration says where the mouth is;
        None without focal_px and goal_mouth_px. MouthGeometryError if the corners do not fit.

        frame_size: (width, height) px, for the default principal point.
        """
        if self.focal_px is None or self.goal_mouth_px is None:
            return None
        width, height = frame_size
        principal = self.principal_point_px or ((width - 1) / 2, (height - 1) / 2)
        mouth = self.goal_mouth_px
        corners = (mouth.left_post_foot, mouth.right_post_foot, mouth.left_bar_end, mouth.right_bar_end)
        return MouthView.resect(self.focal_px, principal, self.line(), corners, self.goal_width_m, self.goal_height_m)


def load_calibration(path: str | Path) -> Calibration:
    """Load and check a calibration file; InputError (one line) on any fault."""
    calibration = load_model(path, Calibration, "goal_line and goal_side")
    try:
        calibration.line()
    except GeometryError as error:
        field = "goal_line" if "goal_line" in str(error) else "goal_side"
        raise InputError(path, field, str(error)) from None
    if (calibration.goal_mouth_px is None) != (calibration.focal_px is None):
        given, missing = ("goal_mouth_px", "focal_px") if calibration.focal_px is None else ("focal_px", "goal_mouth_px")
        raise InputError(path, missing, f"{given} needs {missing} too (the two place the crossing in the goal mouth)")
    return calibration


def check_mouth(calibration: Calibration, frame_size: tuple[int, int], path: str | Path) -> None:
    """InputError naming goal_mouth_px when its corners cannot be a goal mouth seen from the plane."""
    try:
        calibration.mouth_view(frame_size)
    except MouthGeometryError as error:
        raise InputError(path, "goal_mouth_px", str(error)) from None


def calibration_of_camera(pinhole: PinholeCamera, in_line_plane: bool, goal_width_m: float, goal_height_m: float,
                          ball_diameter_m: float, fps: float, exposure_s: float | None, cuts: list[int]) -> Calibration:
    """The calibration a camera model gives: the plane y = 0 seen as a line, the mouth's corners
    on it, the focal length; cuts: frames where a new recording starts.

    A camera off that plane sees it as an area: its calibration's line is the painted line's image
    on the ground, and it has no mouth corners (it cannot judge alone: see fused_goal.py)."""
    half = goal_width_m / 2
    inside = _pixel(pinhole.project(np.array([[0.0, CALIBRATION_DEPTH_M, 1.0 if in_line_plane else 0.0]]))[0])
    common = dict(goal_side=inside, fps=fps, ball_diameter_m=ball_diameter_m, focal_px=round(pinhole.focal_px, 3),
                  principal_point_px=_pixel(pinhole.K[:2, 2]), cuts=cuts, exposure_s=exposure_s)
    if not in_line_plane:
        ends = pinhole.project(np.array([[-half, 0.0, 0.0], [half, 0.0, 0.0]]))
        return Calibration(goal_line=(_pixel(ends[0]), _pixel(ends[1])), **common)
    a, b, c = pinhole.image_line_of_plane(GOAL_LINE_NORMAL)
    width, height = pinhole.width_px, pinhole.height_px
    if abs(b) > abs(a):  # more horizontal: cut the left and right borders
        ends = [(0.0, -c / b), (width - 1.0, -(a * (width - 1.0) + c) / b)]
    else:
        ends = [(-c / a, 0.0), (-(b * (height - 1.0) + c) / a, height - 1.0)]
    corners = pinhole.project(np.array([[-half, 0.0, 0.0], [half, 0.0, 0.0],
                                        [-half, 0.0, goal_height_m], [half, 0.0, goal_height_m]]))
    left_foot, right_foot, left_bar, right_bar = (_pixel(point) for point in corners)
    return Calibration(goal_line=tuple((round(x, 3), round(y, 3)) for x, y in ends),
                       goal_mouth_px=GoalMouthCorners(left_post_foot=left_foot, right_post_foot=right_foot,
                                                      left_bar_end=left_bar, right_bar_end=right_bar),
                       goal_width_m=goal_width_m, goal_height_m=goal_height_m, **common)


def _pixel(point) -> tuple[float, float]:
    """A pixel position as written in a calibration (a thousandth of a pixel)."""
    return (round(float(point[0]), 3), round(float(point[1]), 3))


def write_calibration(calibration: Calibration, path: Path, comment: str = "") -> None:
    """Write a calibration as CONTRACT section 2 YAML, with `comment` as # lines on top."""
    document = _as_lists(calibration.model_dump(exclude_none=True))
    header = "".join(f"# {line}\n" for line in comment.splitlines())
    path.write_text(header + yaml.safe_dump(document, sort_keys=False), encoding="utf-8")


def _as_lists(value):
    """Tuples as YAML sequences (safe_dump writes no tuple), in nested dicts too."""
    if isinstance(value, dict):
        return {key: _as_lists(item) for key, item in value.items()}
    if isinstance(value, (tuple, list)):
        return [_as_lists(item) for item in value]
    return value
