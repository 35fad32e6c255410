"""The match-level judge: several cameras' observations in, one Law 10 call per crossing out.

Pure logic on numbers. The judge fuses what the cameras saw near each moment into the ball's
centre in 3D (`triangulate.fit_path`), a *fix* with its covariance, and follows the fixes:

- a goal once CONFIRM_FIXES fixes in a row put the whole ball over the line by more than
  OVER_SIGMAS of their own uncertainty, and the ball crossed between the posts and under the
  bar (`law10.mouth_verdict` on the crossing point's 3-sigma box); crossed outside the mouth or
  too near a post or the bar to tell, it is a no-goal with that reason;
- a no-goal when a ball that had some of itself past the line's goal-side edge goes back into
  the field, or is lost, without such a crossing, decided at its deepest fix;
- one call per crossing: after a call the judge waits for the ball to leave the line.

A ball first seen already over the line (no fix on the field side since it was last lost) is
never a goal: the judge did not see it cross.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np

from camera_sim.camera.pinhole import PinholeCamera
from camera_sim.decide.law10 import MouthVerdict, margin_m, mouth_verdict
from camera_sim.decide.observation import Observation
from camera_sim.decide.triangulate import PathFit, fit_path

CONFIRM_FIXES = 2
"""Evidence across frames: two fixes in a row wholly over (a single one may be a bad frame)."""
OVER_SIGMAS = 3.0
"""A fix counts as wholly over only when its margin exceeds 3 of its standard errors (0.13 % of
honest fixes of a ball exactly on the line pass; two in a row far fewer)."""
MOUTH_SIGMAS = 3.0
"""The crossing point's box reaches 3 standard errors each way before it is called in or out."""
WINDOW_FRAMES = 2.5
"""Each camera lends the fix at time T its sightings within 2.5 of its frame periods of T: at
least two either side, enough for the quadratic path (a bounce within them shows in the
residuals and drops the fit to the nearest sightings)."""
PATH_ORDER = 2
"""Constant acceleration over a few frames: gravity and drag in flight, friction on the ground."""
MAX_RMS_SIGMAS = 2.0
"""A quadratic fit whose RMS residual exceeds twice the stated errors bends (a bounce, a touch):
honest sightings of a smooth path (a dozen or more residuals) almost never do. The fix is then
made from the sightings on one side of its moment."""
MEMORY_S = 0.4
"""A ball unseen for longer is lost: what is pending about it is settled (as in pipeline.py)."""
BEND_CHECK_M = 0.5
"""Within half a metre of being wholly over, each fix checks its window for a bend (below)."""
BEND_SIGMAS = 3.0
"""Two sides of a window whose paths meet farther apart than 3 joint standard errors bend."""
PLATEAU_SIGMAS = 2.0
"""A no-goal's depth is the mean of the fixes within 2 standard errors of the deepest."""
RECENT_FIXES = 512
"""Fixes kept for pictures and checks (2 s at 250 frames/s): memory stays flat over a match."""
LEAVE_MARGIN_M = 0.05
"""The ball has left the line once all of it is 5 cm short of the goal-side edge: then a
no-goal is settled and the judge is ready for the next approach."""


@dataclass(frozen=True)
class GoalGeometry:
    """The goal as the judge knows it (from the rig or the scenario), goal frame, m."""

    goal_width_m: float
    """Between the posts' inside edges (Law 1: 7.32)."""
    goal_height_m: float
    """From the ground to the crossbar's lower edge (Law 1: 2.44)."""
    ball_radius_m: float
    """Half the ball's diameter (Law 2: 0.11)."""


@dataclass(frozen=True)
class BallFix:
    """The ball's centre at one moment, fused from the cameras that saw it then."""

    time_s: float
    position_m: np.ndarray
    """(3,) goal frame, m."""
    covariance_m2: np.ndarray
    """(3, 3) m^2."""
    path: PathFit

    @property
    def cameras(self) -> tuple[str, ...]:
        return self.path.cameras

    def margin(self, ball_radius_m: float) -> float:
        return margin_m(float(self.position_m[1]), ball_radius_m)

    @property
    def margin_sigma_m(self) -> float:
        return math.sqrt(float(self.covariance_m2[1, 1]))


