"""Playing one incident out: a fixed-step integrator, independent of any camera's frame rate."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from camera_sim.physics.ball import (
    FRAME_FRICTION,
    FRAME_RESTITUTION,
    NET_KEEP_NORMAL,
    NET_KEEP_TANGENTIAL,
    ROLLING_VZ_MPS,
    STANDARD_AIR,
    Air,
    BallState,
    GoalFrame,
    bounce,
    bounce_on_ground,
    frame_contact,
    net_contact,
    reflect,
    rk4_step,
)
from camera_sim.physics.vector import Vec
from camera_sim.scenario.schema import Geometry, Path, Shot, Touch

PHYSICS_STEP_S = 0.0005
"""0.5 ms: with RK4 the flight error is far below a millimetre, and contacts are located
inside a step by bisection, so the position at any frame time is right to a millimetre."""
_CONTACT_BISECTIONS = 12


@dataclass(frozen=True)
class Trajectory:
    """The ball's centre over one incident.

    times_s: (N,) seconds since the incident started, strictly increasing.
    positions_m: (N, 3) goal-frame metres; linear between samples.
    spins_radps: (N, 3) the ball's spin (goal frame) from each sample to the next, as the physics
    had it (shots only; None for a path). Only the renderer reads it, to turn a printed design.
    """

    times_s: np.ndarray
    positions_m: np.ndarray
    spins_radps: np.ndarray | None = None

    @property
    def duration_s(self) -> float:
        return float(self.times_s[-1])

    def position_at(self, t_s: np.ndarray | float) -> np.ndarray:
        """Ball centre at time(s) t_s, shape (..., 3); held at the ends."""
        t = np.asarray(t_s, dtype=float)
        return np.stack([np.interp(t, self.times_s, self.positions_m[:, k]) for k in range(3)], axis=-1)


def goal_frame_of(geometry: Geometry) -> GoalFrame:
    """The collision shapes of a goal built to the scenario's geometry."""
    return GoalFrame(
        ball_radius_m=geometry.ball_diameter_m / 2,
        half_width_m=geometry.goal_width_m / 2,
        height_m=geometry.goal_height_m,
        member_radius_m=geometry.line_width_m / 2,
        depth_m=geometry.goal_depth_m,
    )


def play(incident: Shot | Path, geometry: Geometry, air: Air = STANDARD_AIR, step_s: float = PHYSICS_STEP_S) -> Trajectory:
    """The ball's trajectory over an incident.

    air: aerodynamics (VACUUM for closed-form checks); step_s: integrator step, at most 1 ms.
    """
    if isinstance(incident, Path):
        return _follow_path(incident)
    return _fly_shot(incident, goal_frame_of(geometry), air, step_s)


def _follow_path(path: Path) -> Trajectory:
    times = np.array([w.t_s for w in path.waypoints])
    positions = np.array([w.at_m for w in path.waypoints], dtype=float)
    if path.length_s > times[-1]:
        times = np.append(times, path.length_s)
        positions = np.vstack([positions, positions[-1]])
    return Trajectory(times, positions)  # before the first waypoint the ball waits at it


def _launch(shot: Shot) -> BallState:
    start, aim = Vec.of(shot.from_m), Vec.of(shot.aim_m)
    return BallState(start, (aim - start).unit() * shot.speed_mps, Vec.of(shot.spin_radps))


def _after_touch(state: BallState, touch: Touch) -> BallState:
    return BallState(state.position_m, Vec.of(touch.velocity_mps), Vec.of(touch.spin_radps))


