"""The one decision path shared by `run` and `video`: frame -> detect -> track -> judge.

It sees frames and the calibration only, never the simulator's state.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field, replace

import numpy as np

from camera_sim.decide.crossing import UNSEEN_CONFIDENCE, CrossingJudge, LineCall
from camera_sim.decide.observation import Observation
from camera_sim.detect.alignment import FrameAlignment
from camera_sim.detect.background import Background
from camera_sim.detect.ball_detector import BallDetector, BallMeasurement
from camera_sim.goal_mouth import MouthView, Placement
from camera_sim.sources.calibration import Calibration
from camera_sim.track.kalman import BallTrack

TRACK_MEMORY_S = 0.4
"""How long a track outlives its last measurement: a ball hidden behind a goalkeeper or the
crossbar's band for a while is the same ball; after that it counts as out of view."""
MAX_SEARCH_RADII = 6.0
"""The windowed search round a coasting track's prediction grows by a radius a missed frame up
to this; beyond, the whole-frame search (gated by the ball's top speed) takes over."""
PRECISE_ZONE_RADII = 5.0
"""The rim is fitted to sub-pixel precision only when the ball may be within 5 radii of the line:
farther away no call is at stake, and its centroid is enough to follow it (half the cost)."""
SEARCH_EVERY_S = 0.02
"""While balls are followed, the whole frame is searched for another every 20 ms."""
MAX_BALLS = 3
"""Balls followed at once: the match ball and a spare or two."""
GOAL_DEAD_TIME_S = 2.0
"""After a goal the ball goes back to the centre spot: within 2 s, a call by another watch about
the ball the scoring watch still follows is the same crossing seen again (a watch that jumped
onto the ball behind a player) and is dropped."""
SAME_CROSSING_S = 0.5
"""Within half a second of a goal no other ball can be in play at the line: another watch's
call that soon is the same crossing seen again (whatever the watches' positions say)."""
EXCLUSION_RADII = 3.0
"""A whole-frame search ignores blobs within 3 radii of a ball another watch follows."""
MAX_BALL_SPEED_MPS = 45.0
"""Faster than the hardest shots measured (about 130 km/h = 36 m/s): a ball found by a whole-frame
search within this much motion of the track's prediction continues the track (at 25 frames/s a
shot moves over a metre between frames); farther away it is a new appearance."""
PLACEMENT_SIGHTINGS = 12
"""The crossing is placed in the goal mouth from up to 12 fully measured frames either side of it..."""
PLACEMENT_REACH_S = 0.1
"""...within 0.1 s of it. A straight line in time through them averages one frame's radius noise
(2-3 % of the distance) down to about 0.5 %; a bounce at the line bends the path it assumes, so a
no-goal's placement after a bounce is rougher (known limit, README)."""
PLACEMENT_MIN_REACH_FRAMES = 4
"""...but at least 4 frames either side: at broadcast rates (25-60 frames/s) 0.1 s holds too few
frames to average a small ball's size (the path's bend test still guards the straight line)."""
FRAME_EDGE_MARGIN_PX = 2.0
"""A ball whose rim comes within 2 px of the frame's edge is not used to place a crossing."""
SIZE_STABILITY = 1.1
"""Two whole-rim fits of one ball agree in size within 10 % (a fit is good to a few per cent, 2.5 %
for a 6 px ball; the ball's distance changes little between two frames near each other)."""
WHOLE_RADII_KEPT = 8
SIZE_CONTINUITY = 1.3
"""A ball found again after being lost has its radius within 1.3x of the track's (over a gap of
0.4 s a ball at 20 m moves a few metres nearer or farther at most: about 15 %)."""
CHROMATICITY_TOLERANCE = 0.06
"""...and its colour within 0.06 in each of b, g, r over their sum (white is 0.33 each; a
yellow shirt 0.07 / 0.43 / 0.50; a ball's turning panels and the noise move it by about 0.02)."""
COLOUR_LEARNING = 0.2
"""Each measured frame's share in the learnt colour."""
MAX_SMEAR_RADII = 0.25
"""The rim is read at mid-exposure (BallDetector.measure's smear_px) only for a smear of at most a
quarter of the ball's radius: its ramp then lies in the ball's limb, where the rim's level is read
anyway (RIM_INSIDE_STEPS). A longer smear puts the ramp's top in the brighter middle of the shaded
ball, and a level from there reads the ball small (random clips at 25-50 frames/s with 3-10 ms
shutters, smears of half a radius and more: sizes read small enough to leave four goals unplaced);
such a ball is measured as before. At 250-500 frames/s with a 0.5 ms shutter a 36 m/s ball smears
0.16 of its radius."""
SIGHTINGS_KEPT = 64
"""Measured frames a watch remembers for placing its ball's crossing."""
RIM_SIGMA_PX = 0.25
"""Standard error of the image centre of a circle fitted all round the rim, for the match-level
judge: fits to rendered 720p frames scatter by 0.02-0.1 px; 0.25 allows for real footage's
blur and compression (the judge scales it up when the cameras' residuals say more)."""
HELD_SIGMA_PX = 0.4
"""...of a centre fitted to part of the rim at the track's radius."""
PARTIAL_SIGMA_PX = 0.6
"""...of a circle fitted to less than FULL_FIT_ARC_DEG of rim (a ball half behind a post)."""
BLOB_SIGMA_RADII = 0.3
"""...of a blob's middle (a streak, a centroid): a third of a radius."""