@dataclass(frozen=True)
class FusedCall:
    """One Law 10 call of the match-level judge.

    time_s: the decisive moment (goal: the first fix measured wholly over, when a run of
    CONFIRM_FIXES has confirmed it; no-goal: the deepest fix). margin_m, margin_sigma_m: the whole ball's distance past the line's goal-side edge then,
    and its standard error. position_m: the ball's centre then (3,). crossing: where and when the
    centre crossed the plane at the radius (goal frame x, z, m; s), None when it did not.
    decided_time_s: the moment of the last fix the call needed (when it could be signalled).
    """

    kind: Literal["goal", "no_goal"]
    time_s: float
    margin_m: float
    margin_sigma_m: float
    position_m: tuple[float, float, float]
    cameras: tuple[str, ...]
    confidence: float
    evidence: str
    decided_time_s: float
    crossing_time_s: float | None = None
    crossing_m: tuple[float, float] | None = None
    crossing_sigma_m: tuple[float, float] | None = None
    in_mouth: bool | None = None
    reason: MouthVerdict | None = None


def _disagree(first: PathFit, second: PathFit, t_s: float) -> bool:
    """Two paths put the ball in places BEND_SIGMAS of their joint error apart at t_s."""
    gap = first.position_at(t_s) - second.position_at(t_s)
    joint = first.covariance_at(t_s) + second.covariance_at(t_s)
    return float(gap @ np.linalg.solve(joint, gap)) > BEND_SIGMAS**2


def _normal_cdf(z: float) -> float:
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))