class _Flight:
    """Integrator state for one shot: the ball, whether it rolls, and the samples so far."""

    def __init__(self, start: BallState, goal: GoalFrame, air: Air):
        self.goal = goal
        self.air = air
        self.state = start
        self.t_s = 0.0
        self.rolling = self._should_roll(start)
        self.samples: list[tuple[float, Vec, Vec]] = [(0.0, start.position_m, start.spin_radps)]

    def _should_roll(self, state: BallState) -> bool:
        on_ground = state.position_m.z <= self.goal.ball_radius_m + 1e-6
        return on_ground and abs(state.velocity_mps.z) < ROLLING_VZ_MPS

    def set_state(self, state: BallState) -> None:
        """Take a new state after a contact or a touch; a ball that stops bouncing rolls."""
        self.rolling = self._should_roll(state)
        if self.rolling:  # on the ground: no vertical motion left
            p, v = state.position_m, state.velocity_mps
            state = BallState(Vec(p.x, p.y, self.goal.ball_radius_m), Vec(v.x, v.y, 0.0), state.spin_radps)
        self.state = state
        self.samples.append((self.t_s, state.position_m, state.spin_radps))

    def advance(self, dt_s: float) -> None:
        """Move on by dt_s, resolving the first contact inside the step, if any."""
        before = self.state
        after = rk4_step(before, dt_s, self.goal.ball_radius_m, self.rolling, self.air)
        hit = self._first_contact(before, after)
        if hit is None:
            self.state, self.t_s = after, self.t_s + dt_s
            self.samples.append((self.t_s, after.position_m, after.spin_radps))
            return
        fraction, resolve = hit
        contact = rk4_step(before, dt_s * fraction, self.goal.ball_radius_m, self.rolling, self.air)
        self.t_s += dt_s * fraction
        self.set_state(resolve(contact))
        remainder = dt_s * (1 - fraction)
        if remainder > 1e-9:
            self.state = rk4_step(self.state, remainder, self.goal.ball_radius_m, self.rolling, self.air)
            self.t_s += remainder
            self.samples.append((self.t_s, self.state.position_m, self.state.spin_radps))

    def _first_contact(self, before: BallState, after: BallState):
        goal, radius = self.goal, self.goal.ball_radius_m
        p0, p1 = before.position_m, after.position_m
        checks = []
        if not self.rolling and p1.z < radius:
            checks.append((lambda p: p.z < radius, lambda s: bounce_on_ground(s, radius)))
        if frame_contact(p1, goal) is not None:
            checks.append((lambda p: frame_contact(p, goal) is not None,
                           lambda s: _off_frame(s, goal)))
        if net_contact(p1, p0, goal) is not None:
            checks.append((lambda p: net_contact(p, p0, goal) is not None,
                           lambda s: _into_net(s, p0, goal)))
        if not checks:
            return None
        found = [(_contact_fraction(p0, p1, touching), resolve) for touching, resolve in checks]
        return min(found, key=lambda item: item[0])

    def trajectory(self) -> Trajectory:
        times = np.array([t for t, _, _ in self.samples])
        positions = np.array([tuple(p) for _, p, _ in self.samples])
        spins = np.array([tuple(w) for _, _, w in self.samples])
        keep = np.concatenate([[True], np.diff(times) > 1e-9])  # contact samples may repeat a time
        kept = np.flatnonzero(keep)
        last_of_each_time = np.append(kept[1:] - 1, len(times) - 1)  # the spin after a contact at that time
        return Trajectory(times[keep], positions[keep], spins[last_of_each_time])


def _up() -> Vec:
    return Vec(0.0, 0.0, 1.0)


def _off_frame(state: BallState, goal: GoalFrame) -> BallState:
    normal = frame_contact(state.position_m, goal) or _up()
    return bounce(state, normal, goal.ball_radius_m, FRAME_RESTITUTION, FRAME_FRICTION)


def _into_net(state: BallState, came_from: Vec, goal: GoalFrame) -> BallState:
    normal = net_contact(state.position_m, came_from, goal) or _up()
    slowed = reflect(state, normal, NET_KEEP_NORMAL, NET_KEEP_TANGENTIAL)
    return slowed


def _contact_fraction(p0: Vec, p1: Vec, touching) -> float:
    """Fraction of the step at which the moving ball first touches, by bisection."""
    low, high = 0.0, 1.0
    for _ in range(_CONTACT_BISECTIONS):
        middle = (low + high) / 2
        if touching(p0 + (p1 - p0) * middle):
            high = middle
        else:
            low = middle
    return high


def _fly_shot(shot: Shot, goal: GoalFrame, air: Air, step_s: float) -> Trajectory:
    flight = _Flight(_launch(shot), goal, air)
    touches = sorted(shot.touches, key=lambda touch: touch.after_s)
    while flight.t_s < shot.duration_s - 1e-9:
        if touches and flight.t_s >= touches[0].after_s - 1e-9:
            flight.set_state(_after_touch(flight.state, touches.pop(0)))
        next_stop = min([shot.duration_s] + [touch.after_s for touch in touches])
        at_rest = flight.rolling and flight.state.velocity_mps.norm() == 0.0
        if at_rest and not touches:
            flight.t_s = shot.duration_s
            flight.samples.append((flight.t_s, flight.state.position_m, flight.state.spin_radps))
            break
        flight.advance(min(step_s, next_stop - flight.t_s))
    return flight.trajectory()
