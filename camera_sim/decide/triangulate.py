"""The ball's centre in 3D from several cameras' image centres, along a short path in time.

Pure least squares on numbers. The path is a polynomial in time about `t0_s` (order 0: a point;
1: constant velocity; 2: constant acceleration, which holds gravity and drag over a few frames),
so sightings taken at different moments by cameras at different frame rates are fused by time.
A linear solve (the direct linear transform, each equation weighed by the camera's stated error)
starts Gauss-Newton on the reprojection error in undistorted image coordinates; a camera whose
sightings disagree with the others' is dropped while at least MIN_CAMERAS remain, and the
uncertainty comes from the geometry (the Jacobian) scaled up by the residuals when they exceed
the stated errors.

Two cameras 20 m from a ball at (0, 0.5, 1) m, at right angles, see it exactly:

>>> from camera_sim.camera.pinhole import PinholeCamera
>>> cams = {"a": PinholeCamera.looking_at((20, 0.5, 1), (0, 0.5, 1), (1280, 720), 2000.0),
...         "b": PinholeCamera.looking_at((0, -20, 1), (0, 0.5, 1), (1280, 720), 2000.0)}
>>> seen = [Observation(c, 0.0, 0, tuple(cams[c].project([[0, 0.5, 1]])[0]), 0.2) for c in cams]
>>> fit = fit_path(seen, cams, t0_s=0.0, order=0)
>>> [round(float(v), 4) + 0.0 for v in fit.position_at(0.0)], fit.cameras
([0.0, 0.5, 1.0], ('a', 'b'))
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from camera_sim.camera.pinhole import PinholeCamera
from camera_sim.decide.observation import Observation

MIN_CAMERAS = 2
"""A point in space needs two rays; one camera alone only gives a direction."""
REJECT_SIGMAS = 4.0
"""A camera whose RMS residual exceeds 4 of its stated errors, while the others fit, is dropped
(a detection on a boot or a head): with Gaussian errors an honest camera goes past it far less
than once in 10,000 fits."""
GAUSS_NEWTON_STEPS = 6
"""Gauss-Newton from the linear solve converges in 2-3 steps on a ball 10-60 m away; 6 is ample."""
MIN_DEPTH_M = 0.1
"""A path that puts the ball this close to (or behind) a camera that saw it is no solution."""
MAX_CONDITION = 1e12
"""A normal matrix worse conditioned than this leaves some direction unmeasured (parallel rays,
one camera): no fit."""


@dataclass(frozen=True)
class PathFit:
    """The ball's centre along a short path: p(t) = sum_j coefficients[j] u^j / j!, u = (t - t0) / time_scale_s.

    coefficients_m: (order + 1, 3), goal frame (m, m per time_scale_s, ...); time_scale_s: the
    sightings' largest distance from t0 (s; 1 for a point), so that the coefficients are of one
    size and their normal matrix well conditioned. covariance: (3 (order + 1),)^2 of
    the coefficients flattened row by row. cameras: those whose sightings the fit uses; rejected:
    those dropped as disagreeing. rms_sigmas: RMS of the residuals in stated errors (about 1 when
    the stated errors are right).
    """

    t0_s: float
    coefficients_m: np.ndarray
    covariance: np.ndarray
    cameras: tuple[str, ...]
    rejected: tuple[str, ...]
    rms_sigmas: float
    sightings: int
    time_scale_s: float = 1.0

    def _basis(self, t_s: float) -> np.ndarray:
        u = (t_s - self.t0_s) / self.time_scale_s
        return np.array([u**j / math.factorial(j) for j in range(len(self.coefficients_m))])

    def position_at(self, t_s: float) -> np.ndarray:
        """The centre (3,) m at time t_s."""
        return self._basis(t_s) @ self.coefficients_m

    def covariance_at(self, t_s: float) -> np.ndarray:
        """The centre's covariance (3, 3) m^2 at time t_s."""
        lift = np.kron(self._basis(t_s)[None, :], np.eye(3))  # (3, 3 (order + 1))
        return lift @ self.covariance @ lift.T

    def velocity_at(self, t_s: float) -> np.ndarray:
        """The centre's velocity (3,) m/s at time t_s (zero for a point)."""
        order = len(self.coefficients_m) - 1
        if order == 0:
            return np.zeros(3)
        u = (t_s - self.t0_s) / self.time_scale_s
        return sum(self.coefficients_m[j] * u ** (j - 1) / math.factorial(j - 1)
                   for j in range(1, order + 1)) / self.time_scale_s


def fit_path(observations: Sequence[Observation], cameras: Mapping[str, PinholeCamera], t0_s: float,
             order: int = 2) -> PathFit | None:
    """The path through `observations` (of cameras in `cameras`) about t0_s, or None when they do
    not fix one (fewer than MIN_CAMERAS cameras agree, or their rays do not cross).

    order: 0 (a point), 1 or 2; lowered to what the sightings' distinct times can fix.
    """
    kept = [o for o in observations if o.camera_id in cameras]
    rejected: list[str] = []
    while len({o.camera_id for o in kept}) >= MIN_CAMERAS:
        fit = _fit(kept, cameras, t0_s, order)
        if fit is None:
            return None
        coefficients, covariance, per_camera, rms, time_scale = fit
        worst = max(per_camera, key=per_camera.get)
        if per_camera[worst] <= REJECT_SIGMAS or len(per_camera) <= MIN_CAMERAS:
            return PathFit(t0_s, coefficients, covariance, tuple(sorted(per_camera)), tuple(rejected), rms, len(kept),
                           time_scale)
        rejected.append(worst)
        kept = [o for o in kept if o.camera_id != worst]
    return None


