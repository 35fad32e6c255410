"""The match-level judge: several cameras' observations in, one Law 10 call per crossing out.

Pure logic on numbers. The judge fuses what the cameras saw near each moment into the ball's
centre in 3D (`triangulate.fit_path`), a *fix* with its covariance, and follows the fixes:

- a goal once CONFIRM_FIXES fixes in a row put the whole ball over the line by more than
  OVER_SIGMAS of their own uncertainty, and the ball crossed between the posts and under the
  bar (`law10.mouth_verdict` on the crossing point's 3-sigma box); crossed outside the mouth or
  too near a post or the bar to tell, it is a no-goal with that reason;
- a goal too when an impact (the ball going in on one straight path and out on another) had
  the whole ball over at its apex, between frames, by OVER_SIGMAS (evidence "impact");
- a no-goal when a ball that had some of itself past the line's goal-side edge goes back into
  the field, or is lost, without such a crossing, decided at its deepest fix or apex;
- one call per crossing: after a call the judge waits for the ball to leave the line.

A ball first seen already over the line (no fix on the field side since it was last lost) is
never a goal: the judge did not see it cross.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
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
least two either side, enough for the quadratic path (a bend within them: see _fix)."""
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
APEX_SAMPLES = 41
"""An impact's apex is found on a grid of 41 moments between two frames (then interpolated)."""
IMPACT_MIN_CHI2 = 16.0
"""Two straight paths meeting (an impact) must fit a window's sightings better than one smooth
path by 16 in chi-square (4 standard errors' worth; the two paths' 3 extra parameters a side
buy about 3 by chance) before their meeting point counts."""
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
class Apex:
    """The deepest point of an impact: where the approach's and the rebound's paths meet."""

    time_s: float
    position_m: np.ndarray
    """(3,) goal frame, m."""
    covariance_m2: np.ndarray
    """(3, 3) m^2."""
    approach: PathFit
    """The path before it (where the ball crossed)."""


@dataclass(frozen=True)
class BallFix:
    """The ball's centre at one moment, fused from the cameras that saw it then."""

    time_s: float
    position_m: np.ndarray
    """(3,) goal frame, m."""
    covariance_m2: np.ndarray
    """(3, 3) m^2."""
    path: PathFit
    apex: Apex | None = None
    """Where the paths either side of this moment meet, when they bend there towards the goal
    and back (an impact: the net, a keeper, a post): the ball's deepest point between frames."""

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
    reason: MouthVerdict | Literal["line_uncertain"] | None = None
    """Why a no-goal although the ball was measured wholly over: crossed outside the mouth, too
    near a post or the bar to tell, or over the line only within its uncertainty (line_uncertain)."""


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

    def cut(self) -> list[FusedCall]:
        """The recordings jump to another moment (clips of several moments back to back): settle
        what is pending and fuse nothing across the cut."""
        calls = self.finish()
        self._pending.clear()
        self._latest_s = self._last_fix_s = -math.inf
        return calls

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
        found = [side for side in sides if side is not None]
        whole = path
        if path is None or path.rms_sigmas > MAX_RMS_SIGMAS or any(_disagree(path, side, t_s) for side in found):
            path = min(found, key=lambda side: side.rms_sigmas) if found else None
        if path is None:
            return None
        return BallFix(t_s, path.position_at(t_s), path.covariance_at(t_s), path, self._impact(near, whole))

    def _impact(self, near: list[Observation], whole: PathFit | None) -> Apex | None:
        """An impact within the window: the ball going in on one straight path and coming back
        out on another, split between two of its moments, fitting the sightings clearly better
        (by IMPACT_MIN_CHI2) than one smooth path through them all; its apex where they meet."""
        if whole is None:
            return None
        times = sorted({o.time_s for o in near})
        best: tuple[float, Apex] | None = None
        for k in range(1, len(times) - 2):  # at least two moments each side
            left = fit_path([o for o in near if o.time_s <= times[k]], self.cameras, times[k], 1)
            right = fit_path([o for o in near if o.time_s > times[k]], self.cameras, times[k + 1], 1)
            if left is None or right is None:
                continue
            apex = _apex(left, right, times[k], times[k + 1])
            chi2 = _chi2(left) + _chi2(right)
            if apex is not None and (best is None or chi2 < best[0]):
                best = (chi2, apex)
        if best is None or _chi2(whole) - best[0] < IMPACT_MIN_CHI2:
            return None
        return best[1]

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
        apex = fix.apex
        if self._engaged and not self._called and apex is not None and (
                margin_m(float(apex.position_m[1]), radius) > OVER_SIGMAS * math.sqrt(apex.covariance_m2[1, 1])):
            self._called = True
            return [self._impact_call(fix)]
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
        margin, when, position, evidence = float(np.mean(plateau)), deepest.time_s, deepest.position_m, "triangulated"
        # An impact comes deepest between frames: its apex, when deeper than any fix, is the depth.
        apexes = [f.apex for f in self._approach if f.apex is not None]
        if apexes:
            apex = max(apexes, key=lambda a: a.position_m[1])
            if margin_m(float(apex.position_m[1]), radius) > margin:
                margin, sigma = margin_m(float(apex.position_m[1]), radius), math.sqrt(apex.covariance_m2[1, 1])
                when, position, evidence = apex.time_s, apex.position_m, "impact"
        # Measured over, but never surely (too few cameras, too far): no goal, and it says why.
        reason = "line_uncertain" if margin > 0 else None
        return FusedCall("no_goal", when, margin, sigma, tuple(map(float, position)), deepest.cameras,
                         round(_normal_cdf(-margin / sigma), 4), evidence, self._approach[-1].time_s, reason=reason)

    def _impact_call(self, fix: BallFix) -> FusedCall:
        """The call for an impact whose deepest point, between frames, had the whole ball over:
        the approach's path places the crossing (it alone was measured going in)."""
        radius = self.goal.ball_radius_m
        apex = fix.apex
        approach = apex.approach
        t_cross = _time_at_depth(approach, apex.time_s, radius)
        return self._call_at(apex.time_s, margin_m(float(apex.position_m[1]), radius),
                             math.sqrt(apex.covariance_m2[1, 1]), apex.position_m, fix.cameras, "impact",
                             fix.time_s, t_cross, approach)

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
        # The crossing point from the path of the fix nearest it (it spans the moment). The
        # decisive moment is the first fix measured over, though perhaps not yet by
        # OVER_SIGMAS (CONTRACT: the first frame in which the whole ball is over); the run that
        # confirmed the crossing makes the call sure.
        nearest = a if share < 0.5 else b
        call = self._call_at(b.time_s, b.margin(radius), b.margin_sigma_m, b.position_m, b.cameras, "triangulated",
                             last.time_s, t_cross, nearest.path)
        sure = round(_normal_cdf(first.margin(radius) / first.margin_sigma_m), 4)
        return call if call.kind == "no_goal" and call.reason == "mouth_uncertain" else replace(call, confidence=sure)

    def _call_at(self, time_s: float, margin: float, sigma: float, position_m: np.ndarray, cameras: tuple[str, ...],
                 evidence: str, decided_time_s: float, t_cross: float, crossing_path: PathFit) -> FusedCall:
        """A crossing's call: a goal when `crossing_path` puts the centre between the posts and
        under the bar at t_cross all round its MOUTH_SIGMAS box, else a no-goal with the reason."""
        point = crossing_path.position_at(t_cross)
        covariance = crossing_path.covariance_at(t_cross)
        sigma_x, sigma_z = math.sqrt(covariance[0, 0]), math.sqrt(covariance[2, 2])
        verdict = mouth_verdict((point[0] - MOUTH_SIGMAS * sigma_x, point[0] + MOUTH_SIGMAS * sigma_x),
                                (point[2] - MOUTH_SIGMAS * sigma_z, point[2] + MOUTH_SIGMAS * sigma_z),
                                self.goal.goal_width_m, self.goal.goal_height_m)
        sure = round(_normal_cdf(margin / sigma), 4)
        common = dict(time_s=time_s, margin_m=margin, margin_sigma_m=sigma, position_m=tuple(map(float, position_m)),
                      cameras=cameras, evidence=evidence, decided_time_s=decided_time_s, crossing_time_s=t_cross,
                      crossing_m=(float(point[0]), float(point[2])), crossing_sigma_m=(sigma_x, sigma_z))
        if verdict == "in_mouth":
            return FusedCall("goal", confidence=sure, in_mouth=True, **common)
        confidence = sure if verdict == "outside_mouth" else 0.5
        return FusedCall("no_goal", confidence=confidence, in_mouth=False if verdict == "outside_mouth" else None,
                         reason=verdict, **common)


