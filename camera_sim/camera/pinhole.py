"""Pinhole cameras in OpenCV's conventions (x right, y down, z forward; pixel centres at integers)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from camera_sim.scenario.schema import Camera

WORLD_UP = np.array([0.0, 0.0, 1.0])
GOAL_LINE_NORMAL = np.array([0.0, 1.0, 0.0])
"""Normal of the goal line's vertical plane in the goal frame, pointing into the goal."""


@dataclass(frozen=True)
class PinholeCamera:
    """K (3x3, px), R (3x3, goal frame -> camera), t (3,, m) and the image size."""

    K: np.ndarray
    R: np.ndarray
    t: np.ndarray
    width_px: int
    height_px: int

    @property
    def centre_m(self) -> np.ndarray:
        return -self.R.T @ self.t

    @property
    def focal_px(self) -> float:
        return float(self.K[0, 0])

    def project(self, points_m: np.ndarray) -> np.ndarray:
        """Goal-frame points (N, 3) m -> pixels (N, 2)."""
        rvec, _ = cv2.Rodrigues(self.R)
        pixels, _ = cv2.projectPoints(np.asarray(points_m, np.float64).reshape(-1, 1, 3), rvec, self.t, self.K, None)
        return pixels.reshape(-1, 2)

    def ray_directions(self) -> np.ndarray:
        """Unit goal-frame direction of every pixel's ray, (H, W, 3) float32."""
        u, v = np.meshgrid(np.arange(self.width_px, dtype=np.float64), np.arange(self.height_px, dtype=np.float64))
        pixels = np.stack([u, v, np.ones_like(u)], axis=-1)
        directions = pixels @ (np.linalg.inv(self.K).T) @ self.R  # (R^T K^-1 x)^T = x^T K^-T R
        directions /= np.linalg.norm(directions, axis=-1, keepdims=True)
        return directions.astype(np.float32)

    def image_line_of_plane(self, normal: np.ndarray) -> np.ndarray:
        """Homogeneous image line (a, b, c) of a plane through the camera centre, a*u + b*v + c = 0.

        Positive on the side the normal points to.
        """
        line = np.linalg.inv(self.K).T @ self.R @ normal
        return line / np.hypot(line[0], line[1])


def goal_line_camera(camera: Camera) -> PinholeCamera:
    """The scenario's camera: centre in the goal line's plane, beside the goal, aimed at look_at_m."""
    side = 1.0 if camera.side == "right" else -1.0
    centre = np.array([side * camera.distance_m, 0.0, camera.height_m])
    forward = np.asarray(camera.look_at_m, float) - centre
    forward /= np.linalg.norm(forward)
    right = np.cross(forward, WORLD_UP)
    right /= np.linalg.norm(right)
    down = np.cross(forward, right)
    roll = math.radians(camera.roll_deg)
    right, down = (math.cos(roll) * right + math.sin(roll) * down, -math.sin(roll) * right + math.cos(roll) * down)
    R = np.stack([right, down, forward])
    width, height = camera.resolution_px
    focal = camera.focal_px or (height / 2) / math.tan(math.radians(camera.fov_deg) / 2)
    K = np.array([[focal, 0.0, (width - 1) / 2], [0.0, focal, (height - 1) / 2], [0.0, 0.0, 1.0]])
    return PinholeCamera(K=K, R=R, t=-R @ centre, width_px=width, height_px=height)
