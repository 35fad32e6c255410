"""Pinhole cameras in OpenCV's conventions (x right, y down, z forward; pixel centres at integers),
with OpenCV's lens distortion (k1, k2, p1, p2)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from typing import TYPE_CHECKING

import cv2
import numpy as np

if TYPE_CHECKING:  # the fusion judge uses these cameras without loading the scenario schema
    from camera_sim.scenario.schema import Camera

WORLD_UP = np.array([0.0, 0.0, 1.0])
GOAL_LINE_NORMAL = np.array([0.0, 1.0, 0.0])
"""Normal of the goal line's vertical plane in the goal frame, pointing into the goal."""


NO_DISTORTION = (0.0, 0.0, 0.0, 0.0)


@dataclass(frozen=True)
class PinholeCamera:
    """K (3x3, px), R (3x3, goal frame -> camera), t (3,, m), the image size and the lens's
    distortion (k1, k2, p1, p2 in OpenCV's model; zeros: an ideal lens)."""

    K: np.ndarray
    R: np.ndarray
    t: np.ndarray
    width_px: int
    height_px: int
    distortion: tuple[float, float, float, float] = field(default=NO_DISTORTION)

    @classmethod
    def looking_at(cls, centre_m, look_at_m, size_px: tuple[int, int], focal_px: float, roll_deg: float = 0.0,
                   distortion: tuple[float, float, float, float] = NO_DISTORTION) -> "PinholeCamera":
        """A camera at `centre_m` (goal frame, m) whose optical axis passes through `look_at_m`, the
        image's up towards the sky (turned by roll_deg), principal point at the image's middle."""
        centre = np.asarray(centre_m, float)
        forward = np.asarray(look_at_m, float) - centre
        forward /= np.linalg.norm(forward)
        right = np.cross(forward, WORLD_UP)
        right /= np.linalg.norm(right)
        down = np.cross(forward, right)
        roll = math.radians(roll_deg)
        right, down = (math.cos(roll) * right + math.sin(roll) * down, -math.sin(roll) * right + math.cos(roll) * down)
        R = np.stack([right, down, forward])
        width, height = size_px
        K = np.array([[focal_px, 0.0, (width - 1) / 2], [0.0, focal_px, (height - 1) / 2], [0.0, 0.0, 1.0]])
        return cls(K=K, R=R, t=-R @ centre, width_px=width, height_px=height, distortion=tuple(distortion))

    @property
    def distorted(self) -> bool:
        return any(self.distortion)

    def _coefficients(self) -> np.ndarray | None:
        return np.asarray(self.distortion, np.float64) if self.distorted else None

    @property
    def centre_m(self) -> np.ndarray:
        return -self.R.T @ self.t

    @property
    def focal_px(self) -> float:
        return float(self.K[0, 0])

    def project(self, points_m: np.ndarray) -> np.ndarray:
        """Goal-frame points (N, 3) m -> pixels (N, 2)."""
        rvec, _ = cv2.Rodrigues(self.R)
        pixels, _ = cv2.projectPoints(np.asarray(points_m, np.float64).reshape(-1, 1, 3), rvec,
                                      np.asarray(self.t, np.float64), self.K, self._coefficients())
        return pixels.reshape(-1, 2)

    def normalized(self, pixels: np.ndarray) -> np.ndarray:
        """Image points (N, 2) px -> undistorted normalised coordinates (N, 2): (x/z, y/z) in the
        camera frame, the lens's distortion removed (OpenCV's undistortPoints)."""
        pixels = np.asarray(pixels, np.float64).reshape(-1, 1, 2)
        return cv2.undistortPoints(pixels, self.K, self._coefficients()).reshape(-1, 2)

    def ray_directions(self) -> np.ndarray:
        """Unit goal-frame direction of every pixel's ray, (H, W, 3) float32."""
        u, v = np.meshgrid(np.arange(self.width_px, dtype=np.float64), np.arange(self.height_px, dtype=np.float64))
        flat = self.normalized(np.stack([u.ravel(), v.ravel()], axis=1))
        camera_rays = np.concatenate([flat, np.ones((len(flat), 1))], axis=1).reshape(self.height_px, self.width_px, 3)
        directions = camera_rays @ self.R  # (R^T x)^T = x^T R
        directions /= np.linalg.norm(directions, axis=-1, keepdims=True)
        return directions.astype(np.float32)

    def image_line_of_plane(self, normal: np.ndarray) -> np.ndarray:
        """Homogeneous image line (a, b, c) of a plane through the camera centre, a*u + b*v + c = 0.

        Positive on the side the normal points to.
        """
        line = np.linalg.inv(self.K).T @ self.R @ normal
        return line / np.hypot(line[0], line[1])


def goal_line_camera(camera: Camera) -> PinholeCamera:
    """The scenario's camera: at `position_m` when given, else in the goal line's plane beside the
    goal (side, distance_m, height_m); aimed at look_at_m."""
    side = 1.0 if camera.side == "right" else -1.0
    centre = camera.position_m if camera.position_m is not None else (side * camera.distance_m, 0.0, camera.height_m)
    width, height = camera.resolution_px
    focal = camera.focal_px or (height / 2) / math.tan(math.radians(camera.fov_deg) / 2)
    return PinholeCamera.looking_at(centre, camera.look_at_m, camera.resolution_px, focal, camera.roll_deg,
                                    camera.distortion)
