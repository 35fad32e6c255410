"""The one decision path shared by `run` and `video`: frame -> detect -> track -> judge.

It sees frames and the calibration only, never the simulator's state.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from camera_sim.decide.crossing import CrossingJudge, LineCall
from camera_sim.detect.alignment import FrameAlignment
from camera_sim.detect.background import Background
from camera_sim.detect.ball_detector import BallDetector, BallMeasurement
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
MAX_BALL_SPEED_MPS = 45.0
"""Faster than the hardest shots measured (about 130 km/h = 36 m/s): a ball found by a whole-frame
search within this much motion of the track's prediction continues the track (at 25 frames/s a
shot moves over a metre between frames); farther away it is a new appearance."""


@dataclass(frozen=True)
class LineDecision:
    """A goal-line call with its times and its margin in pixels and metres."""

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


class CameraJudge:
    """Watches one camera's frames in order and returns decisions as they are made."""

    def __init__(self, camera_id: str, calibration: Calibration, background: Background, fps: float):
        self.camera_id = camera_id
        self.fps = fps
        self.ball_radius_m = calibration.ball_diameter_m / 2
        self.goal_line = calibration.line()
        self.detector = BallDetector(background, self.goal_line)
        self.aligner = background.aligner()
        self.judge = CrossingJudge()
        self.track: BallTrack | None = None
        self.last_frame = -1
        self.memory_frames = max(1, round(TRACK_MEMORY_S * fps))
        self.max_step_radii = MAX_BALL_SPEED_MPS / fps / self.ball_radius_m
        """The farthest a ball can move between frames, in ball radii."""

    def process(self, frame_index: int, frame: np.ndarray) -> list[LineDecision]:
        """Look at one frame (H, W, 3) uint8 BGR; decisions settled by it, if any."""
        self.last_frame = frame_index
        calls: list[LineCall] = []
        measurement = self._measure(frame, self.aligner.measure(frame), calls, frame_index)
        if measurement is not None:
            distance = self.goal_line.signed_distance_px((measurement.x_px, measurement.y_px))
            calls += self.judge.observe(frame_index, distance, measurement.radius_px, measurement.radius_held)
        return [self._decision(call) for call in calls]

    def finish(self) -> list[LineDecision]:
        """End of the stream: settle what is pending."""
        return [self._decision(call) for call in self.judge.ball_lost(self.last_frame)]

    def _measure(self, frame: np.ndarray, alignment: FrameAlignment, calls: list[LineCall],
                 frame_index: int) -> BallMeasurement | None:
        """Measure the tracked ball, or look for one on the whole frame when none is tracked."""
        if self.track is not None:
            found = self._follow(frame, alignment)
            if found is not None or self.track.misses <= self.memory_frames:
                return found  # None: hidden for a moment (behind the crossbar's band, say)
            self.track = None
            calls += self.judge.ball_lost(frame_index)
        found = self.detector.acquire(frame, alignment=alignment)
        if found is not None:
            self.track = BallTrack(found.x_px, found.y_px, found.radius_px)
        return found

    def _follow(self, frame: np.ndarray, alignment: FrameAlignment) -> BallMeasurement | None:
        """The tracked ball near its predicted place, or anywhere it could have got to since."""
        predicted = self.track.predict()
        search_px = min(self.track.search_radius_px(), MAX_SEARCH_RADII * self.track.radius_px)
        near_line = abs(self.goal_line.signed_distance_px(predicted)) < (
            PRECISE_ZONE_RADII * self.track.radius_px + search_px)
        motion = self.track.velocity
        found = self.detector.measure(frame, predicted, self.track.radius_px, search_px, precise=near_line,
                                      alignment=alignment, motion_px=motion)
        if found is None:  # farther than predicted (a shot at 25 frames/s moves a metre a frame)
            found = self.detector.acquire(frame, self.track.radius_px, alignment, motion)
            reach_px = search_px + self.max_step_radii * self.track.radius_px * (1 + self.track.misses)
            if found is not None and np.hypot(found.x_px - predicted[0], found.y_px - predicted[1]) > reach_px:
                found = None  # something else: the ball cannot have got there
        if found is None:
            self.track.miss()
            return None
        return self._continue_track(found)

    def _continue_track(self, found: BallMeasurement) -> BallMeasurement:
        self.track.update(found.x_px, found.y_px, None if found.radius_held else found.radius_px)
        return found

    def _decision(self, call: LineCall) -> LineDecision:
        metres_per_px = self.ball_radius_m / call.radius_px
        return LineDecision(
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
        )
