"""Frames of one camera: the static scene made once, the ball drawn per frame in its neighbourhood.

Drawing only; nothing here decides anything.
"""

from __future__ import annotations

import math

import numpy as np

from camera_sim.camera.pinhole import PinholeCamera
from camera_sim.camera.scene import AMBIENT, LIGHT_DIRECTION, NET_BGR, SceneLayers, cast_scene
from camera_sim.physics.ball import GoalFrame
from camera_sim.scenario.schema import Conditions

BALL_BGR = np.array([238.0, 240.0, 242.0], np.float32)
NOISE_BANK_SIZE = 8
"""Pre-drawn noise frames; each frame takes one at random (the eye cannot tell the repeat)."""
NOISE_LIMIT = 127
"""Noise is stored as int8 (a quarter of float32's memory); +-127 is over 3 sigma at the largest sigma allowed."""
MAX_BLUR_SAMPLES = 24
BLUR_SAMPLE_SPACING_PX = 1.0
"""Motion blur: one ball position per pixel of image motion during the exposure."""
BBOX_MARGIN_PX = 3


class FrameRenderer:
    """Renders frames of one camera; the returned frame is a fresh uint8 (H, W, 3) BGR array."""

    def __init__(self, camera: PinholeCamera, goal: GoalFrame, conditions: Conditions, seed: int):
        self.camera = camera
        self.ball_radius_m = goal.ball_radius_m
        self.rays = camera.ray_directions()
        self.centre = camera.centre_m.astype(np.float32)
        scene = cast_scene(camera, goal, self.rays, seed)
        self.layers = SceneLayers(
            colour=scene.colour * conditions.lighting,
            solid_depth_m=scene.solid_depth_m,
            net_depth_m=scene.net_depth_m,
            net_alpha=scene.net_alpha,
        )
        self.lighting = conditions.lighting
        self.motion_blur = conditions.motion_blur
        rng = np.random.default_rng(seed + 1)
        self._rng = np.random.default_rng(seed + 2)
        shape = scene.colour.shape
        self._noise = [_noise_frame(rng, conditions.noise_sigma, shape) for _ in range(NOISE_BANK_SIZE)]
        self._noisy_backgrounds = [np.clip(self.layers.colour + n, 0, 255).astype(np.uint8) for n in self._noise]
        self.pixel_angle = 1.0 / camera.focal_px
        self._net_colour = (NET_BGR * conditions.lighting).astype(np.float32)

    def render(self, exposure_positions_m: np.ndarray) -> np.ndarray:
        """A frame with the ball at each of the given positions during the exposure, averaged.

        exposure_positions_m: (S, 3) goal-frame ball centres spread over the shutter time;
        S = 1 for a sharp frame. Positions are thinned or kept according to the blur setting.
        """
        bank = int(self._rng.integers(NOISE_BANK_SIZE))
        frame = self._noisy_backgrounds[bank].copy()
        positions = self._blur_samples(exposure_positions_m)
        box = self._bounding_box(positions)
        if box is None:
            return frame
        top, bottom, left, right = box
        patch = self._ball_patch(positions, box) + self._noise[bank][top:bottom, left:right]
        frame[top:bottom, left:right] = np.clip(patch, 0, 255).astype(np.uint8)
        return frame

    def _blur_samples(self, positions: np.ndarray) -> np.ndarray:
        positions = np.asarray(positions, np.float64).reshape(-1, 3)
        if not self.motion_blur or len(positions) == 1:
            return positions[len(positions) // 2 : len(positions) // 2 + 1]
        pixels = self.camera.project(positions[[0, -1]])
        travel_px = float(np.hypot(*(pixels[1] - pixels[0])))
        count = int(min(MAX_BLUR_SAMPLES, max(1, math.ceil(travel_px / BLUR_SAMPLE_SPACING_PX))))
        fractions = np.linspace(0.0, 1.0, count) if count > 1 else np.array([0.5])
        source = np.linspace(0.0, 1.0, len(positions))
        return np.stack([np.interp(fractions, source, positions[:, k]) for k in range(3)], axis=-1)

    def _bounding_box(self, positions: np.ndarray):
        depth = (positions - self.camera.centre_m) @ self.camera.R[2]
        if np.any(depth <= self.ball_radius_m):
            return None
        pixels = self.camera.project(positions)
        radius_px = self.camera.focal_px * self.ball_radius_m / depth.min() + BBOX_MARGIN_PX
        left = max(0, int(math.floor(pixels[:, 0].min() - radius_px)))
        right = min(self.camera.width_px, int(math.ceil(pixels[:, 0].max() + radius_px)) + 1)
        top = max(0, int(math.floor(pixels[:, 1].min() - radius_px)))
        bottom = min(self.camera.height_px, int(math.ceil(pixels[:, 1].max() + radius_px)) + 1)
        if left >= right or top >= bottom:
            return None
        return top, bottom, left, right

    def _ball_patch(self, positions: np.ndarray, box) -> np.ndarray:
        """Clean (noise-free) colour of the box with the ball composited, averaged over positions."""
        top, bottom, left, right = box
        d = self.rays[top:bottom, left:right]
        background = self.layers.colour[top:bottom, left:right]
        solid = self.layers.solid_depth_m[top:bottom, left:right]
        net_depth = self.layers.net_depth_m[top:bottom, left:right]
        net_alpha = self.layers.net_alpha[top:bottom, left:right, None]
        total = np.zeros_like(background)
        r = self.ball_radius_m
        for position in positions.astype(np.float32):
            oc = self.centre - position
            b = d @ oc
            c = float(oc @ oc)
            miss_sq = np.maximum(c - b * b, 0.0)  # squared distance of the ray from the ball's centre
            t_hit = -b - np.sqrt(np.maximum(r * r - miss_sq, 0.0))
            footprint = np.maximum(t_hit, 1e-3) * self.pixel_angle
            coverage = np.clip((r - np.sqrt(miss_sq)) / footprint + 0.5, 0.0, 1.0)
            coverage = np.where(t_hit < solid, coverage, 0.0)[..., None]
            hit = self.centre + t_hit[..., None] * d
            normal = (hit - position) / r
            light = AMBIENT + (1 - AMBIENT) * np.clip(normal @ LIGHT_DIRECTION.astype(np.float32), 0.0, 1.0)
            ball = BALL_BGR * (light[..., None] * self.lighting)
            behind_net = (net_depth < t_hit)[..., None]
            ball = np.where(behind_net, ball * (1 - net_alpha) + self._net_colour * net_alpha, ball)
            total += background * (1 - coverage) + ball * coverage
        return total / len(positions)


def _noise_frame(rng: np.random.Generator, sigma: float, shape) -> np.ndarray:
    """Gaussian sensor noise, rounded to whole grey levels, as int8."""
    return np.clip(np.rint(rng.normal(0.0, sigma, shape)), -NOISE_LIMIT, NOISE_LIMIT).astype(np.int8)