class FusionJudge:
    """Judges one goal from the observations of its cameras, given in time order."""

    def __init__(self, cameras: Mapping[str, PinholeCamera], fps: Mapping[str, float], goal: GoalGeometry):
        """cameras: each camera's model, by id; fps: each camera's frame rate (frames/s)."""
        self.cameras = dict(cameras)
        self.window_s = {camera_id: WINDOW_FRAMES / rate for camera_id, rate in fps.items()}
        self.goal = goal
        self._pending: deque[Observation] = deque()
        self._times: list[float] = []
        self._latest_s = -math.inf
        self._last_fix_s = -math.inf
        self._approach: list[BallFix] = []
        """The fixes since the ball was last clearly in the field (that fix first)."""
        self._over_run: list[BallFix] = []
        self._engaged = False
        self._called = False
        self.recent_fixes: deque[BallFix] = deque(maxlen=RECENT_FIXES)
        """The latest fixes (for pictures and checks)."""

    def observe(self, observations: Iterable[Observation]) -> list[FusedCall]:
        """Take observations (in time order across cameras); the calls the new fixes settle."""
        calls: list[FusedCall] = []
        for observation in observations:
            self._pending.append(observation)
            if not self._times or observation.time_s > self._times[-1] + 1e-9:
                self._times.append(observation.time_s)
            self._latest_s = max(self._latest_s, observation.time_s)
        longest = max(self.window_s.values())
        while self._times and self._times[0] + longest <= self._latest_s:
            calls += self._fix_at(self._times.pop(0))
        return calls

    def finish(self) -> list[FusedCall]:
        """The end of the streams: fix what is left and settle what is pending."""
        calls: list[FusedCall] = []
        while self._times:
            calls += self._fix_at(self._times.pop(0))
        return calls + self._lost()

    def _fix_at(self, t_s: float) -> list[FusedCall]:
        longest = max(self.window_s.values())
        while self._pending and self._pending[0].time_s < t_s - longest:
            self._pending.popleft()
        near = [o for o in self._pending if abs(o.time_s - t_s) <= self.window_s.get(o.camera_id, 0.0)]
        fix = self._fix(near, t_s)
        if fix is None:
            return []
        calls = self._lost() if fix.time_s - self._last_fix_s > MEMORY_S else []
        self._last_fix_s = fix.time_s
        self.recent_fixes.append(fix)
        return calls + self._judge(fix)

    def _fix(self, near: list[Observation], t_s: float) -> BallFix | None:
        path = fit_path(near, self.cameras, t_s, PATH_ORDER)
        if path is not None and margin_m(float(path.position_at(t_s)[1]), self.goal.ball_radius_m) < -BEND_CHECK_M:
            return BallFix(t_s, path.position_at(t_s), path.covariance_at(t_s), path)
        # Near the line, a bend within the window (a post, a boot, the net, a bounce) would be
        # smoothed over by one path through it, reading an impact's apex short: each side of T
        # is fitted on its own, and where one disagrees with the whole window's path at T the
        # smoother side is read (at an apex both sides meet there; just before it, only one
        # side is straight).
        sides = [fit_path([o for o in near if keep(o.time_s - t_s)], self.cameras, t_s, PATH_ORDER)
                 for keep in (lambda dt: dt <= 0, lambda dt: dt >= 0)]
        sides = [side for side in sides if side is not None]
        if path is None or path.rms_sigmas > MAX_RMS_SIGMAS or any(_disagree(path, side, t_s) for side in sides):
            path = min(sides, key=lambda side: side.rms_sigmas) if sides else None
        if path is None:
            return None
        return BallFix(t_s, path.position_at(t_s), path.covariance_at(t_s), path)

    def _judge(self, fix: BallFix) -> list[FusedCall]:
        radius = self.goal.ball_radius_m
        margin = fix.margin(radius)
        if margin < -2 * radius - LEAVE_MARGIN_M:  # clearly in the field: an approach ends or begins
            calls = self._settle() if self._engaged else []
            self._approach, self._over_run = [fix], []
            return calls
        self._approach.append(fix)
        self._engaged |= margin > -2 * radius  # some of the ball is past the goal-side edge
        if margin - OVER_SIGMAS * fix.margin_sigma_m > 0:
            self._over_run.append(fix)
        else:
            self._over_run = []
        if self._engaged and not self._called and len(self._over_run) >= CONFIRM_FIXES:
            self._called = True
            call = self._crossing_call()
            return [] if call is None else [call]
        return []

    def _lost(self) -> list[FusedCall]:
        """The ball is gone (out of every camera's sight for MEMORY_S, or the streams ended)."""
        calls = self._settle() if self._engaged else []
        self._approach, self._over_run = [], []
        return calls

    def _settle(self) -> list[FusedCall]:
        """The approach is over: a no-goal at its deepest fix unless a call was made."""
        calls = [] if self._called else [self._no_goal()]
        self._engaged, self._called = False, False
        return calls

    def _no_goal(self) -> FusedCall:
        radius = self.goal.ball_radius_m
        deepest = max(self._approach, key=lambda f: f.margin(radius))
        margin, sigma = deepest.margin(radius), deepest.margin_sigma_m
        # A ball at rest on the line shows its depth in many fixes: the deepest of them is the
        # noisiest, not the truest. Those within PLATEAU_SIGMAS of it are averaged.
        plateau = [f.margin(radius) for f in self._approach if f.margin(radius) >= margin - PLATEAU_SIGMAS * sigma]
        margin = float(np.mean(plateau))
        return FusedCall("no_goal", deepest.time_s, margin, sigma, tuple(map(float, deepest.position_m)),
                         deepest.cameras, round(_normal_cdf(-margin / sigma), 4), "triangulated",
                         self._approach[-1].time_s)

    def _crossing_call(self) -> FusedCall | None:
        """The call for a confirmed run of fixes wholly over: where the centre crossed decides."""
        radius = self.goal.ball_radius_m
        first, last = self._over_run[0], self._over_run[-1]
        before = [f for f in self._approach if f.time_s < first.time_s and f.margin(radius) <= 0]
        if not before:
            return None  # first seen already over: the judge did not see it cross
        a = before[-1]
        b = next(f for f in self._approach if f.time_s > a.time_s)
        m_a, m_b = a.margin(radius), b.margin(radius)
        share = 0.0 if m_b <= m_a else min(1.0, max(0.0, -m_a / (m_b - m_a)))
        t_cross = a.time_s + share * (b.time_s - a.time_s)
        # The crossing point from the path of the fix nearest it (it spans the moment).
        nearest = a if share < 0.5 else b
        point = nearest.path.position_at(t_cross)
        covariance = nearest.path.covariance_at(t_cross)
        sigma_x, sigma_z = math.sqrt(covariance[0, 0]), math.sqrt(covariance[2, 2])
        verdict = mouth_verdict((point[0] - MOUTH_SIGMAS * sigma_x, point[0] + MOUTH_SIGMAS * sigma_x),
                                (point[2] - MOUTH_SIGMAS * sigma_z, point[2] + MOUTH_SIGMAS * sigma_z),
                                self.goal.goal_width_m, self.goal.goal_height_m)
        # The decisive moment is the first fix measured over, though perhaps not yet by
        # OVER_SIGMAS (CONTRACT: the first frame in which the whole ball is over); the run that
        # confirmed the crossing makes the call sure.
        margin, sigma = b.margin(radius), b.margin_sigma_m
        sure = _normal_cdf(first.margin(radius) / first.margin_sigma_m)
        common = dict(time_s=b.time_s, margin_m=margin, margin_sigma_m=sigma,
                      position_m=tuple(map(float, b.position_m)), cameras=b.cameras,
                      evidence="triangulated", decided_time_s=last.time_s, crossing_time_s=t_cross,
                      crossing_m=(float(point[0]), float(point[2])), crossing_sigma_m=(sigma_x, sigma_z))
        if verdict == "in_mouth":
            return FusedCall("goal", confidence=round(sure, 4), in_mouth=True, **common)
        confidence = round(sure, 4) if verdict == "outside_mouth" else 0.5
        return FusedCall("no_goal", confidence=confidence, in_mouth=False if verdict == "outside_mouth" else None,
                         reason=verdict, **common)