def _fit(observations: Sequence[Observation], cameras: Mapping[str, PinholeCamera], t0_s: float, order: int):
    """Coefficients, their covariance, each camera's RMS residual (in stated errors) and the
    overall RMS; None when the sightings do not fix the path."""
    times = np.array([o.time_s for o in observations]) - t0_s
    order = min(order, len(np.unique(np.round(times, 9))) - 1)
    time_scale = float(np.abs(times).max()) if order > 0 else 1.0
    times = times / time_scale
    basis = np.stack([times**j / math.factorial(j) for j in range(order + 1)], axis=1)  # (N, order + 1)
    normalized = np.concatenate([cameras[o.camera_id].normalized([o.centre_px]) for o in observations])
    rotations = np.stack([cameras[o.camera_id].R for o in observations])  # (N, 3, 3)
    translations = np.stack([np.asarray(cameras[o.camera_id].t, float) for o in observations])  # (N, 3)
    # Pixel errors in normalised coordinates: sigma / focal length.
    scale = np.array([cameras[o.camera_id].focal_px / o.sigma_px for o in observations])
    theta = _linear_solve(normalized, rotations, translations, basis, scale)
    if theta is None:
        return None
    for _ in range(GAUSS_NEWTON_STEPS):
        residual, jacobian = _residuals(theta, normalized, rotations, translations, basis, scale)
        if residual is None:
            return None
        step = _least_squares(jacobian, -residual)
        if step is None:
            return None
        theta = theta + step
        if float(np.abs(step).max()) < 1e-9:
            break
    residual, jacobian = _residuals(theta, normalized, rotations, translations, basis, scale)
    if residual is None:
        return None
    normal = jacobian.T @ jacobian
    if np.linalg.cond(normal) > MAX_CONDITION:
        return None
    dof = residual.size - theta.size
    chi2 = float(residual @ residual)
    covariance = np.linalg.inv(normal) * max(1.0, chi2 / dof if dof > 0 else 1.0)
    ids = np.array([o.camera_id for o in observations])
    squared = residual.reshape(-1, 2) ** 2
    per_camera = {c: math.sqrt(float(squared[ids == c].mean())) for c in np.unique(ids).tolist()}
    rms = math.sqrt(chi2 / residual.size)
    return theta.reshape(order + 1, 3), covariance, per_camera, rms, time_scale


def _linear_solve(normalized, rotations, translations, basis, scale) -> np.ndarray | None:
    """Each sighting (x, y) gives (R0 - x R2) . p + (t0 - x t2) = 0 and the same with y and R1: linear
    in the path's coefficients. Solved once with equal depths, then again weighed by each
    sighting's depth from the first solution (so the equations' errors are the pixels')."""
    x, y = normalized[:, :1], normalized[:, 1:]
    rows_x = rotations[:, 0] - x * rotations[:, 2]
    rows_y = rotations[:, 1] - y * rotations[:, 2]
    constants = np.concatenate([translations[:, 0] - x[:, 0] * translations[:, 2],
                                translations[:, 1] - y[:, 0] * translations[:, 2]])
    rows = np.concatenate([rows_x, rows_y])  # (2N, 3)
    lifted = (rows[:, None, :] * np.concatenate([basis, basis])[:, :, None]).reshape(len(rows), -1)
    weights = np.concatenate([scale, scale])
    theta = None
    for _ in range(2):
        theta = _least_squares(lifted * weights[:, None], -constants * weights)
        if theta is None:
            return None
        points = basis @ theta.reshape(-1, 3)
        depth = np.einsum("nj,nj->n", rotations[:, 2], points) + translations[:, 2]
        if (depth <= MIN_DEPTH_M).any():
            return None
        weights = np.concatenate([scale / depth, scale / depth])
    return theta


def _residuals(theta, normalized, rotations, translations, basis, scale):
    """Residuals (2N,) in stated errors and their Jacobian (2N, P); None when a sighting's point
    falls behind its camera."""
    points = basis @ theta.reshape(-1, 3)  # (N, 3)
    q = np.einsum("nij,nj->ni", rotations, points) + translations  # camera frame
    if (q[:, 2] <= MIN_DEPTH_M).any():
        return None, None
    projected = q[:, :2] / q[:, 2:]
    residual = ((projected - normalized) * scale[:, None]).ravel()
    # d(qx/qz)/dp = (R0 qz - qx R2) / qz^2; the chain through the basis lifts it to the coefficients.
    d_x = (rotations[:, 0] * q[:, 2:] - q[:, :1] * rotations[:, 2]) / q[:, 2:] ** 2
    d_y = (rotations[:, 1] * q[:, 2:] - q[:, 1:2] * rotations[:, 2]) / q[:, 2:] ** 2
    per_point = np.stack([d_x, d_y], axis=1) * scale[:, None, None]  # (N, 2, 3)
    jacobian = (per_point[:, :, None, :] * basis[:, None, :, None]).reshape(len(points) * 2, -1)
    return residual, jacobian


def _least_squares(matrix: np.ndarray, right: np.ndarray) -> np.ndarray | None:
    """argmin |matrix x - right|, None when the columns do not fix x."""
    if matrix.shape[0] < matrix.shape[1]:
        return None
    solution, _, rank, _ = np.linalg.lstsq(matrix, right, rcond=None)
    return solution if rank == matrix.shape[1] else None
