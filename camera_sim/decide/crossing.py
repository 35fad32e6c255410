"""Law 10 at one camera: a goal once the whole ball is over the whole line, on evidence from
several frames; a no-goal when part of the ball passed the line and it went back out.

Pure logic on numbers: distances in pixels from the goal line, positive on the goal side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

CONFIRM_FRAMES = 2
"""Measured frames in a row that must agree before a side counts (never one frame's blob)."""


@dataclass(frozen=True)
class LineCall:
    """A decision about one approach of the ball to the line.

    frame_index: for a goal, the first frame with the whole ball over; for a no-goal,
    the frame of the ball's deepest point.
    margin_px: trailing edge past the line in that frame (positive = wholly over).
    radius_px: the ball's image radius in that frame (the ruler for metres).
    crossing_frame: fractional frame at which the trailing edge crossed (goals only).
    decided_frame: the frame whose evidence settled the call.
    """

    kind: Literal["goal", "no_goal"]
    frame_index: int
    margin_px: float
    radius_px: float
    crossing_frame: float | None
    decided_frame: int


@dataclass
class _Sample:
    frame_index: int
    margin_px: float
    radius_px: float


class CrossingJudge:
    """Feeds on per-frame ball circles; returns calls as soon as the evidence settles them."""

    def __init__(self) -> None:
        self._wholly_over = False  # a goal was given and the ball has not come back out yet
        self._over_run: list[_Sample] = []
        self._before_run: _Sample | None = None
        self._deepest: _Sample | None = None
        self._part_over_frames = 0
        self._out_frames = 0

    def observe(self, frame_index: int, centre_distance_px: float, radius_px: float) -> list[LineCall]:
        """One measured frame: the ball centre's signed distance from the line and its radius."""
        sample = _Sample(frame_index, centre_distance_px - radius_px, radius_px)
        leading_px = centre_distance_px + radius_px
        if self._wholly_over:
            self._before_run = sample  # a later crossing interpolates from its own last frame out
            self._watch_return(leading_px)
            return []
        if sample.margin_px > 0:
            return self._over(sample)
        self._before_run, self._over_run = sample, []
        if leading_px > 0:
            self._part_over(sample)
            return []
        return self._out(frame_index)

    def ball_lost(self, frame_index: int) -> list[LineCall]:
        """The ball left the view or the track ended: settle a pending no-goal."""
        self._over_run, self._before_run = [], None
        return self._settle_no_goal(frame_index)

    def _over(self, sample: _Sample) -> list[LineCall]:
        self._over_run.append(sample)
        if len(self._over_run) < CONFIRM_FRAMES:
            return []
        first = self._over_run[0]
        call = LineCall("goal", first.frame_index, first.margin_px, first.radius_px,
                        self._crossing_frame(first), sample.frame_index)
        self._wholly_over, self._deepest, self._part_over_frames = True, None, 0
        self._over_run, self._out_frames = [], 0
        return [call]

    def _crossing_frame(self, first: _Sample) -> float:
        before = self._before_run
        if before is None or before.frame_index >= first.frame_index:
            return float(first.frame_index)
        fraction = -before.margin_px / (first.margin_px - before.margin_px)
        return before.frame_index + fraction * (first.frame_index - before.frame_index)

    def _part_over(self, sample: _Sample) -> None:
        self._out_frames = 0
        self._part_over_frames += 1
        if self._deepest is None or sample.margin_px > self._deepest.margin_px:
            self._deepest = sample

    def _out(self, frame_index: int) -> list[LineCall]:
        self._out_frames += 1
        if self._out_frames < CONFIRM_FRAMES:
            return []
        return self._settle_no_goal(frame_index)

    def _settle_no_goal(self, frame_index: int) -> list[LineCall]:
        deepest, enough = self._deepest, self._part_over_frames >= CONFIRM_FRAMES
        self._deepest, self._part_over_frames = None, 0
        if deepest is None or not enough:
            return []
        return [LineCall("no_goal", deepest.frame_index, deepest.margin_px, deepest.radius_px, None, frame_index)]

    def _watch_return(self, leading_px: float) -> None:
        self._out_frames = self._out_frames + 1 if leading_px < 0 else 0
        if self._out_frames >= CONFIRM_FRAMES:
            self._wholly_over, self._out_frames = False, 0