@dataclass(frozen=True)
class LineDecision:
    """A goal-line call with its times and its margin in pixels and metres.

    ball_frame, ball_centre_px, ball_radius_px: the detection's circle that shows the call, in
    background (calibration) pixels: frame_index's own measurement, or the measured frame nearest
    it when the ball was hidden there (evidence "interpolated"). For pictures; no decision uses them.
    """

    kind: str
    camera_id: str
    frame_index: int
    video_time_s: float
    margin_px: float
    margin_m: float
    crossing_time_s: float | None
    decided_frame: int
    radius_px: float
    confidence: float
    evidence: str
    hidden_frames: int
    ball_frame: int | None = None
    ball_centre_px: tuple[float, float] | None = None
    ball_radius_px: float | None = None
    placement: Placement | None = None
    """Where the ball crossed the goal plane (goal frame, m) and whether that is in the mouth;
    None when the calibration does not locate the mouth or no frame near the call measured the ball."""
    reason: str | None = None
    """Why a no-goal was called although the whole ball crossed the line: "outside_mouth" (wide or
    over the bar) or "mouth_uncertain" (too near a post or the bar to tell: never a goal)."""
    cameras: tuple[str, ...] = ()
    """For a call fused from several cameras (fused_goal.py): every camera whose sightings it
    used; empty for one camera's own call."""
    position_m: tuple[float, float, float] | None = None
    """For a fused call: the ball's centre at the decisive moment (goal frame, m)."""
    margin_sigma_m: float | None = None
    """For a fused call: the standard error of margin_m (m)."""

    @property
    def in_mouth(self) -> bool | None:
        """Between the posts and under the bar (True), outside (False), or unknown (None)."""
        return None if self.placement is None else self.placement.in_mouth


@dataclass(frozen=True)
class _Sighting:
    """A frame in which the ball's rim was measured all round (its radius too)."""

    frame_index: int
    centre_px: tuple[float, float]
    radius_px: float


