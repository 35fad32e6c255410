"""The ball's orientation over an incident: its angular velocity integrated along the trajectory.

Only the renderer needs it (a printed design turns with the ball); nothing decides from it.

Between two samples of the trajectory the ball turns at one angular velocity (goal frame, rad/s):
- on the ground (the centre one radius up at both samples, to ROLLING_TOLERANCE_M) it rolls
  without slipping: the contact point is at rest, so omega = z_up x v / r (a ball rolling
  towards +y turns about -x), plus the vertical part of the recorded spin, which the grass
  does not stop (a ball may spin about the vertical where it lies);
- in the air it turns at the spin the physics recorded for that step (shots); a ball moved
  along waypoints in the air (on a sled, carried) does not turn.

An orientation is a rotation matrix taking the ball's own frame to the goal frame; it is the
identity when the incident starts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from camera_sim.physics.simulate import Trajectory

ROLLING_TOLERANCE_M = 1e-3
"""A centre within 1 mm of one radius above the ground is a ball on the ground (rolling)."""
UP = np.array([0.0, 0.0, 1.0])


@dataclass(frozen=True)
class Turning:
    """Orientation of the ball over an incident.

    times_s: (N,) sample times; orientations: (N, 3, 3) ball frame -> goal frame at those times;
    omegas_radps: (N, 3) angular velocity (goal frame) from each sample to the next (zero after the last).
    """

    times_s: np.ndarray
    orientations: np.ndarray
    omegas_radps: np.ndarray

    def at(self, t_s: np.ndarray | float) -> np.ndarray:
        """Orientations (..., 3, 3) at time(s) t_s; held before the first sample."""
        t = np.asarray(t_s, dtype=float)
        index = np.clip(np.searchsorted(self.times_s, t, side="right") - 1, 0, len(self.times_s) - 1)
        since = np.maximum(t - self.times_s[index], 0.0)
        return rotation_matrix(self.omegas_radps[index] * since[..., None]) @ self.orientations[index]


def turning_of(trajectory: Trajectory, ball_radius_m: float) -> Turning:
    """The ball's orientation over a trajectory (see the module's rules)."""
    times, positions = trajectory.times_s, trajectory.positions_m
    steps = np.diff(times)
    moves = np.diff(positions, axis=0)
    on_ground = np.abs(positions[:, 2] - ball_radius_m) <= ROLLING_TOLERANCE_M
    rolling = on_ground[:-1] & on_ground[1:]
    flying_omega = (trajectory.spins_radps[:-1] if trajectory.spins_radps is not None
                    else np.zeros_like(moves))
    rolling_omega = np.cross(UP, moves) / (ball_radius_m * steps[:, None]) + flying_omega * UP
    omegas = np.vstack([np.where(rolling[:, None], rolling_omega, flying_omega), np.zeros((1, 3))])
    step_turns = rotation_matrix(omegas[:-1] * steps[:, None])
    orientations = np.empty((len(times), 3, 3))
    orientations[0] = np.eye(3)
    for k, turn in enumerate(step_turns):
        orientations[k + 1] = turn @ orientations[k]
    return Turning(times, orientations, omegas)


def rotation_matrix(rotation_vector: np.ndarray) -> np.ndarray:
    """Rotation matrices (..., 3, 3) turning by |v| radians about v (Rodrigues' formula)."""
    v = np.asarray(rotation_vector, dtype=float)
    angle = np.linalg.norm(v, axis=-1)[..., None, None]
    axis = v / np.maximum(angle[..., 0], 1e-12)
    x, y, z = axis[..., 0], axis[..., 1], axis[..., 2]
    zero = np.zeros_like(x)
    cross = np.stack([np.stack([zero, -z, y], -1), np.stack([z, zero, -x], -1), np.stack([-y, x, zero], -1)], -2)
    return np.eye(3) + np.sin(angle) * cross + (1 - np.cos(angle)) * (cross @ cross)


def rotation_vector(matrix: np.ndarray) -> np.ndarray:
    """Rotation vectors (..., 3) of rotation matrices (..., 3, 3), angles in [0, pi)."""
    m = np.asarray(matrix, dtype=float)
    cos_angle = np.clip((np.trace(m, axis1=-2, axis2=-1) - 1) / 2, -1.0, 1.0)
    angle = np.arccos(cos_angle)
    skew = np.stack([m[..., 2, 1] - m[..., 1, 2], m[..., 0, 2] - m[..., 2, 0], m[..., 1, 0] - m[..., 0, 1]], -1)
    sin_angle = np.sin(angle)[..., None]
    scale = np.where(sin_angle > 1e-9, angle[..., None] / (2 * np.maximum(sin_angle, 1e-12)), 0.5)
    return skew * scale
