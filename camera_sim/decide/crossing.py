"""Law 10 at one camera: a goal once the whole ball is over the whole line, on evidence from
several frames; a no-goal when part of the ball passed the line and it went back out.

Pure logic on numbers: distances in pixels from the goal line, positive on the goal side.
A careful official's rules of evidence:
- a side counts only when CONFIRM_FRAMES measured frames in a row agree (never one blob), but
  for one case: at the apex of an impact (a fast approach and rebound either side) a single
  frame measured with its whole rim 4 standard errors over, where the approach and rebound
  lines also meet past the line, is a goal;
- a no-goal, which can score nothing, may rest on one frame that shows part of the ball over
  far beyond its noise (at broadcast rates a near miss may be over for one frame only);
- a goal needs the same track seen on the field side of wholly-over first (a ball that first
  appears inside the goal gives no goal: nobody saw it cross);
- when the ball was hidden while it crossed (a goalkeeper in front), the first frame over comes
  from the trajectory on both sides of the gap, and the call says so (evidence "interpolated");
- every call states its confidence: the probability, under the measurement noise, that the
  decisive frames are on the side we read them on.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

CONFIRM_FRAMES = 2
"""Measured frames in a row that must agree before a side counts (never one frame's blob)."""
EDGE_SIGMA_PX = 0.3
"""Standard error of a trailing-edge position from a full rim fit (centre 0.2 px and radius,
tests/test_detect.py); doubled when the radius was held from the track."""
MAX_CONFIDENCE = 0.9999
"""Confidence is rounded down to this: no camera is certain."""
IMPACT_MIN_SPEED_PX = 1.0
"""A reversal is an impact (a wall, a post, a block) when the ball moves at least a pixel a frame
towards the line before it and away after it: then its deepest point lies between frames, where
the approach and the rebound lines meet."""
IMPACT_MIN_SIGMAS = 2.5
"""...and that meeting point counts as wholly over only 2.5 of its standard errors past the line
(a meeting point truly on the line passes with 0.6 % odds)."""
MEASURED_OVER_SIGMAS = 4.0
"""At the apex of an impact's V, one frame measured wholly over by 4 of its standard errors (1.2 px
for a full rim fit: 13 mm at 720p) is a goal on its own: Gaussian noise reads a ball on the line
that far over once in 30,000 frames, and the fast approach and rebound either side rule out a
lone misread blob."""
IMPACT_MAX_REBOUND = 1.2
"""A rebound is no faster than the approach (restitution below 1), give or take measurement noise."""
IMPACT_MAX_SPAN_FRAMES = 6
"""The five samples of a V nearest its apex may miss one frame further out (a ball over the white
paint is faint)."""
IMPACT_LINE_S = 0.016
"""Each line of the V is fitted (weighted least squares) to the 2 measured frames nearest the
deepest one on its side and, while they stay on a straight line with them, to any others within
16 ms of it (none below about 150 frames/s): between touches the ball flies straight at an even
speed, and over 16 ms drag (17 m/s/s at 130 km/h) bends its path a third of a millimetre from
the fitted line. At 250 frames/s lines through 4 frames a side put the meeting point about twice
as precisely as lines through the 2 nearest (0.27 against 0.5 of one frame's standard error,
Monte Carlo), and those 2 alone are the frames whose ball lies over the white line, read up to
a pixel short (bench_accuracy, impact wall at 720p). The meeting point's standard error is
propagated from every fitted frame's own (sigma_px), not assumed."""
PARTIAL_RIM_SIGMA_PX = 3.0
"""Standard error of a trailing edge fitted to part of the rim only (a ball half behind a post):
a circle fitted to 120 degrees of rim spreads its trailing edge ten times wider than one fitted
all round (Monte Carlo through the detector's robust circle fit, 0.2 px rim noise). Such a frame
never counts as wholly over (see CrossingJudge.observe)."""
UNSEEN_CONFIDENCE = 0.5
"""A no-goal about a ball lost from view while part over the line: a coin's worth of knowledge."""
RECENT_SAMPLES = 256
"""Frames kept of the current approach: all of its time near the line at 500 frames/s."""

Evidence = Literal["measured", "interpolated", "partly_hidden", "lost_at_line"]
Point = tuple[float, float]


@dataclass(frozen=True)
class LineCall:
    """A decision about one approach of the ball to the line.

    frame_index: for a goal, the first frame with the whole ball over; for a no-goal,
    the frame of the ball's deepest point.
    margin_px: trailing edge past the line in that frame (positive = wholly over); for a goal
    made only between frames (an impact), the deepest point the approach and rebound reach.
    radius_px: the ball's image radius in that frame (the ruler for metres).
    crossing_frame: fractional frame at which the trailing edge crossed (goals only).
    decided_frame: the frame whose evidence settled the call.
    confidence: probability (0.5-0.9999) that the call is right given the measurement noise.
    evidence: "measured" when the deciding frames were seen; "interpolated" (goal) when the ball was
    hidden as it crossed and the frame comes from the track on both sides of the gap;
    "partly_hidden" (no-goal) when some frames of its time over the line were not seen;
    "lost_at_line" (no-goal) when the ball was last seen part over the line and then lost from
    view, never seen back out: nobody saw where it went, so the call is only "not seen wholly
    over", with confidence 0.5.
    A goal is also "interpolated" (hidden_frames 0) when the ball was wholly over only between
    frames: a fast impact whose deepest point comes from the approach and rebound lines.
    hidden_frames: frames without a measurement in the stretch that decided the call.
    seen_frame, seen_centre_px, seen_radius_px: the measured circle that shows the call (for its
    picture; never used to decide): frame_index's own when that frame was measured, else the
    measured frame nearest it (a hidden or between-frames crossing). The centre is the caller's
    (observe's centre_px); None when it gave none.
    """

    kind: Literal["goal", "no_goal"]
    frame_index: int
    margin_px: float
    radius_px: float
    crossing_frame: float | None
    decided_frame: int
    confidence: float = MAX_CONFIDENCE
    evidence: Evidence = "measured"
    hidden_frames: int = 0
    seen_frame: int | None = None
    seen_centre_px: Point | None = None
    seen_radius_px: float | None = None


@dataclass(frozen=True)
class _Sample:
    frame_index: int
    margin_px: float
    radius_px: float
    radius_held: bool = False
    centre_px: Point | None = None
    """Carried through to the call's picture only."""
    partial_rim: bool = False

    def seen(self) -> dict:
        """The LineCall fields naming this sample as the circle that shows the call."""
        return {"seen_frame": self.frame_index, "seen_centre_px": self.centre_px, "seen_radius_px": self.radius_px}

    @property
    def sigma_px(self) -> float:
        if self.partial_rim:
            return PARTIAL_RIM_SIGMA_PX
        return EDGE_SIGMA_PX * (2.0 if self.radius_held else 1.0)


def confidence_of(margin_px: float, sigma_px: float) -> float:
    """P(the true margin has the sign of `margin_px`) for a Gaussian error of sigma_px.

    >>> confidence_of(0.0, 0.3)
    0.5
    >>> confidence_of(-0.6, 0.3)
    0.9772
    """
    value = 0.5 * (1.0 + math.erf(abs(margin_px) / (sigma_px * math.sqrt(2.0))))
    return round(min(value, MAX_CONFIDENCE), 4)


class CrossingJudge:
    """Feeds on per-frame ball circles; returns calls as soon as the evidence settles them."""

    def __init__(self, fps: float | None = None) -> None:
        """fps: the camera's frame rate, for the time an impact's lines may span (IMPACT_LINE_S);
        None: the 2 frames nearest the apex on each side only."""
        self._line_reach_frames = 0 if fps is None else round(IMPACT_LINE_S * fps)
        self._wholly_over = False  # a goal was given (or the ball was first seen inside) and it has not come out
        self._over_run: list[_Sample] = []
        self._first_over: _Sample | None = None
        self._before_run: _Sample | None = None
        self._deepest: _Sample | None = None
        self._part_over_frames = 0
        self._part_over_first: int | None = None
        self._last_part_over: int | None = None
        self._out_frames = 0
        self._over_unconfirmed = False  # this approach read the whole ball over, but no goal stood
        self._recent: deque[_Sample] = deque(maxlen=RECENT_SAMPLES)  # the latest measured frames of this approach

    def observe(self, frame_index: int, centre_distance_px: float, radius_px: float,
                radius_held: bool = False, centre_px: Point | None = None, partial_rim: bool = False
                ) -> list[LineCall]:
        """One measured frame: the ball centre's signed distance from the line and its radius.

        centre_px: where the centre is in the image, passed through to the calls (their pictures);
        the decision uses the distance only. partial_rim: the circle was fitted to part of the rim
        only: its margin is loose (PARTIAL_RIM_SIGMA_PX), and a frame read wholly over from it
        counts as a frame not seen, never as a frame over.
        """
        sample = _Sample(frame_index, centre_distance_px - radius_px, radius_px, radius_held, centre_px, partial_rim)
        leading_px = centre_distance_px + radius_px
        self._recent.append(sample)
        if self._wholly_over:
            self._before_run = sample  # a later crossing interpolates from its own last frame out
            self._watch_return(leading_px)
            return []
        if sample.margin_px > 0:
            self._over_unconfirmed = True
            return [] if partial_rim else self._over(sample)
        self._before_run, self._over_run, self._first_over = sample, [], None
        if leading_px > 0:
            self._part_over(sample)
            return []
        return self._out(frame_index)

    def ball_lost(self, frame_index: int) -> list[LineCall]:
        """The ball left the view or the track ended: settle a pending no-goal."""
        self._over_run, self._before_run, self._wholly_over, self._first_over = [], None, False, None
        calls = self._settle_no_goal(frame_index, seen_back_out=self._out_frames > 0)
        self._recent.clear()
        return calls

    def _over(self, sample: _Sample) -> list[LineCall]:
        if self._over_run and sample.frame_index != self._over_run[-1].frame_index + 1:
            self._over_run = []  # frames in a row: a frame between them unseen breaks the run
        self._over_run.append(sample)
        if self._first_over is None:
            self._first_over = sample  # the goal's frame, even if the confirming run starts later
        if len(self._over_run) < CONFIRM_FRAMES:
            return []
        before, first, run = self._before_run, self._first_over, self._over_run
        self._wholly_over, self._deepest, self._part_over_frames = True, None, 0
        self._part_over_first, self._last_part_over = None, None
        self._over_run, self._out_frames, self._first_over = [], 0, None
        self._over_unconfirmed = False
        self._recent.clear()
        if before is None:
            return []  # first seen inside the goal: nobody saw it cross
        best = max(run, key=lambda s: s.margin_px / s.sigma_px)
        return [self._goal(before, first, sample.frame_index, confidence_of(best.margin_px, best.sigma_px))]

    def _goal(self, before: _Sample, first: _Sample, decided_frame: int, confidence: float) -> LineCall:
        """The goal call: from the first frame seen over, or from the gap when the ball was hidden."""
        fraction = -before.margin_px / (first.margin_px - before.margin_px)
        crossing = before.frame_index + fraction * (first.frame_index - before.frame_index)
        hidden = first.frame_index - before.frame_index - 1
        if hidden == 0:
            return LineCall("goal", first.frame_index, first.margin_px, first.radius_px, crossing, decided_frame,
                            confidence, **first.seen())
        frame = min(math.floor(crossing) + 1, first.frame_index)
        share = (frame - before.frame_index) / (first.frame_index - before.frame_index)
        margin = before.margin_px + share * (first.margin_px - before.margin_px)
        radius = before.radius_px + share * (first.radius_px - before.radius_px)
        nearest = before if frame - before.frame_index < first.frame_index - frame else first
        return LineCall("goal", frame, margin, radius, crossing, decided_frame, confidence, "interpolated", hidden,
                        **nearest.seen())

    def _part_over(self, sample: _Sample) -> None:
        self._out_frames = 0
        self._part_over_frames += 1
        if self._part_over_first is None:
            self._part_over_first = sample.frame_index
        self._last_part_over = sample.frame_index
        if self._deepest is None or sample.margin_px > self._deepest.margin_px:
            self._deepest = sample

    def _out(self, frame_index: int) -> list[LineCall]:
        self._out_frames += 1
        if self._out_frames < CONFIRM_FRAMES:
            return []
        return self._settle_no_goal(frame_index, seen_back_out=True)

    def _settle_no_goal(self, frame_index: int, seen_back_out: bool) -> list[LineCall]:
        deepest, seen, over_read = self._deepest, self._part_over_frames, self._over_unconfirmed
        span = 0 if deepest is None else self._last_part_over - self._part_over_first + 1
        self._deepest, self._part_over_frames, self._part_over_first, self._last_part_over = None, 0, None, None
        self._over_unconfirmed = False
        one_frame = seen < CONFIRM_FRAMES
        if deepest is None or (one_frame and (over_read or not _clearly_part_over(deepest))):
            return []
        # An impact goal still needs CONFIRM_FRAMES frames part over: the one-frame rule is for no-goals only.
        impact = self._impact_goal(frame_index) if seen >= CONFIRM_FRAMES else None
        between = self._between_frames_confidence(deepest) if one_frame else None
        self._recent.clear()  # this approach is settled
        if impact is not None:
            return [impact]
        hidden = span - seen
        if not seen_back_out:  # lost while part over: it may have gone on over the line unseen
            return [LineCall("no_goal", deepest.frame_index, deepest.margin_px, deepest.radius_px, None, frame_index,
                             UNSEEN_CONFIDENCE, "lost_at_line", hidden, **deepest.seen())]
        # The deepest moment may have been hidden: trust the call in proportion to what was seen.
        confidence = 0.5 + (confidence_of(deepest.margin_px, deepest.sigma_px) - 0.5) * seen / span
        if over_read:
            confidence = UNSEEN_CONFIDENCE  # a frame read the whole ball over, though no goal stood
        elif between is not None:
            confidence = between
        return [LineCall("no_goal", deepest.frame_index, deepest.margin_px, deepest.radius_px, None, frame_index,
                         round(confidence, 4), "measured" if hidden == 0 else "partly_hidden", hidden,
                         **deepest.seen())]

    def _between_frames_confidence(self, deepest: _Sample) -> float:
        """A no-goal seen part over in one frame: the ball may have gone deeper between frames, by
        up to half the margin it moves from there to a neighbouring frame."""
        near = [s.margin_px for s in self._recent if abs(s.frame_index - deepest.frame_index) == 1]
        step_px = max((abs(m - deepest.margin_px) for m in near), default=math.inf)
        return confidence_of(min(deepest.margin_px + step_px / 2, 0.0), deepest.sigma_px)

    def _impact_goal(self, decided_frame: int) -> LineCall | None:
        """A goal between frames: the approach and rebound lines either side of the deepest frame
        meet past the line, and the deepest frame itself is not short of them (a ball that slowed
        before the line, or a lone frame read deeper than its neighbours, is no impact)."""
        recent = list(self._recent)
        k = max(range(len(recent)), key=lambda i: recent[i].margin_px)
        v = _V.around(recent, k, self._line_reach_frames)
        if v is None:
            return None
        deepest = recent[k]
        apex_sigma = v.sigma(lambda vv: vv.apex_px)
        # the deepest frame against the V at its own frame: each read with its own noise
        short_sigma = math.hypot(v.sigma(lambda vv: vv.at_px(deepest.frame_index)), deepest.sigma_px)
        deeper_sigma = math.hypot(apex_sigma, deepest.sigma_px)
        if (not deepest.radius_held and deepest.margin_px >= MEASURED_OVER_SIGMAS * deepest.sigma_px
                and 0 <= v.apex_px and deepest.margin_px <= v.apex_px + IMPACT_MIN_SIGMAS * deeper_sigma):
            # The apex frame itself shows the whole ball over, far beyond its noise, with its whole
            # rim, at the top of a V of fast frames either side and no deeper than that V allows
            # (a lone misread blob is): the ball went over and bounced back (a wall, a block).
            before = recent[k - 1]
            crossing = before.frame_index + (deepest.frame_index - before.frame_index) * -before.margin_px / (
                deepest.margin_px - before.margin_px)
            return LineCall("goal", deepest.frame_index, deepest.margin_px, deepest.radius_px, crossing, decided_frame,
                            confidence_of(deepest.margin_px, deepest.sigma_px), "measured", 0, **deepest.seen())
        if (v.apex_px < IMPACT_MIN_SIGMAS * apex_sigma
                or v.at_px(deepest.frame_index) - deepest.margin_px > IMPACT_MIN_SIGMAS * short_sigma):
            return None
        crossing = v.crossing_frame()
        frame = math.floor(crossing) + 1
        nearest = min(recent, key=lambda s: abs(s.frame_index - frame))
        # No frame shows the ball over: the call reports the deepest point the lines reach.
        return LineCall("goal", frame, v.apex_px, deepest.radius_px, crossing, decided_frame,
                        confidence_of(v.apex_px, apex_sigma), "interpolated", 0, **nearest.seen())

    def _watch_return(self, leading_px: float) -> None:
        self._out_frames = self._out_frames + 1 if leading_px < 0 else 0
        if self._out_frames >= CONFIRM_FRAMES:
            self._wholly_over, self._out_frames = False, 0


def _clearly_part_over(sample: _Sample) -> bool:
    """Its leading edge is past the line by MEASURED_OVER_SIGMAS of its noise: one such frame is
    enough for a no-goal (a near miss at broadcast rates shows part of the ball over in one frame
    only), where a goal needs CONFIRM_FRAMES. A wrong no-goal scores nothing."""
    return sample.margin_px + 2 * sample.radius_px >= MEASURED_OVER_SIGMAS * sample.sigma_px


SIGMA_STEP_PX = 1e-3
"""The nudge to one frame's margin by which _V.sigma differentiates (far below any noise)."""


def _line(frames: list[float], margins: list[float], sigmas: list[float]) -> tuple[float, float, float]:
    """Weighted least-squares line through (frame, margin): (mean frame, margin there, slope)."""
    weights = [1 / s**2 for s in sigmas]
    total = sum(weights)
    f0 = sum(w * f for w, f in zip(weights, frames)) / total
    m0 = sum(w * m for w, m in zip(weights, margins)) / total
    spread = sum(w * (f - f0) ** 2 for w, f in zip(weights, frames))
    slope = sum(w * (f - f0) * (m - m0) for w, f, m in zip(weights, frames, margins)) / spread
    return f0, m0, slope


@dataclass(frozen=True)
class _V:
    """The approach and rebound lines of an impact round one deepest frame (see _V.around)."""

    approach: list[_Sample]
    rebound: list[_Sample]
    margins: tuple[float, ...]
    """The margins the lines are fitted to: approach then rebound (varied by sigma())."""

    @staticmethod
    def around(samples: list[_Sample], k: int, reach_frames: int) -> "_V | None":
        """The V round sample k: on each side the frame next to k and the next measured one (at
        most one frame missed between them; the four within IMPACT_MAX_SPAN_FRAMES), then any more
        on that line within reach_frames of k (_side); both lines fast; no faster out than in
        (nothing pushes the ball on); meeting between the frames either side of k.
        None when the samples are not such a V."""
        k_frame = samples[k].frame_index
        before = _side(samples[k - 1::-1] if k > 0 else [], k_frame, reach_frames)
        after = _side(samples[k + 1:], k_frame, reach_frames)
        if len(before) < 2 or len(after) < 2:
            return None
        if after[1].frame_index - before[1].frame_index > IMPACT_MAX_SPAN_FRAMES:
            return None  # the ball was hidden round its deepest point: the hidden-crossing rule, not this one
        approach = before[::-1]
        v = _V(approach, after, tuple(s.margin_px for s in approach + after))
        rise, fall = v.lines[0][2], v.lines[1][2]
        if rise < IMPACT_MIN_SPEED_PX or fall > -IMPACT_MIN_SPEED_PX or -fall > IMPACT_MAX_REBOUND * rise:
            return None
        if not before[0].frame_index <= v.apex_frame <= after[0].frame_index:
            return None
        return v

    @cached_property
    def lines(self) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
        """The approach and rebound lines, each (mean frame, margin there, slope) (_line): fitted
        once per V (sigma() varies the margins in V's of its own)."""
        n = len(self.approach)
        return (_line([s.frame_index for s in self.approach], self.margins[:n], [s.sigma_px for s in self.approach]),
                _line([s.frame_index for s in self.rebound], self.margins[n:], [s.sigma_px for s in self.rebound]))

    @property
    def apex_frame(self) -> float:
        (fa, ma, rise), (fr, mr, fall) = self.lines
        # approach: m = ma + rise * (f - fa); rebound: m = mr + fall * (f - fr)
        return (mr - ma + rise * fa - fall * fr) / (rise - fall)

    @property
    def apex_px(self) -> float:
        """The margin where the lines meet: the ball's deepest point."""
        (fa, ma, rise), _ = self.lines
        return ma + rise * (self.apex_frame - fa)

    def at_px(self, frame: float) -> float:
        """The V's margin at `frame` (the lower of the two lines)."""
        (fa, ma, rise), (fr, mr, fall) = self.lines
        return min(ma + rise * (frame - fa), mr + fall * (frame - fr))

    def crossing_frame(self) -> float:
        """Fractional frame at which the approach line reaches the line."""
        (fa, ma, rise), _ = self.lines
        return fa - ma / rise

    def sigma(self, value) -> float:
        """Standard error of value(V), propagated from each fitted frame's sigma_px (the lines are
        linear in the margins; the meeting point nearly so at a frame's noise)."""
        step = SIGMA_STEP_PX
        centre = value(self)
        total = 0.0
        for i, s in enumerate(self.approach + self.rebound):
            moved = list(self.margins)
            moved[i] += step
            total += ((value(_V(self.approach, self.rebound, tuple(moved))) - centre) / step * s.sigma_px) ** 2
        return math.sqrt(total)


def _side(samples: list[_Sample], k_frame: int, reach_frames: int) -> list[_Sample]:
    """Measured frames going away from frame k_frame (nearest first) for one line of the V: the
    frame next to k, then the next measured one at most one missed frame further; beyond those 2,
    any measured within reach_frames of k while the line through them stays straight (a frame
    missed there, a ball faint over the white line, takes nothing from the line's straightness)."""
    chosen: list[_Sample] = []
    last = k_frame
    for s in samples:
        if len(chosen) < 2:
            if abs(s.frame_index - last) > (1 if not chosen else 2):
                break
        elif abs(s.frame_index - k_frame) > reach_frames or not _straight(chosen + [s]):
            break
        chosen.append(s)
        last = s.frame_index
    return chosen


def _straight(samples: list[_Sample]) -> bool:
    """Every frame lies within IMPACT_MIN_SIGMAS of its noise of the line fitted through them all
    (a touch, a bounce or a ball slowing bends the line: it then ends before that frame)."""
    f0, m0, slope = _line([s.frame_index for s in samples], [s.margin_px for s in samples],
                          [s.sigma_px for s in samples])
    return all(abs(s.margin_px - m0 - slope * (s.frame_index - f0)) <= IMPACT_MIN_SIGMAS * s.sigma_px
               for s in samples)