@dataclass
class _Watch:
    """One ball being followed, and the Law 10 judge watching it."""

    track: BallTrack
    judge: CrossingJudge
    sightings: deque[_Sighting] = field(default_factory=lambda: deque(maxlen=SIGHTINGS_KEPT))
    centres: deque[tuple[int, tuple[float, float]]] = field(default_factory=lambda: deque(maxlen=SIGHTINGS_KEPT))
    """Every measured frame's image centre, its radius measured or held: the ball's ray."""
    chromaticity: np.ndarray | None = None
    """The ball's colour without brightness, learnt from its measured frames (an average that
    keeps learning: a ball's panels turn, the light changes)."""
    rim_seen: bool = False
    """It has been seen as a ball at least once (CameraJudge._shows_a_ball). Until then it is a
    streak, or a round end of something (a leg or a sock seen at the line looks like either):
    its calls wait, and die with it."""
    seen_whole: bool = False
    """...and circles of one size (within SIZE_STABILITY) have been fitted to its rim in two frames,
    all round it at a ball's size, or to part of it at the ball's known size: until then its goals
    wait (a no-goal, which scores nothing, needs only rim_seen). The round end of a sock fits
    circles, but of wandering sizes, none of them the ball's."""
    whole_radii: deque[float] = field(default_factory=lambda: deque(maxlen=WHOLE_RADII_KEPT))
    waiting_calls: list[LineCall] = field(default_factory=list)

    def calls_to_make(self, calls: list[LineCall]) -> list[LineCall]:
        """The calls this watch may make now, in frame order: those its evidence allows (see
        rim_seen, seen_whole); the rest wait for more."""
        self.waiting_calls += calls
        ready = [c for c in self.waiting_calls if self.seen_whole or (self.rim_seen and c.kind == "no_goal")]
        # Calls come out in order: none jumps a goal that still waits.
        first_waiting = next((n for n, c in enumerate(self.waiting_calls) if c not in ready), len(self.waiting_calls))
        ready, self.waiting_calls = self.waiting_calls[:first_waiting], self.waiting_calls[first_waiting:]
        return ready

    def saw_whole(self, radius_px: float) -> None:
        """A circle of a ball's size was fitted to its rim (CameraJudge._shows_a_whole_ball)."""
        self.seen_whole = self.seen_whole or any(
            max(radius_px, r) / min(radius_px, r) <= SIZE_STABILITY for r in self.whole_radii)
        self.whole_radii.append(radius_px)

    def absorb(self, other: "_Watch") -> None:
        """Another watch on this same ball is dropped: what it saw of the ball counts here."""
        self.rim_seen |= other.rim_seen
        self.seen_whole |= other.seen_whole

    def learn_colour(self, seen: np.ndarray | None) -> None:
        """Fold one frame's chromaticity into the watch's."""
        if seen is not None:
            self.chromaticity = seen if self.chromaticity is None else (
                (1 - COLOUR_LEARNING) * self.chromaticity + COLOUR_LEARNING * seen)

    def is_same_ball(self, found: BallMeasurement, seen: np.ndarray | None) -> bool:
        """A ball found again after the watch lost it is the same one: of the size and colour
        learnt for it (a keeper's shirt, a boot or a head never takes the ball's place)."""
        size_px = found.blob_radius_px if found.radius_held else found.radius_px
        if size_px is not None and not 1 / SIZE_CONTINUITY <= size_px / self.track.radius_px <= SIZE_CONTINUITY:
            return False
        if self.chromaticity is None or found.smeared:
            return True  # a streak mixes the ball with the ground: its colour says little
        if seen is None:  # too little of it shows to read a colour (behind a post, white on white paint)
            return found.rim_fitted  # then only a circle fitted to its rim will do, not a blob's middle
        return float(np.abs(seen - self.chromaticity).max()) <= CHROMATICITY_TOLERANCE

    def crossing_ray(self, frame: float) -> tuple[tuple[float, float], float] | None:
        """The image centre measured nearest fractional `frame` (its radius measured or held) and
        how many frames from it; None when no frame was measured."""
        if not self.centres:
            return None
        nearest, centre = min(self.centres, key=lambda fc: abs(fc[0] - frame))
        return centre, abs(nearest - frame)

    def sightings_round(self, frame: float, reach_frames: float) -> list[tuple[int, tuple[float, float], float]]:
        """Up to PLACEMENT_SIGHTINGS measured frames on each side of `frame`, within `reach_frames`."""
        near = [s for s in self.sightings if abs(s.frame_index - frame) <= reach_frames]
        before = [s for s in near if s.frame_index <= frame][-PLACEMENT_SIGHTINGS:]
        after = [s for s in near if s.frame_index > frame][:PLACEMENT_SIGHTINGS]
        return [(s.frame_index, s.centre_px, s.radius_px) for s in before + after]


def _centre_sigma_px(found: BallMeasurement) -> float:
    """The standard error (px) of a measurement's image centre, by how it was measured."""
    if not found.rim_fitted:
        return BLOB_SIGMA_RADII * (found.blob_radius_px or found.radius_px)
    if found.partial_rim:
        return PARTIAL_SIGMA_PX
    return HELD_SIGMA_PX if found.radius_held else RIM_SIGMA_PX


