"""Frames of one camera: the static scene made once; per frame, what moves is drawn in its neighbourhood.

What moves: the match ball (smeared over the exposure, its printed design turning with it), players
(upright cylinders: kit above, white socks and boots below), spare balls, the ball's shadow. Then what
the camera does to the whole picture: brightness (flicker, exposure steps), shake, compression.

Drawing only; nothing here decides anything.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from camera_sim.camera.pinhole import PinholeCamera
from camera_sim.camera.scene import AMBIENT, LIGHT_DIRECTION, NET_BGR, GroundLook, SceneLayers, cast_scene
from camera_sim.physics.ball import GoalFrame
from camera_sim.physics.turning import rotation_matrix, rotation_vector
from camera_sim.scenario.schema import Conditions, Shade

BALL_BGR = np.array([238.0, 240.0, 242.0], np.float32)
"""The white of a ball's cover (the plain_white design, and the base of the white designs)."""
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
    ball_turns: (S, 3, 3) the ball's orientation (its frame -> goal frame) at those moments; None: unturned.
    players, spare_balls_m ((K, 3) centres): other things in view.
    gain: brightness of the whole picture (flicker, exposure steps); shift_px: camera shake (x, y).
    """

    ball_exposure_m: np.ndarray
    ball_turns: np.ndarray | None = None
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


# --- ball designs ------------------------------------------------------------------------
# A design is a base colour with marks on it, looked up from the surface normal in the ball's own
# frame (so it turns with the ball). Each mark gives a signed angular distance (rad, positive
# inside) from its edge; the edge is smoothed over the pixel's footprint on the ball.

PANEL_BLACK_BGR = np.array([30.0, 30.0, 34.0], np.float32)
"""Printed black panels: ink reflects a little, so not 0."""
PANEL_RED_BGR = np.array([40.0, 40.0, 200.0], np.float32)
PANEL_BLUE_BGR = np.array([160.0, 80.0, 20.0], np.float32)
PANEL_GOLD_BGR = np.array([40.0, 170.0, 230.0], np.float32)
"""The three panel colours of modern_multicolour (a tournament ball's red, blue and gold prints)."""
WINTER_ORANGE_BGR = np.array([25.0, 120.0, 245.0], np.float32)
"""A high-visibility winter ball (seen on snow): pure orange, R > G > B."""
HI_VIS_YELLOW_BGR = np.array([40.0, 225.0, 245.0], np.float32)
"""A high-visibility yellow ball: R and G high, B low."""
NAVY_BGR = np.array([90.0, 35.0, 15.0], np.float32)
"""Dark blue marks of the yellow design."""
GOLDEN_RATIO = (1 + math.sqrt(5)) / 2
ICOSAHEDRON_NEIGHBOUR_COS = 1 / math.sqrt(5)
"""Neighbouring icosahedron vertices are 63.4 degrees apart (cos = 1/sqrt 5)."""
TRUNCATION = 1 / 3
"""A truncated icosahedron cuts each edge at a third: a pentagon's corner lies a third of the way
along the edge to the neighbouring vertex (radially projected: 20 degrees from its centre, ~37-38
degrees between two corners that are not neighbours)."""


@dataclass(frozen=True)
class Pentagons:
    """Twelve spherical pentagons centred on the icosahedron's vertices, as on a 32-panel ball.

    scale: the pentagons' size relative to the truncated icosahedron's (1 = classic 32-panel ball).
    """

    bgr: np.ndarray
    scale: float = 1.0


@dataclass(frozen=True)
class Band:
    """A curved band round the ball: points whose latitude about `axis` lies within half_width_rad
    of the wave amplitude_rad * sin(lobes * longitude + phase_rad)."""

    bgr: np.ndarray
    axis: tuple[float, float, float]
    half_width_rad: float
    amplitude_rad: float = 0.0
    lobes: int = 0
    phase_rad: float = 0.0


@dataclass(frozen=True)
class BallPattern:
    """A ball's design: a base colour, then marks drawn over it in order."""

    base_bgr: np.ndarray
    marks: tuple[Pentagons | Band, ...] = ()


BALL_DESIGNS = {
    "plain_white": BallPattern(BALL_BGR),
    "classic_32": BallPattern(BALL_BGR, (Pentagons(PANEL_BLACK_BGR),)),
    "modern_multicolour": BallPattern(BALL_BGR, (
        Band(PANEL_RED_BGR, (1.0, 0.0, 0.0), 0.14, 0.35, 3),
        Band(PANEL_BLUE_BGR, (0.0, 1.0, 0.0), 0.14, 0.35, 3, 0.8),
        Band(PANEL_GOLD_BGR, (0.0, 0.0, 1.0), 0.08, 0.35, 3, 1.6),
    )),
    "orange_winter": BallPattern(WINTER_ORANGE_BGR, (
        Band(PANEL_BLACK_BGR, (1.0, 0.0, 0.0), 0.05, 0.30, 2),
        Band(PANEL_BLACK_BGR, (0.0, 1.0, 0.0), 0.05, 0.30, 2, 0.8),
        Band(PANEL_BLACK_BGR, (0.0, 0.0, 1.0), 0.05, 0.30, 2, 1.6),
    )),
    "yellow": BallPattern(HI_VIS_YELLOW_BGR, (
        Band(NAVY_BGR, (1.0, 0.0, 0.0), 0.07, 0.40, 3),
        Band(NAVY_BGR, (0.0, 0.0, 1.0), 0.07, 0.40, 3, 1.0),
    )),
}
"""The designs a scenario's ball.design may name."""


def _icosahedron() -> np.ndarray:
    """The 12 vertex directions (unit vectors) of a regular icosahedron."""
    g = GOLDEN_RATIO
    vertices = [(0.0, a, b * g) for a in (-1, 1) for b in (-1, 1)]
    vertices += [(a, b * g, 0.0) for a in (-1, 1) for b in (-1, 1)]
    vertices += [(a * g, 0.0, b) for a in (-1, 1) for b in (-1, 1)]
    v = np.array(vertices)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def pentagon_edges(scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Centres (12, 3) and inward unit normals (12, 5, 3) of the great circles bounding each pentagon."""
    centres = _icosahedron()
    normals = np.empty((12, 5, 3))
    for k, c in enumerate(centres):
        neighbours = centres[np.abs(centres @ c - ICOSAHEDRON_NEIGHBOUR_COS) < 1e-6]
        e1 = neighbours[0] - c * (neighbours[0] @ c)
        e1 /= np.linalg.norm(e1)
        e2 = np.cross(c, e1)
        neighbours = neighbours[np.argsort(np.arctan2(neighbours @ e2, neighbours @ e1))]
        corners = (1 - TRUNCATION) * c + TRUNCATION * neighbours
        corners /= np.linalg.norm(corners, axis=1, keepdims=True)
        angles = np.arccos(np.clip(corners @ c, -1.0, 1.0)) * scale
        towards = corners - c * (corners @ c)[:, None]
        towards /= np.linalg.norm(towards, axis=1, keepdims=True)
        corners = c * np.cos(angles)[:, None] + towards * np.sin(angles)[:, None]
        edge = np.cross(corners, np.roll(corners, -1, axis=0))
        edge /= np.linalg.norm(edge, axis=1, keepdims=True)
        normals[k] = edge * np.sign(edge @ c)[:, None]
    return centres, normals


def _inside_rad(mark: Pentagons | Band, n: np.ndarray) -> np.ndarray:
    """Signed angular distance (rad) of unit normals n (..., 3) from a mark's edge, positive inside."""
    if isinstance(mark, Pentagons):
        centres, normals = _pentagon_edges_cached(mark.scale)
        nearest = np.argmax(n @ centres.T, axis=-1)
        sines = np.einsum("...kj,...j->...k", normals[nearest], n)
        return np.arcsin(np.clip(sines.min(axis=-1), -1.0, 1.0))
    axis = np.array(mark.axis) / np.linalg.norm(mark.axis)
    helper = np.array([0.0, 0.0, 1.0]) if abs(axis[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    b1 = np.cross(axis, helper)
    b1 /= np.linalg.norm(b1)
    b2 = np.cross(axis, b1)
    latitude = np.arcsin(np.clip(n @ axis, -1.0, 1.0))
    longitude = np.arctan2(n @ b2, n @ b1)
    wave = mark.amplitude_rad * np.sin(mark.lobes * longitude + mark.phase_rad)
    return mark.half_width_rad - np.abs(latitude - wave)


_PENTAGON_EDGES: dict[float, tuple[np.ndarray, np.ndarray]] = {}


def _pentagon_edges_cached(scale: float) -> tuple[np.ndarray, np.ndarray]:
    if scale not in _PENTAGON_EDGES:
        _PENTAGON_EDGES[scale] = pentagon_edges(scale)
    return _PENTAGON_EDGES[scale]


def pattern_colour(pattern: BallPattern, normals: np.ndarray, blur_rad: np.ndarray | float) -> np.ndarray:
    """Unlit colour (..., 3) float32 of a design at surface normals in the ball's frame.

    blur_rad: the width (rad on the ball) over which a mark's edge is smoothed (a pixel's footprint).
    """
    n = normals / np.maximum(np.linalg.norm(normals, axis=-1, keepdims=True), 1e-12)
    colour = np.broadcast_to(pattern.base_bgr, n.shape).astype(np.float32)
    blur = np.maximum(np.asarray(blur_rad, np.float32), 1e-6)
    for mark in pattern.marks:
        coverage = np.clip(_inside_rad(mark, n) / blur + 0.5, 0.0, 1.0).astype(np.float32)[..., None]
        colour = colour * (1 - coverage) + mark.bgr * coverage
    return colour


def _turns_at(fractions: np.ndarray, turns: np.ndarray) -> np.ndarray:
    """Orientations at fractions (0-1) of an exposure from S evenly spread ones (geodesic between neighbours)."""
    position = np.clip(fractions, 0.0, 1.0) * (len(turns) - 1)
    k = np.minimum(np.floor(position).astype(int), len(turns) - 2)
    step = rotation_vector(turns[k + 1] @ np.swapaxes(turns[k], -1, -2))
    return rotation_matrix(step * (position - k)[:, None]) @ turns[k]


class FrameRenderer:
    """Renders frames of one camera; the returned frame is a fresh uint8 (H, W, 3) BGR array."""

    def __init__(self, camera: PinholeCamera, goal: GoalFrame, conditions: Conditions, seed: int,
                 ball_design: str = "plain_white", ground: GroundLook = GroundLook()):
        """ball_design: a name in BALL_DESIGNS; ground: the grass and the lines' paint."""
        if ball_design not in BALL_DESIGNS:
            raise ValueError(f"unknown ball design {ball_design!r}; one of {sorted(BALL_DESIGNS)}")
        self.pattern = BALL_DESIGNS[ball_design]
        self.camera = camera
        self.conditions = conditions
        self.ball_radius_m = goal.ball_radius_m
        self.rays = camera.ray_directions()
        self.centre = camera.centre_m.astype(np.float32)
        scene = cast_scene(camera, goal, self.rays, seed, ground)
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
        ball, turns = self._blur_samples(content.ball_exposure_m, content.ball_turns)
        for box in _merged(self._boxes(content, ball)):
            top, bottom, left, right = box
            patch = self._patch(content, ball, turns, box) + self._noise[bank][top:bottom, left:right]
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

    def _blur_samples(self, positions: np.ndarray, turns: np.ndarray | None):
        """The ball's sharp pictures to average over the exposure: centres (S', 3), orientations (S', 3, 3) or None."""
        positions = np.asarray(positions, np.float64).reshape(-1, 3)
        if not self.motion_blur or len(positions) <= 1:
            middle = np.s_[len(positions) // 2: len(positions) // 2 + 1]
            return positions[middle], None if turns is None else turns[middle]
        pixels = self.camera.project(positions[[0, -1]])
        travel_px = float(np.hypot(*(pixels[1] - pixels[0])))
        count = int(min(MAX_BLUR_SAMPLES, max(1, math.ceil(travel_px / BLUR_SAMPLE_SPACING_PX))))
        fractions = np.linspace(0.0, 1.0, count) if count > 1 else np.array([0.5])
        source = np.linspace(0.0, 1.0, len(positions))
        centres = np.stack([np.interp(fractions, source, positions[:, k]) for k in range(3)], axis=-1)
        return centres, None if turns is None else _turns_at(fractions, turns)

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

    def _patch(self, content: FrameContent, ball: np.ndarray, turns: np.ndarray | None, box) -> np.ndarray:
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
        for position, turn in zip(ball.astype(np.float32), [None] * len(ball) if turns is None else turns):
            layer_colour, layer_depth = colour[inner].copy(), depth[inner].copy()
            self._draw(layer_colour, layer_depth, *self._sphere(d, position, turn), net)
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

    def _sphere(self, d: np.ndarray, position: np.ndarray, turn: np.ndarray | None = None):
        """Hit distance, coverage and colour of a ball at `position` for rays d (h, w, 3).

        turn: the ball's orientation (its frame -> goal frame, 3x3); None is unturned (the identity).
        """
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
        if not self.pattern.marks:  # one colour all over: the original plain ball, pixel for pixel
            return t_hit, coverage, self.pattern.base_bgr * (light[..., None] * np.float32(brightness))
        in_ball_frame = normal if turn is None else normal @ turn.astype(np.float32)  # R^T n, row-wise
        cover = pattern_colour(self.pattern, in_ball_frame, footprint / r)
        return t_hit, coverage, cover * (light[..., None] * np.float32(brightness))

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