def _chi2(path: PathFit) -> float:
    """The sum of a fit's squared residuals in stated errors (two per sighting)."""
    return path.rms_sigmas**2 * 2 * path.sightings


def _apex(left: PathFit, right: PathFit, start_s: float, end_s: float) -> Apex | None:
    """Where the path before `start_s` and the one after `end_s` meet in depth between those
    moments, when the first goes into the goal and the second comes back out; None otherwise."""
    times = np.linspace(start_s, end_s, APEX_SAMPLES)
    gap = np.array([left.position_at(t)[1] - right.position_at(t)[1] for t in times])
    rising = np.flatnonzero((gap[:-1] < 0) & (gap[1:] >= 0))
    if len(rising) == 0:
        return None
    k = int(rising[0])
    t_apex = float(times[k] + (times[k + 1] - times[k]) * -gap[k] / (gap[k + 1] - gap[k]))
    if left.velocity_at(t_apex)[1] <= 0 or right.velocity_at(t_apex)[1] >= 0:
        return None
    position = (left.position_at(t_apex) + right.position_at(t_apex)) / 2
    # Each side alone reaches the apex; their mean is no surer than the less sure one.
    covariance = np.maximum(left.covariance_at(t_apex), right.covariance_at(t_apex))
    return Apex(t_apex, position, covariance, left)


def _time_at_depth(path: PathFit, until_s: float, ball_radius_m: float) -> float:
    """The last moment before until_s at which `path` brings the whole ball to the line (its
    centre a radius past the goal-side edge), found on a grid of APEX_SAMPLES within a frame."""
    times = np.linspace(until_s - path.time_scale_s, until_s, APEX_SAMPLES)
    depth = np.array([margin_m(float(path.position_at(t)[1]), ball_radius_m) for t in times])
    below = np.flatnonzero(depth <= 0)
    if len(below) == 0 or below[-1] == len(times) - 1:
        return until_s
    k = int(below[-1])
    return float(times[k] + (times[k + 1] - times[k]) * -depth[k] / (depth[k + 1] - depth[k]))
