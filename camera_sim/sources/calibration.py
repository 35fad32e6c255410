"""Clip calibration (CONTRACT section 2), read and written as YAML."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from camera_sim import laws
from camera_sim.errors import InputError
from camera_sim.goal_line import GeometryError, GoalLine
from camera_sim.validation import load_model

PixelPoint = tuple[float, float]


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

    def line(self) -> GoalLine:
        """The goal line in the image, oriented to the goal side (GeometryError if degenerate)."""
        return GoalLine.through(self.goal_line[0], self.goal_line[1], self.goal_side)


def load_calibration(path: str | Path) -> Calibration:
    """Load and check a calibration file; InputError (one line) on any fault."""
    calibration = load_model(path, Calibration, "goal_line and goal_side")
    try:
        calibration.line()
    except GeometryError as error:
        field = "goal_line" if "goal_line" in str(error) else "goal_side"
        raise InputError(path, field, str(error)) from None
    return calibration


def write_calibration(calibration: Calibration, path: Path, comment: str = "") -> None:
    """Write a calibration as CONTRACT section 2 YAML, with `comment` as # lines on top."""
    document = calibration.model_dump(exclude_none=True)
    document = {key: ([list(p) for p in value] if key == "goal_line" else list(value) if isinstance(value, tuple) else value)
                for key, value in document.items()}
    header = "".join(f"# {line}\n" for line in comment.splitlines())
    path.write_text(header + yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
