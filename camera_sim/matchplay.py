"""A scenario played out: trajectories, truth and simulated cameras, ready for run and render."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from camera_sim.physics.simulate import Trajectory, play
from camera_sim.physics.truth import LineTruth, line_truth
from camera_sim.scenario.schema import Scenario, duration_of
from camera_sim.sources.simulated import SimulatedCamera

HALF_TIME_S = 45 * 60
"""Law 7: two halves of 45 minutes; the teams change ends at half time (the clock runs on)."""


@dataclass(frozen=True)
class ExpectedCall:
    """What the truth says one camera should decide for one incident (for checking only)."""

    incident_index: int
    camera_id: str
    kind: str | None
    frame_index: int | None
    """Goal: first frame whose exposure centre has the whole ball over; no-goal: deepest frame."""
    margin_m: float | None
    """Truth margin in that frame."""
    first_frame: int
    last_frame: int
    outside_mouth: bool
    """The whole ball crossed the line, but only wide of the posts or over the bar: a no-goal."""


@dataclass
class MatchPlay:
    scenario: Scenario
    trajectories: list[Trajectory]
    truths: list[LineTruth]
    cameras: list[SimulatedCamera]

    @classmethod
    def of(cls, scenario: Scenario) -> "MatchPlay":
        """Play every incident out and set up every camera (no frame is rendered yet)."""
        trajectories = [play(incident, scenario.geometry) for incident in scenario.timeline]
        truths = [line_truth(t, scenario.geometry) for t in trajectories]
        cameras = [SimulatedCamera(scenario, camera, trajectories) for camera in scenario.cameras]
        return cls(scenario, trajectories, truths, cameras)

    @property
    def recording_cameras(self) -> list[SimulatedCamera]:
        """Cameras that record something: a camera whose goal sees no incident has no frames."""
        return [camera for camera in self.cameras if camera.frame_count > 0]

    @property
    def fused_goal_ends(self) -> frozenset[str]:
        """Goals judged by their cameras together (fused_goal.py): those with a recording
        camera off the goal line's plane."""
        return frozenset(c.config.goal for c in self.recording_cameras if not c.config.in_line_plane)

    def camera(self, camera_id: str) -> SimulatedCamera:
        return next(c for c in self.cameras if c.camera_id == camera_id)

    @property
    def reporting_cameras(self) -> list[SimulatedCamera]:
        """Recording cameras whose calls the match hears: at a fused goal, only the one that
        reports the fused calls (FusedGoal.reporter: in the line's plane first, then fastest)."""
        reporters = {}
        for camera in self.recording_cameras:
            if camera.config.goal in self.fused_goal_ends:
                best = reporters.get(camera.config.goal)
                key = (camera.config.in_line_plane, camera.fps)
                if best is None or key > (best.config.in_line_plane, best.fps):
                    reporters[camera.config.goal] = camera
        return [c for c in self.recording_cameras
                if c.config.goal not in self.fused_goal_ends or reporters[c.config.goal] is c]

    @property
    def idle_camera_ids(self) -> list[str]:
        """Ids of the cameras that record nothing."""
        return [camera.camera_id for camera in self.cameras if camera.frame_count == 0]

    @property
    def ball_diameter_m(self) -> float:
        return self.scenario.geometry.ball_diameter_m

    def expected_calls(self, camera: SimulatedCamera) -> list[ExpectedCall]:
        """What the truth says `camera` should decide, one entry per incident it records."""
        calls = []
        radius = self.ball_diameter_m / 2
        for segment in camera.segments:
            truth = self.truths[segment.incident_index]
            trajectory = self.trajectories[segment.incident_index]
            frame, margin = None, None
            if truth.expected == "goal":
                frame = segment.first_frame + math.floor(truth.crossings[0].time_s * camera.fps) + 1
            elif truth.expected == "no_goal":
                frame = segment.first_frame + round(truth.deepest_time_s * camera.fps)
            if frame is not None:
                t = (frame - segment.first_frame) / camera.fps
                margin = float(trajectory.position_at(t)[1] - radius)
            calls.append(ExpectedCall(segment.incident_index, camera.camera_id, truth.expected, frame, margin,
                                      segment.first_frame, segment.first_frame + segment.frame_count - 1,
                                      truth.outside_mouth))
        return calls

    @property
    def last_clock_s(self) -> float:
        """Match clock at the end of the last incident."""
        return max(incident.at_s + duration_of(incident) for incident in self.scenario.timeline)

    def wall_time(self, match_clock_s: float):
        """Date and time of a moment of the match (kick-off plus match clock)."""
        return self.scenario.match.kick_off + timedelta(seconds=match_clock_s)

    def goal_scorer(self, goal_end: str, match_clock_s: float) -> str:
        """The team attacking `goal_end` at that moment (ends swap at half time)."""
        match = self.scenario.match
        home_defends = match.home_defends_first_half
        if match_clock_s >= HALF_TIME_S:
            home_defends = "north" if home_defends == "south" else "south"
        return match.away if goal_end == home_defends else match.home


def clock_text(match_clock_s: float) -> str:
    """Match clock as mm:ss.ss (minutes run past 90)."""
    minutes, seconds = divmod(match_clock_s, 60)
    return f"{int(minutes):02d}:{seconds:05.2f}"
