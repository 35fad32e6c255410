"""The goal line as the camera sees it: a straight image line with a goal side.

Shared by the calibration (which defines it), detection (which must not fit the ball's circle
to the edge the goal frame cuts along it) and the decision (which measures against it).

>>> line = GoalLine.through((10.0, 0.0), (10.0, 100.0), goal_side=(50.0, 50.0))
>>> line.signed_distance_px((13.0, 40.0))
3.0
>>> line.signed_distance_px((4.0, 40.0))
-6.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Point = tuple[float, float]
MIN_SEPARATION_PX = 1.0
"""Calibration points closer than a pixel define no direction."""


class GeometryError(ValueError):
    """The points given cannot define a goal line."""


@dataclass(frozen=True)
class GoalLine:
    """Image line n . p + c = 0 with unit normal n pointing to the goal side (pixels)."""

    normal: Point
    offset: float

    @classmethod
    def through(cls, first: Point, second: Point, goal_side: Point) -> "GoalLine":
        """The line through two points of the goal-side edge, oriented towards `goal_side`."""
        if not all(math.isfinite(value) for value in (*first, *second, *goal_side)):
            raise GeometryError("goal_line and goal_side must be finite numbers")
        dx, dy = second[0] - first[0], second[1] - first[1]
        length = math.hypot(dx, dy)
        if length < MIN_SEPARATION_PX:
            raise GeometryError("the two goal_line points must be at least 1 px apart")
        normal = (-dy / length, dx / length)
        offset = -(normal[0] * first[0] + normal[1] * first[1])
        side = normal[0] * goal_side[0] + normal[1] * goal_side[1] + offset
        if not all(math.isfinite(value) for value in (*normal, offset, side)):  # overflowed: near 1e308
            raise GeometryError("goal_line and goal_side are too large to compute with")
        if abs(side) < MIN_SEPARATION_PX:
            raise GeometryError("goal_side must lie at least 1 px off the goal line")
        if side < 0:
            normal, offset = (-normal[0], -normal[1]), -offset
        return cls(normal, offset)

    def signed_distance_px(self, point: Point) -> float:
        """Distance of a pixel position from the line; positive on the goal side."""
        return self.normal[0] * point[0] + self.normal[1] * point[1] + self.offset