def _near(first: _Watch, second: _Watch, radii: float) -> bool:
    """The two watches' balls are within `radii` of the first one's radius of each other."""
    return float(np.hypot(*np.subtract(first.track.estimate, second.track.estimate))) < radii * first.track.radius_px


class CameraJudge:
    """Watches one camera's frames in order and returns decisions as they are made.

    Several balls may be in view (a spare ball beside the pitch): each is followed with its own
    judge, so a ball that never crosses can neither take the match ball's place nor score.
    """

    def __init__(self, camera_id: str, calibration: Calibration, background: Background, fps: float,
                 judging: bool = True, clock=None):
        """judging: False for a camera of a fused goal (one not in the line's plane cannot judge
        alone): it only follows the ball, fits its rim in every frame and gives `observations`.
        clock: a frame index's time on the clock shared with other cameras (s); default
        frame_index / fps."""
        self.camera_id = camera_id
        self.fps = fps
        self.judging = judging
        self.clock = clock or (lambda frame_index: frame_index / fps)
        self.observations: list[Observation] = []
        self._frame_sightings: list[tuple[_Watch, Observation]] = []
        """When not judging: the ball's image centre in every frame it was measured, for the
        match-level judge (taken away by the caller: see take_observations)."""
        self.ball_radius_m = calibration.ball_diameter_m / 2
        self.goal_line = calibration.line()
        self.cuts = frozenset(calibration.cuts)
        height, width = background.image.shape[:2]
        self.frame_size = (width, height)
        self.mouth: MouthView | None = calibration.mouth_view(self.frame_size)
        self.placement_reach_frames = max(PLACEMENT_MIN_REACH_FRAMES, PLACEMENT_REACH_S * fps)
        self.detector = BallDetector(background, self.goal_line)
        self.exposure_share = None if calibration.exposure_s is None else min(1.0, calibration.exposure_s * fps)
        """The shutter's share of the frame interval (calibration exposure_s): how much of a
        frame's motion smears the ball; None when not known (no smear is allowed for)."""
        self.aligner = background.aligner()
        self.watches: list[_Watch] = []
        self.last_frame = -1
        self.memory_frames = max(1, round(TRACK_MEMORY_S * fps))
        self.search_every_frames = max(1, round(SEARCH_EVERY_S * fps))
        self.dead_time_frames = round(GOAL_DEAD_TIME_S * fps)
        self.same_crossing_frames = round(SAME_CROSSING_S * fps)
        self._next_search = 0
        self._last_goal: tuple[int, _Watch] | None = None
        self.max_step_radii = MAX_BALL_SPEED_MPS / fps / self.ball_radius_m
        """The farthest a ball can move between frames, in ball radii."""
        self.known_radius_px: float | None = None
        """The ball's image radius as last measured whole on a watch seen as the ball: a size to
        look for when no track is on (a ball first seen as a motion-blur streak has no rim to
        measure), and, without the mouth's geometry, the size a new watch must show."""
        self.ball_radius_range_px = None if self.mouth is None else self.mouth.ball_radius_range_px(self.ball_radius_m)
        """With the mouth's geometry: the image radius a ball can have at the line."""

    def process(self, frame_index: int, frame: np.ndarray) -> list[LineDecision]:
        """Look at one frame (H, W, 3) uint8 BGR; decisions settled by it, if any."""
        decisions: list[LineDecision] = self.finish() if frame_index in self.cuts else []
        self.last_frame = frame_index
        self.detector.next_frame()
        alignment = self.aligner.measure(frame)
        for watch in list(self.watches):
            found = self._follow(watch, frame, alignment)
            if found is not None:
                decisions += self._observe(watch, frame_index, found, alignment)
            elif watch.track.misses > self.memory_frames:  # out of view, not just hidden for a moment
                self.watches.remove(watch)
                decisions += self._decisions(watch, watch.judge.ball_lost(frame_index))
        self._drop_duplicates()
        if len(self.watches) < MAX_BALLS and (not self.watches or frame_index >= self._next_search):
            self._next_search = frame_index + self.search_every_frames
            found = self._acquire(frame, alignment)
            if found is not None:
                # A size lent by an earlier track, or fitted to part of the rim, is only a start.
                radius_sure = not (found.radius_held or found.partial_rim)
                if radius_sure and self.known_radius_px is None and self._ball_sized(found.radius_px):
                    self.known_radius_px = found.radius_px
                watch = _Watch(BallTrack(found.x_px, found.y_px, found.radius_px, radius_sure), CrossingJudge(self.fps))
                watch.learn_colour(self.detector.chromaticity(frame, found, alignment))
                self.watches.append(watch)
                decisions += self._observe(watch, frame_index, found, alignment)
        self._observe_the_ball()
        return decisions

    def _observe(self, watch: _Watch, frame_index: int, found: BallMeasurement,
                 alignment: FrameAlignment) -> list[LineDecision]:
        centre = (found.x_px, found.y_px)
        watch.rim_seen = watch.rim_seen or self._shows_a_ball(found)
        if self._shows_a_whole_ball(found):
            watch.saw_whole(found.radius_px)
        watch.centres.append((frame_index, centre))
        if not found.radius_held and not found.partial_rim and self._wholly_in_frame(found, alignment):
            watch.sightings.append(_Sighting(frame_index, centre, found.radius_px))
        if not self.judging and watch.rim_seen:
            self._frame_sightings.append((watch, Observation(
                self.camera_id, self.clock(frame_index), frame_index, centre, _centre_sigma_px(found),
                None if found.radius_held else found.radius_px)))
        if not self.judging:
            return []
        distance = self.goal_line.signed_distance_px(centre)
        calls = watch.judge.observe(frame_index, distance, found.radius_px, found.radius_held, centre_px=centre,
                                    partial_rim=found.partial_rim)
        return self._decisions(watch, calls)

    def _observe_the_ball(self) -> None:
        """Of this frame's sightings, hand on only the match ball's: the one seen whole as a ball
        and followed longest (a spare ball beside the pitch is another watch's)."""
        if self._frame_sightings:
            watch, observation = max(self._frame_sightings,
                                     key=lambda wo: (wo[0].seen_whole, wo[0].track.measured_frames))
            self.observations.append(observation)
            self._frame_sightings = []

    def take_observations(self) -> list[Observation]:
        """The observations made since the last call, in frame order."""
        taken, self.observations = self.observations, []
        return taken

    def _shows_a_ball(self, found: BallMeasurement) -> bool:
        """A circle fitted all round its rim; or to part of it, at a ball's size (_ball_sized, once
        a size is known at all). The round end of a sock or a boot fits a circle on part of its
        outline, but a smaller one."""
        if not found.rim_fitted:
            return False
        if not (found.radius_held or found.partial_rim):
            return True
        return (self.ball_radius_range_px is not None or self.known_radius_px is not None) and self._ball_sized(
            found.radius_px)

    def _shows_a_whole_ball(self, found: BallMeasurement) -> bool:
        """A circle fitted all round its rim, of a ball's size (see _ball_sized); or fitted to part
        of it (a ball half behind a post) at the very size of the ball last measured whole."""
        if not found.rim_fitted or found.partial_rim:
            return False
        if not found.radius_held:
            return self._ball_sized(found.radius_px)
        known = self.known_radius_px
        return known is not None and max(found.radius_px, known) / min(found.radius_px, known) <= SIZE_STABILITY

    def _ball_sized(self, radius_px: float) -> bool:
        """A ball's size at the line: within the mouth's range of sizes when its geometry is known,
        else within SIZE_CONTINUITY of the ball last measured whole (any size before that)."""
        if self.ball_radius_range_px is not None:
            low, high = self.ball_radius_range_px
            return low <= radius_px <= high
        known = self.known_radius_px
        return known is None or 1 / SIZE_CONTINUITY <= radius_px / known <= SIZE_CONTINUITY

    def _wholly_in_frame(self, found: BallMeasurement, alignment: FrameAlignment) -> bool:
        """The ball's whole image lies inside the frame (a ball cut by the edge is measured too
        small). Its centre is in background pixels; a shaking camera moves it in the frame."""
        reach = found.radius_px + FRAME_EDGE_MARGIN_PX
        width, height = self.frame_size
        x_px, y_px = found.x_px + alignment.shift_px[0], found.y_px + alignment.shift_px[1]
        return reach <= x_px <= width - 1 - reach and reach <= y_px <= height - 1 - reach

    def _decisions(self, watch: _Watch, calls: list[LineCall]) -> list[LineDecision]:
        """The watch's calls that stand after the dead time, as decisions placed in the mouth."""
        calls = self._after_goal_dead_time(watch, watch.calls_to_make(calls))
        return [self._decision(call, watch) for call in calls]

    def _after_goal_dead_time(self, watch: _Watch, calls: list[LineCall]) -> list[LineCall]:
        """Drop another watch's call about the ball just scored with (GOAL_DEAD_TIME_S), or any
        other watch's call right after (or, released late, before) a goal (SAME_CROSSING_S);
        remember goal calls, those placed outside the mouth too (another watch on the same
        crossing must not score it)."""
        if self._last_goal is not None and calls:
            goal_frame, scorer = self._last_goal
            same_ball = scorer is not watch and scorer in self.watches and _near(scorer, watch, EXCLUSION_RADII)
            since = [abs(c.frame_index - goal_frame) for c in calls]
            calls = [c for c, frames in zip(calls, since) if scorer is watch or not (
                (same_ball and frames <= self.dead_time_frames)
                or frames <= self.same_crossing_frames)]
        for call in calls:
            if call.kind == "goal" and (self._last_goal is None or call.frame_index >= self._last_goal[0]):
                self._last_goal = (call.frame_index, watch)
        return calls

    def finish(self) -> list[LineDecision]:
        """End of the stream, or a cut in it (the next frame shows another moment): settle what
        is pending and follow no ball across."""
        decisions = [decision for watch in self.watches
                     for decision in self._decisions(watch, watch.judge.ball_lost(self.last_frame))]
        self.watches, self._last_goal = [], None  # after a cut, no call repeats one from before it
        return decisions

    def _acquire(self, frame: np.ndarray, alignment: FrameAlignment, ignore: _Watch | None = None,
                 radius_px: float | None = None, motion_px: tuple[float, float] | None = None
                 ) -> BallMeasurement | None:
        """A ball on the whole frame that no other watch follows (`ignore`: the one asking, whose
        ball has `radius_px` and moves `motion_px` a frame: a streak must lie along that motion)."""
        taken = [(*w.track.estimate, EXCLUSION_RADII * w.track.radius_px) for w in self.watches if w is not ignore]
        found = self.detector.acquire(frame, radius_px, alignment, motion_px=motion_px, exclude_px=taken)
        if found is None and radius_px is None and self.known_radius_px is not None:
            found = self.detector.acquire(frame, self.known_radius_px, alignment, exclude_px=taken)
        return found

    def _drop_duplicates(self) -> None:
        """Two watches on one ball: keep the one that has followed it longer."""
        for young in sorted(self.watches, key=lambda w: w.track.measured_frames):
            for old in self.watches:
                if old is not young and old.track.measured_frames >= young.track.measured_frames and _near(
                        old, young, 1.0):
                    old.absorb(young)
                    self.watches.remove(young)
                    break

    def _follow(self, watch: _Watch, frame: np.ndarray, alignment: FrameAlignment) -> BallMeasurement | None:
        """The tracked ball near its predicted place, or anywhere it could have got to since."""
        track = watch.track
        predicted = track.predict()
        search_px = min(track.search_radius_px(), MAX_SEARCH_RADII * track.radius_px)
        near_line = abs(self.goal_line.signed_distance_px(predicted)) < (
            PRECISE_ZONE_RADII * track.radius_px + search_px)
        motion = track.velocity if track.knows_velocity else None
        # The smear in this exposure, from the motion of a track measured in the frame before: a
        # track that coasted through missed frames may have lost the ball's motion (a deflection,
        # the net), and a smear assumed wrongly shrinks the fitted circle along it.
        smear = None if motion is None or track.misses > 0 or self.exposure_share is None else (
            motion[0] * self.exposure_share, motion[1] * self.exposure_share)
        if smear is not None and math.hypot(*smear) > MAX_SMEAR_RADII * track.radius_px:
            smear = None
        # Its rim is fitted near the line, and anywhere until it has been seen whole as a ball.
        found = self.detector.measure(frame, predicted, track.radius_px, search_px,
                                      precise=near_line or not watch.seen_whole or not self.judging,
                                      alignment=alignment,
                                      motion_px=motion, radius_sure=track.radius_sure, smear_px=smear)
        # Farther than predicted (a shot at 25 frames/s moves a metre a frame): look on the whole
        # frame, at once after a first miss, then only on search frames while it stays hidden.
        searched_again = found is None and (track.misses == 0 or self.last_frame >= self._next_search)
        if searched_again:
            found = self._acquire(frame, alignment, ignore=watch, radius_px=track.radius_px, motion_px=motion)
            reach_px = search_px + self.max_step_radii * track.radius_px * (1 + track.misses)
            if found is not None and np.hypot(found.x_px - predicted[0], found.y_px - predicted[1]) > reach_px:
                found = None  # something else: the ball cannot have got there
        must_match = found is not None and (searched_again or track.misses > 0)
        # The colour is read only where it is used: a find to check, or a full rim fit to learn from.
        checked = must_match or (found is not None and not found.radius_held)
        colour = self.detector.chromaticity(frame, found, alignment) if checked else None
        same_ball = checked and watch.is_same_ball(found, colour)
        if must_match and not same_ball:
            found = None  # found away from its path or after a gap, and it looks otherwise: not this ball
        if found is None:
            track.miss()
            return None
        track.update(found.x_px, found.y_px, None if found.radius_held else found.radius_px, not found.partial_rim)
        if not found.radius_held:
            if not found.partial_rim and watch.seen_whole:  # only the ball's own size is the ball's size
                self.known_radius_px = track.radius_px
            if same_ball:  # never learn the colour of something that is not this ball (a shirt beside it)
                watch.learn_colour(colour)
        return found

    def _decision(self, call: LineCall, watch: _Watch) -> LineDecision:
        """The call in metres and seconds, placed in the goal mouth: a goal outside it, or too
        near a post or the bar to tell, is a no-goal with its reason (Law 10)."""
        metres_per_px = self.ball_radius_m / call.radius_px
        decision = LineDecision(
            kind=call.kind,
            camera_id=self.camera_id,
            frame_index=call.frame_index,
            video_time_s=call.frame_index / self.fps,
            margin_px=call.margin_px,
            margin_m=call.margin_px * metres_per_px,
            crossing_time_s=None if call.crossing_frame is None else call.crossing_frame / self.fps,
            decided_frame=call.decided_frame,
            radius_px=call.radius_px,
            confidence=call.confidence,
            evidence=call.evidence,
            hidden_frames=call.hidden_frames,
            ball_frame=call.seen_frame,
            ball_centre_px=call.seen_centre_px,
            ball_radius_px=call.seen_radius_px,
            placement=self._placement(call, watch),
        )
        if decision.kind == "goal" and decision.placement is not None and not decision.placement.in_mouth:
            verdict = decision.placement.verdict
            # Outside the mouth is as sure as the crossing; too near to tell is a coin's worth.
            confidence = decision.confidence if verdict == "outside_mouth" else UNSEEN_CONFIDENCE
            return replace(decision, kind="no_goal", reason=verdict, confidence=confidence)
        return decision

    def _placement(self, call: LineCall, watch: _Watch) -> Placement | None:
        """Where the call's ball crossed (goal) or came deepest (no-goal) in the goal plane."""
        if self.mouth is None:
            return None
        at = call.crossing_frame if call.crossing_frame is not None else call.frame_index
        sightings = watch.sightings_round(at, self.placement_reach_frames)
        return self.mouth.place(sightings, at, self.ball_radius_m, 1 / self.fps,
                                crossing_ray=watch.crossing_ray(at))

    def frame_shift_px(self, frame: np.ndarray) -> tuple[float, float]:
        """How far this frame's content is displaced from the background (camera shake; (0, 0) on
        a steady clip): the calibration's line and the measured circles, which are in background
        pixels, show in the frame that much further on. The same measurement `process` makes."""
        return self.aligner.measure(frame).shift_px
