"""Ground truth from the physics: when the whole ball was over the whole line.

Only for checking decisions; the decision path never reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from camera_sim.physics.simulate import Trajectory
from camera_sim.scenario.schema import Geometry


@dataclass(frozen=True)
class Crossing:
    time_s: float
    """When the ball's trailing edge passed the goal-side edge of the line (incident time)."""
    in_mouth: bool
    """Between the posts and under the bar at that moment (else: over the line but wide or high)."""


@dataclass(frozen=True)
class LineTruth:
    """What happened at the line during one incident."""

    crossings: list[Crossing] = field(default_factory=list)
    deepest_margin_m: float = float("-inf")
    """Largest signed margin (trailing edge past the line's goal-side edge; > 0 = wholly over)."""
    deepest_time_s: float = 0.0
    touched_line: bool = False
    """Part of the ball passed the goal-side edge of the line at some moment."""

    @property
    def expected(self) -> str | None:
        """The right call (Law 10): 'goal' when the whole ball crossed between the posts and under
        the bar, 'no_goal' when part of it passed the line or it crossed outside the mouth, else None."""
        if self.goal:
            return "goal"
        return "no_goal" if self.touched_line or self.crossings else None

    @property
    def goal(self) -> bool:
        """The whole ball crossed the line inside the goal mouth at least once."""
        return any(c.in_mouth for c in self.crossings)

    @property
    def outside_mouth(self) -> bool:
        """The whole ball crossed the line only outside the mouth (wide, over the bar, the net's roof)."""
        return bool(self.crossings) and not self.goal


def line_truth(trajectory: Trajectory, geometry: Geometry) -> LineTruth:
    """Crossings of the whole ball over the line's goal-side edge, found on the dense trajectory."""
    radius = geometry.ball_diameter_m / 2
    t = trajectory.times_s
    p = trajectory.positions_m
    margin = p[:, 1] - radius
    deepest = int(np.argmax(margin))
    over = margin > 0
    crossings = []
    for i in np.flatnonzero(~over[:-1] & over[1:]):
        fraction = -margin[i] / (margin[i + 1] - margin[i])
        time = float(t[i] + fraction * (t[i + 1] - t[i]))
        x, _, z = p[i + 1]
        crossings.append(Crossing(time, abs(x) < geometry.goal_width_m / 2 and z < geometry.goal_height_m))
    return LineTruth(
        crossings=crossings,
        deepest_margin_m=float(margin[deepest]),
        deepest_time_s=float(t[deepest]),
        touched_line=bool(np.any(margin > -2 * radius)),
    )
