"""Frames of one camera: the static scene made once; per frame, what moves is drawn in its neighbourhood.

What moves: the match ball (smeared over the exposure), players (upright cylinders: kit above,
white socks and boots below), spare balls, the ball's shadow. Then what the camera does to the
whole picture: brightness (flicker, exposure steps), shake, compression.

Drawing only; nothing here decides anything.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from camera_sim.camera.pinhole import PinholeCamera
from camera_sim.camera.scene import AMBIENT, LIGHT_DIRECTION, NET_BGR, SceneLayers, cast_scene
from camera_sim.physics.ball import GoalFrame
from camera_sim.scenario.schema import Conditions, Shade

BALL_BGR = np.array([238.0, 240.0, 242.0], np.float32)
NOISE_BANK_SIZE = 8
"""Pre-drawn noise frames; each frame takes one at random (the eye cannot tell the repeat)."""
NOISE_LIMIT = 127
"""Noise is stored as int8 (a quarter of float32's memory); +-127 is over 3 sigma at the largest sigma allowed."""
MAX_BLUR_SAMPLES = 24
BLUR_SAMPLE_SPACING_PX = 1.0
"""Motion blur: one ball position per pixel of image motion during the exposure, up to 24."""
BBOX_MARGIN_PX = 3
SHADOW_BRIGHTNESS = AMBIENT
"""Ground in the ball's shadow gets the ambient light only."""
GROUND_TOLERANCE = 1e-3
"""A pixel's solid surface is the ground when its depth matches the ground plane's to 0.1 %."""
LIGHT = LIGHT_DIRECTION.astype(np.float32)


@dataclass(frozen=True)
class PlayerPose:
    """A player in one frame: an upright cylinder standing at feet_m (goal frame, m)."""

    feet_m: np.ndarray
    radius_m: float
    height_m: float
    socks_height_m: float
    kit_bgr: np.ndarray
    socks_bgr: np.ndarray


@dataclass(frozen=True)
class FrameContent:
    """What one frame shows besides the static scene.

    ball_exposure_m: (S, 3) ball centres spread over the shutter time (S = 1: sharp; S = 0: no ball).
    players, spare_balls_m ((K, 3) centres): other things in view.
    gain: brightness of the whole picture (flicker, exposure steps); shift_px: camera shake (x, y).
    """

    ball_exposure_m: np.ndarray
    players: tuple[PlayerPose, ...] = ()
    spare_balls_m: np.ndarray = field(default_factory=lambda: np.empty((0, 3)))
    gain: float = 1.0
    shift_px: tuple[float, float] = (0.0, 0.0)


def shade_factor(x_m: np.ndarray | float, shade: Shade | None) -> np.ndarray | float:
    """Share of the sunlight reaching goal-frame x (1 in the sun, shade.brightness in the stand's shadow)."""
    if shade is None:
        return np.ones_like(x_m) if isinstance(x_m, np.ndarray) else 1.0
    ramp = np.clip((np.asarray(x_m) - shade.edge_x_m) / max(shade.penumbra_m, 1e-6) + 0.5, 0.0, 1.0)
    return shade.brightness + (1.0 - shade.brightness) * ramp


class FrameRenderer:
    """Renders frames of one camera; the returned frame is a fresh uint8 (H, W, 3) BGR array."""

    def __init__(self, camera: PinholeCamera, goal: GoalFrame, conditions: Conditions, seed: int):
        self.camera = camera
        self.conditions = conditions
        self.ball_radius_m = goal.ball_radius_m
        self.rays = camera.ray_directions()
        self.centre = camera.centre_m.astype(np.float32)
        scene = cast_scene(camera, goal, self.rays, seed)
        colour = scene.colour * conditions.lighting
        if conditions.shade is not None:
            x_m = self.centre[0] + np.minimum(scene.solid_depth_m, 1e4) * self.rays[..., 0]
            colour = colour * shade_factor(x_m, conditions.shade)[..., None].astype(np.float32)
        self.layers = SceneLayers(colour=colour, solid_depth_m=scene.solid_depth_m,
                                  net_depth_m=scene.net_depth_m, net_alpha=scene.net_alpha)
        self.lighting = conditions.lighting
        self.motion_blur = conditions.motion_blur
        rng = np.random.default_rng(seed + 1)
        self._rng = np.random.default_rng(seed + 2)
        shape = scene.colour.shape
        self._noise = [_noise_frame(rng, conditions.noise_sigma, shape) for _ in range(NOISE_BANK_SIZE)]
        self.last_noise_bank = 0
        self._noisy_backgrounds = [np.clip(self.layers.colour + n, 0, 255).astype(np.uint8) for n in self._noise]
        self.pixel_angle = 1.0 / camera.focal_px
        self._net_colour = (NET_BGR * conditions.lighting).astype(np.float32)

    def render(self, content: FrameContent | np.ndarray, noise_bank: int | None = None) -> np.ndarray:
        """A frame showing `content` (or just the match ball at the given (S, 3) exposure positions).

        noise_bank: the pre-drawn noise to use; None draws one at random (`last_noise_bank` then
        says which). Given the bank a frame had, the same content renders to the same frame again,
        and the stream's random draws are left as they were.
        """
        if not isinstance(content, FrameContent):
            content = FrameContent(np.asarray(content, np.float64).reshape(-1, 3))
        bank = int(self._rng.integers(NOISE_BANK_SIZE)) if noise_bank is None else noise_bank
        self.last_noise_bank = bank
        frame = self._noisy_backgrounds[bank].copy()
        ball = self._blur_samples(content.ball_exposure_m)
        for box in _merged(self._boxes(content, ball)):
            top, bottom, left, right = box
            patch = self._patch(content, ball, box) + self._noise[bank][top:bottom, left:right]
            frame[top:bottom, left:right] = np.clip(patch, 0, 255).astype(np.uint8)
        return self._camera_effects(frame, content)

    def _camera_effects(self, frame: np.ndarray, content: FrameContent) -> np.ndarray:
        if content.gain != 1.0:
            frame = cv2.convertScaleAbs(frame, alpha=content.gain)
        if content.shift_px != (0.0, 0.0):
            shift = np.float32([[1, 0, content.shift_px[0]], [0, 1, content.shift_px[1]]])
            frame = cv2.warpAffine(frame, shift, (frame.shape[1], frame.shape[0]), flags=cv2.INTER_LINEAR,
                                   borderMode=cv2.BORDER_REPLICATE)
        if self.conditions.compression_quality is not None:
            _, data = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, self.conditions.compression_quality])
            frame = cv2.imdecode(data, cv2.IMREAD_COLOR)
        return frame

    def _blur_samples(self, positions: np.ndarray) -> np.ndarray:
        positions = np.asarray(positions, np.float64).reshape(-1, 3)
        if not self.motion_blur or len(positions) <= 1:
            return positions[len(positions) // 2: len(positions) // 2 + 1]
        pixels = self.camera.project(positions[[0, -1]])
        travel_px = float(np.hypot(*(pixels[1] - pixels[0])))
        count = int(min(MAX_BLUR_SAMPLES, max(1, math.ceil(travel_px / BLUR_SAMPLE_SPACING_PX))))
        fractions = np.linspace(0.0, 1.0, count) if count > 1 else np.array([0.5])
        source = np.linspace(0.0, 1.0, len(positions))
        return np.stack([np.interp(fractions, source, positions[:, k]) for k in range(3)], axis=-1)

    # --- where to draw -------------------------------------------------------------------

    def _boxes(self, content: FrameContent, ball: np.ndarray) -> list[tuple[int, int, int, int]]:
        boxes = []
        if len(ball):
            boxes.append(self._sphere_box(ball))
            if self.conditions.ball_shadow:
                boxes.append(self._points_box(_shadow_outline(ball[len(ball) // 2], self.ball_radius_m)))
        boxes += [self._sphere_box(position[None, :]) for position in content.spare_balls_m]
        boxes += [self._points_box(_cylinder_outline(player)) for player in content.players]
        return [box for box in boxes if box is not None]

    def _sphere_box(self, positions: np.ndarray):
        depth = (positions - self.camera.centre_m) @ self.camera.R[2]
        if np.any(depth <= self.ball_radius_m):
            return None
        radius_px = self.camera.focal_px * self.ball_radius_m / depth.min()
        return self._pixel_box(self.camera.project(positions), radius_px)

    def _points_box(self, points_m: np.ndarray):
        depth = (points_m - self.camera.centre_m) @ self.camera.R[2]
        points_m = points_m[depth > 0.1]  # what is behind the camera cannot be seen
        if len(points_m) == 0:
            return None
        return self._pixel_box(self.camera.project(points_m), 0.0)

    def _pixel_box(self, pixels: np.ndarray, radius_px: float):
        reach = radius_px + BBOX_MARGIN_PX
        left = max(0, int(math.floor(pixels[:, 0].min() - reach)))
        right = min(self.camera.width_px, int(math.ceil(pixels[:, 0].max() + reach)) + 1)
        top = max(0, int(math.floor(pixels[:, 1].min() - reach)))
        bottom = min(self.camera.height_px, int(math.ceil(pixels[:, 1].max() + reach)) + 1)
        if left >= right or top >= bottom:
            return None
        return top, bottom, left, right

    # --- what to draw there --------------------------------------------------------------

    def _patch(self, content: FrameContent, ball: np.ndarray, box) -> np.ndarray:
        """Clean (noise-free) colour of a box with everything that moves composited in it."""
        top, bottom, left, right = box
        d = self.rays[top:bottom, left:right]
        colour = self.layers.colour[top:bottom, left:right].copy()
        depth = self.layers.solid_depth_m[top:bottom, left:right].copy()
        net = (self.layers.net_depth_m[top:bottom, left:right], self.layers.net_alpha[top:bottom, left:right, None])
        if self.conditions.ball_shadow and len(ball):
            colour *= self._ball_shadow(d, depth, ball[len(ball) // 2])[..., None]
        for player in content.players:
            self._draw(colour, depth, *self._player(d, player), net)
        for position in content.spare_balls_m:
            self._draw(colour, depth, *self._sphere(d, position.astype(np.float32)), net)
        ball_box = self._sphere_box(ball) if len(ball) else None
        if ball_box is None:
            return colour
        # The ball changes only its own box: the exposure's sharp pictures are averaged there.
        inner = np.s_[max(ball_box[0], top) - top:min(ball_box[1], bottom) - top,
                      max(ball_box[2], left) - left:min(ball_box[3], right) - left]
        d, net = d[inner], (net[0][inner], net[1][inner])
        total = np.zeros_like(colour[inner])
        for position in ball.astype(np.float32):
            layer_colour, layer_depth = colour[inner].copy(), depth[inner].copy()
            self._draw(layer_colour, layer_depth, *self._sphere(d, position), net)
            total += layer_colour
        colour[inner] = total / len(ball)
        return colour

    def _draw(self, colour, depth, t_hit, coverage, surface, net) -> None:
        """Composite a surface (hit distance, coverage 0-1, colour) over colour/depth in place."""
        net_depth, net_alpha = net
        coverage = np.where(t_hit < depth, coverage, 0.0)[..., None]
        surface = np.where((net_depth < t_hit)[..., None], surface * (1 - net_alpha) + self._net_colour * net_alpha,
                           surface)
        colour *= 1 - coverage
        colour += surface * coverage
        np.copyto(depth, t_hit, where=coverage[..., 0] > 0.5)

    def _sphere(self, d: np.ndarray, position: np.ndarray):
        """Hit distance, coverage and colour of the ball at `position` for rays d (h, w, 3)."""
        r = self.ball_radius_m
        oc = self.centre - position
        b = d @ oc
        miss_sq = np.maximum(float(oc @ oc) - b * b, 0.0)  # squared distance of the ray from the ball's centre
        t_hit = -b - np.sqrt(np.maximum(r * r - miss_sq, 0.0))
        footprint = np.maximum(t_hit, 1e-3) * self.pixel_angle
        coverage = np.clip((r - np.sqrt(miss_sq)) / footprint + 0.5, 0.0, 1.0)
        normal = (self.centre + t_hit[..., None] * d - position) / r
        light = AMBIENT + (1 - AMBIENT) * np.clip(normal @ LIGHT, 0.0, 1.0)
        brightness = self.lighting * shade_factor(float(position[0]), self.conditions.shade)
        return t_hit, coverage, BALL_BGR * (light[..., None] * np.float32(brightness))

    def _player(self, d: np.ndarray, player: PlayerPose):
        """Hit distance, coverage and colour of a player's cylinder for rays d (h, w, 3)."""
        axis = player.feet_m.astype(np.float32)
        o = self.centre - axis
        dx, dy = d[..., 0], d[..., 1]
        a = np.maximum(dx * dx + dy * dy, 1e-9)
        b = o[0] * dx + o[1] * dy
        c = o[0] ** 2 + o[1] ** 2 - player.radius_m**2
        miss = np.sqrt(np.maximum(c + player.radius_m**2 - b * b / a, 0.0))  # ray's distance from the axis
        t_hit = (-b - np.sqrt(np.maximum(b * b - a * c, 0.0))) / a
        z = self.centre[2] + t_hit * d[..., 2] - axis[2]
        footprint = np.maximum(t_hit, 1e-3) * self.pixel_angle
        coverage = np.clip((player.radius_m - miss) / footprint + 0.5, 0.0, 1.0)
        coverage = np.where((t_hit > 0) & (z >= 0) & (z <= player.height_m), coverage, 0.0)
        hit = self.centre + t_hit[..., None] * d
        normal = np.stack([hit[..., 0] - axis[0], hit[..., 1] - axis[1], np.zeros_like(t_hit)], -1) / player.radius_m
        light = AMBIENT + (1 - AMBIENT) * np.clip(normal @ LIGHT, 0.0, 1.0)
        cloth = np.where((z < player.socks_height_m)[..., None], player.socks_bgr, player.kit_bgr).astype(np.float32)
        brightness = self.lighting * shade_factor(float(axis[0]), self.conditions.shade)
        return np.where(coverage > 0, t_hit, np.inf), coverage, cloth * (light[..., None] * np.float32(brightness))

    def _ball_shadow(self, d: np.ndarray, depth: np.ndarray, position: np.ndarray) -> np.ndarray:
        """Brightness factor (h, w) of the ground where the ball blocks the sun."""
        dz = np.minimum(d[..., 2], -1e-9)
        t_ground = -self.centre[2] / dz
        on_ground = (d[..., 2] < 0) & (np.abs(t_ground - depth) < GROUND_TOLERANCE * t_ground)
        ground = self.centre + t_ground[..., None] * d
        towards_ball = position.astype(np.float32) - ground
        along = towards_ball @ LIGHT
        miss = np.sqrt(np.maximum((towards_ball * towards_ball).sum(-1) - along * along, 0.0))
        footprint = t_ground * self.pixel_angle / LIGHT[2]
        coverage = np.clip((self.ball_radius_m - miss) / footprint + 0.5, 0.0, 1.0)
        coverage = np.where(on_ground & (along > 0), coverage, 0.0)
        sunlit = shade_factor(ground[..., 0], self.conditions.shade)
        shadowed = np.minimum(1.0, SHADOW_BRIGHTNESS / sunlit)  # already in the stand's shade: no darker
        return (1.0 - coverage * (1.0 - shadowed)).astype(np.float32)


def _shadow_outline(position: np.ndarray, radius_m: float) -> np.ndarray:
    """Ground points bounding the ball's shadow (the sun's rays through the ball, to z = 0)."""
    offsets = np.array([[dx, dy, dz] for dx in (-1, 1) for dy in (-1, 1) for dz in (-1, 1)]) * radius_m
    points = position + offsets
    return points - (points[:, 2:3] / LIGHT_DIRECTION[2]) * LIGHT_DIRECTION


def _cylinder_outline(player: PlayerPose) -> np.ndarray:
    """Corners of the box round a player's cylinder (m)."""
    r, h = player.radius_m, player.height_m
    return player.feet_m + np.array([[dx, dy, dz] for dx in (-r, r) for dy in (-r, r) for dz in (0.0, h)])


def _merged(boxes: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """Boxes merged until none overlap (things that overlap on screen are composited together)."""
    boxes = list(boxes)
    merged = True
    while merged and len(boxes) > 1:
        merged = False
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                a, b = boxes[i], boxes[j]
                if a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]:
                    boxes[i] = (min(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), max(a[3], b[3]))
                    del boxes[j]
                    merged = True
                    break
            if merged:
                break
    return boxes


def _noise_frame(rng: np.random.Generator, sigma: float, shape) -> np.ndarray:
    """Gaussian sensor noise, rounded to whole grey levels, as int8."""
    return np.clip(np.rint(rng.normal(0.0, sigma, shape)), -NOISE_LIMIT, NOISE_LIMIT).astype(np.int8)
