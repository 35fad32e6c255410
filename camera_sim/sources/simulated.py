"""A simulated goal-line camera: the frames it records while incidents happen at its goal.

The camera records a segment per incident at its goal (from the incident's start for its
duration); its stream is those segments back to back, so frame indices and stream times
run on across segments, and `match_clock_s` maps a frame back to the match clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from camera_sim.camera.pinhole import PinholeCamera, goal_line_camera
from camera_sim.camera.render import FrameContent, FrameRenderer, PlayerPose
from camera_sim.camera.scene import GroundLook
from camera_sim.physics.simulate import Trajectory, goal_frame_of
from camera_sim.physics.turning import Turning, turning_of
from camera_sim.scenario.schema import Camera, Conditions, Pitch, Player, Scenario, Waypoint, duration_of
from camera_sim.sources.calibration import Calibration, calibration_of_camera

EXPOSURE_SAMPLES = 5
"""Ball positions handed to the renderer per exposure (it thins or interpolates them)."""


@dataclass(frozen=True)
class Segment:
    incident_index: int
    first_frame: int
    frame_count: int
    match_start_s: float
    trajectory: Trajectory


class SimulatedCamera:
    """Frames of one scenario camera, rendered on demand (a frame source)."""

    def __init__(self, scenario: Scenario, camera: Camera, trajectories: list[Trajectory]):
        self.config = camera
        self.camera_id = camera.id
        self.fps = camera.fps
        self.pinhole: PinholeCamera = goal_line_camera(camera)
        self.segments = _segments(scenario, camera, trajectories)
        self.frame_count = sum(s.frame_count for s in self.segments)
        seed = scenario.seed * 1000 + scenario.cameras.index(camera)
        self._scenario, self._seed = scenario, seed
        self._renderer: FrameRenderer | None = None
        self._noise_banks = np.zeros(self.frame_count, np.uint8)
        """The noise bank each frame was rendered with (a byte a frame), to render it again exactly."""
        self._render_args = (self.pinhole, goal_frame_of(scenario.geometry), scenario.conditions, seed,
                             scenario.ball.design, ground_look(scenario.pitch))
        self._turnings: dict[int, Turning] = {}
        """The ball's orientation over each segment's incident, worked out when first wanted."""

    @property
    def renderer(self) -> FrameRenderer:
        if self._renderer is None:  # ray-casting the scene takes a second: only when frames are wanted
            self._renderer = FrameRenderer(*self._render_args)
        return self._renderer

    def calibration(self, ball_diameter_m: float) -> Calibration:
        """CONTRACT section 2 calibration from the camera model (calibration_of_camera)."""
        geometry = self._scenario.geometry
        return calibration_of_camera(self.pinhole, self.config.in_line_plane, geometry.goal_width_m,
                                     geometry.goal_height_m, ball_diameter_m, self.fps, self.config.exposure_s,
                                     [segment.first_frame for segment in self.segments if segment.first_frame > 0])

    def frame_time(self, frame_index: int) -> tuple[Segment, float]:
        """The segment holding a frame and the frame's time within its incident (s)."""
        for segment in self.segments:
            if segment.first_frame <= frame_index < segment.first_frame + segment.frame_count:
                return segment, (frame_index - segment.first_frame) / self.fps
        raise IndexError(f"frame {frame_index} is outside the stream")

    def frame_at(self, match_clock_s: float) -> int | None:
        """The frame whose exposure centre is nearest a moment of the match; None when the camera
        recorded nothing then."""
        for segment in self.segments:
            offset = round((match_clock_s - segment.match_start_s) * self.fps)
            if 0 <= offset < segment.frame_count:
                return segment.first_frame + offset
        return None

    def stream_time_s(self, match_clock_s: float) -> float:
        """A moment of the match as a time of this camera's stream (s), by the segment nearest it."""
        segment = min(self.segments, key=lambda s: abs(match_clock_s - s.match_start_s - s.frame_count / self.fps / 2))
        return segment.first_frame / self.fps + (match_clock_s - segment.match_start_s)

    def match_clock_s(self, frame_index: int) -> float:
        """The match clock (s) at a frame's exposure centre."""
        segment, t = self.frame_time(frame_index)
        return segment.match_start_s + t

    def render_frame(self, frame_index: int) -> np.ndarray:
        """Render one frame, (H, W, 3) uint8 BGR, the ball smeared over the exposure."""
        frame = self.renderer.render(self.content(frame_index))
        self._noise_banks[frame_index] = self.renderer.last_noise_bank
        return frame

    def frame_again(self, frame_index: int) -> np.ndarray:
        """A frame already rendered by render_frame, rendered again pixel for pixel (its picture
        after a decision), without disturbing the noise of the frames still to come."""
        return self.renderer.render(self.content(frame_index), noise_bank=int(self._noise_banks[frame_index]))

    def content(self, frame_index: int) -> FrameContent:
        """What the camera sees move in a frame, and what happens to its picture then."""
        segment, t = self.frame_time(frame_index)
        exposure = self.config.exposure_s
        times = t + np.linspace(-exposure / 2, exposure / 2, EXPOSURE_SAMPLES) if exposure > 0 else np.array([t])
        incident = self._scenario.timeline[segment.incident_index]
        conditions = self._scenario.conditions
        return FrameContent(
            ball_exposure_m=segment.trajectory.position_at(times),
            ball_turns=self._ball_turns(segment, times),
            players=tuple(_pose(player, t) for player in incident.players),
            spare_balls_m=np.array([_along(ball.waypoints, t) for ball in incident.spare_balls]).reshape(-1, 3),
            gain=picture_gain(conditions, segment.match_start_s + t),
            shift_px=self._shake(frame_index, conditions),
        )

    def _ball_turns(self, segment: Segment, times: np.ndarray) -> np.ndarray | None:
        """The ball's orientation at each exposure time; None for a plain ball (nothing shows it turn)."""
        if self._scenario.ball.design == "plain_white":
            return None
        if segment.incident_index not in self._turnings:
            radius_m = self._scenario.geometry.ball_diameter_m / 2
            self._turnings[segment.incident_index] = turning_of(segment.trajectory, radius_m)
        return self._turnings[segment.incident_index].at(times)

    def _shake(self, frame_index: int, conditions: Conditions) -> tuple[float, float]:
        """A random shift within a disc of conditions.shake_px, the same every time a frame is rendered."""
        if conditions.shake_px == 0:
            return (0.0, 0.0)
        rng = np.random.default_rng([self._seed, frame_index])
        angle, reach = rng.uniform(0, 2 * np.pi), conditions.shake_px * np.sqrt(rng.uniform())
        return (float(reach * np.cos(angle)), float(reach * np.sin(angle)))

    def frames(self) -> Iterator[tuple[int, np.ndarray]]:
        """Every frame of the stream in order, rendered one at a time."""
        for frame_index in range(self.frame_count):
            yield frame_index, self.render_frame(frame_index)

    def sample(self, count: int) -> list[np.ndarray]:
        """Frames spread evenly over the stream (for learning the background)."""
        if self.frame_count == 0:
            return []
        indices = np.unique(np.linspace(0, self.frame_count - 1, count).round().astype(int))
        return [self.render_frame(int(i)) for i in indices]


