"""A goal judged by its cameras together: their observations fused in 3D, one call per crossing.

A goal whose cameras include one off the goal line's plane cannot be judged camera by camera
(such a camera sees the goal plane as an area, not a line). Each of its cameras then only
follows the ball (`CameraJudge(judging=False)`, whose observations the caller hands on) and
the match-level judge (`decide.fusion.FusionJudge`) decides from all of them. Its calls become `LineDecision`s
reported by one camera (CONTRACT section 3: `camera_id` names the camera whose frame and time
are given, `data.cameras` all that saw it): the goal's fastest camera in the line's plane,
whose picture shows the line as a line, else its fastest camera.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from camera_sim.camera.pinhole import PinholeCamera
from camera_sim.decide.fusion import FusedCall, FusionJudge, GoalGeometry
from camera_sim.decide.observation import Observation
from camera_sim.goal_mouth import Placement
from camera_sim.pipeline import LineDecision


@dataclass(frozen=True)
class FusedCamera:
    """One camera of a fused goal: its model and its clock.

    frame_at: the frame of its stream whose exposure centre is nearest a time on the shared
    clock (None when it recorded nothing then); stream_time_s: a shared-clock time as a time of
    its own stream (s). in_line_plane: its centre lies in the goal line's plane.
    """

    camera_id: str
    pinhole: PinholeCamera
    fps: float
    frame_at: Callable[[float], int | None]
    stream_time_s: Callable[[float], float]
    in_line_plane: bool


class FusedGoal:
    """The cameras of one goal and their match-level judge."""

    def __init__(self, cameras: Sequence[FusedCamera], goal: GoalGeometry):
        self.cameras = {camera.camera_id: camera for camera in cameras}
        self.goal = goal
        self.judge = FusionJudge({c.camera_id: c.pinhole for c in cameras}, {c.camera_id: c.fps for c in cameras}, goal)
        self.reporter = max(cameras, key=lambda c: (c.in_line_plane, c.fps))

    def observe(self, observations: Iterable[Observation]) -> list[LineDecision]:
        """Hand the judge the cameras' observations, in the shared clock's order (call after each
        frame); the decisions that settles."""
        return self._decisions(self.judge.observe(observations))

    def cut(self) -> list[LineDecision]:
        """Every clip jumps to another moment here: settle what is pending (FusionJudge.cut)."""
        return self._decisions(self.judge.cut())

    def finish(self) -> list[LineDecision]:
        """The streams have ended: settle what is pending."""
        return self._decisions(self.judge.finish())

    def _decisions(self, calls: list[FusedCall]) -> list[LineDecision]:
        return [decision for decision in map(self._decision, calls) if decision is not None]

    def _decision(self, call: FusedCall) -> LineDecision | None:
        """The call as the reporter camera's decision (its frame nearest the decisive moment)."""
        reporter = self.reporter
        frame = reporter.frame_at(call.time_s)
        if frame is None:
            return None  # the reporter recorded nothing then (cannot happen while it shares the goal's incidents)
        decided = reporter.frame_at(call.decided_time_s)
        depth = float((reporter.pinhole.R @ call.position_m + reporter.pinhole.t)[2])
        radius_px = reporter.pinhole.focal_px * self.goal.ball_radius_m / depth
        centre = reporter.pinhole.project([call.position_m])[0]
        return LineDecision(
            kind=call.kind,
            camera_id=reporter.camera_id,
            frame_index=frame,
            video_time_s=frame / reporter.fps,
            margin_px=call.margin_m * radius_px / self.goal.ball_radius_m,
            margin_m=call.margin_m,
            crossing_time_s=None if call.crossing_time_s is None else reporter.stream_time_s(call.crossing_time_s),
            decided_frame=frame if decided is None else decided,
            radius_px=radius_px,
            confidence=call.confidence,
            evidence=call.evidence,
            hidden_frames=0,
            ball_frame=frame,
            ball_centre_px=(float(centre[0]), float(centre[1])),
            ball_radius_px=radius_px,
            placement=_placement(call),
            reason=call.reason,
            cameras=call.cameras,
            position_m=call.position_m,
            margin_sigma_m=call.margin_sigma_m,
        )


def _placement(call: FusedCall) -> Placement | None:
    """Where the centre crossed the goal plane; None for a no-goal whose ball never crossed."""
    if call.crossing_m is None or call.crossing_sigma_m is None:
        return None
    verdict = "in_mouth" if call.in_mouth else call.reason or "mouth_uncertain"
    sigma_x, sigma_z = call.crossing_sigma_m
    return Placement(call.crossing_m[0], call.crossing_m[1], math.hypot(sigma_x, sigma_z), verdict,
                     math.hypot(sigma_x, sigma_z))