def picture_gain(conditions: Conditions, match_clock_s: float) -> float:
    """Brightness of the picture at a moment: floodlight flicker times the exposure steps so far."""
    gain = 1.0
    if conditions.flicker is not None:
        gain += conditions.flicker.depth * np.sin(2 * np.pi * conditions.flicker.frequency_hz * match_clock_s)
    for step in conditions.exposure_steps:
        if match_clock_s >= step.at_s:
            gain *= step.factor
    return float(gain)


def ground_look(pitch: Pitch) -> GroundLook:
    """The renderer's ground look from a scenario's pitch section."""
    return GroundLook(grass_bgr=tuple(map(float, pitch.grass_bgr)), stripes=pitch.stripes,
                      stripe_width_m=pitch.stripe_width_m, stripe_contrast=pitch.stripe_contrast,
                      paint_bgr=tuple(map(float, pitch.paint_bgr)))


def _along(waypoints: list[Waypoint], t_s: float) -> np.ndarray:
    """Position (3,) m along timed waypoints at t_s: linear between them, held outside."""
    times = [w.t_s for w in waypoints]
    return np.array([np.interp(t_s, times, [w.at_m[k] for w in waypoints]) for k in range(3)])


def _pose(player: Player, t_s: float) -> PlayerPose:
    return PlayerPose(feet_m=_along(player.waypoints, t_s), radius_m=player.radius_m, height_m=player.height_m,
                      socks_height_m=player.socks_height_m, kit_bgr=np.array(player.kit_bgr, np.float32),
                      socks_bgr=np.array(player.socks_bgr, np.float32))


def _segments(scenario: Scenario, camera: Camera, trajectories: list[Trajectory]) -> list[Segment]:
    segments, first = [], 0
    in_clock_order = sorted(enumerate(scenario.timeline), key=lambda item: item[1].at_s)
    for index, incident in in_clock_order:
        if incident.goal != camera.goal:
            continue
        count = int(np.floor(duration_of(incident) * camera.fps))
        segments.append(Segment(index, first, count, incident.at_s, trajectories[index]))
        first += count
    return segments

