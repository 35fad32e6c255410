"""The static scene seen by one camera, ray-cast once: grass, painted lines, goal frame, net, boards.

Drawing only; nothing here decides anything.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from camera_sim import laws
from camera_sim.camera.pinhole import PinholeCamera
from camera_sim.physics.ball import GoalFrame

GRASS_BGR = np.array([48.0, 128.0, 58.0])
GRASS_STRIPE_M = 5.5
"""Mowing stripes parallel to the goal line, one goal-area depth wide."""
GRASS_STRIPE_CONTRAST = 0.10
GRASS_TEXTURE_SIGMA = 6.0
PAINT_BGR = np.array([232.0, 236.0, 236.0])
FRAME_BGR = np.array([246.0, 248.0, 248.0])
NET_BGR = np.array([225.0, 225.0, 225.0])
NET_MESH_M = 0.12
NET_STRING_M = 0.006
BOARD_DISTANCE_M = 4.5
"""Advertising boards stand this far behind the goal line."""
BOARD_HEIGHT_M = 0.9
BOARD_PANEL_M = 3.0
SURROUND_WIDTH_M = 0.5
SURROUND_BRIGHTNESS = 0.55
BOARD_COLOURS_BGR = (np.array([150.0, 60.0, 20.0]), np.array([30.0, 40.0, 180.0]))
STAND_BGR = np.array([70.0, 60.0, 55.0])
LIGHT_DIRECTION = np.array([0.3, -0.5, 0.8]) / np.linalg.norm([0.3, -0.5, 0.8])
"""Towards the sun: high, behind the field-side stand."""
AMBIENT = 0.45
FAR_M = 1.0e4


@dataclass(frozen=True)
class GroundLook:
    """How the grass and the painted lines look; the defaults are the original look.

    grass_bgr: mean grass colour; stripes: mowing stripes parallel to the goal line, stripe_width_m
    wide, brightness 1 +- stripe_contrast; paint_bgr: the lines' colour.
    """

    grass_bgr: tuple[float, float, float] = tuple(GRASS_BGR)
    stripes: bool = True
    stripe_width_m: float = GRASS_STRIPE_M
    stripe_contrast: float = GRASS_STRIPE_CONTRAST
    paint_bgr: tuple[float, float, float] = tuple(PAINT_BGR)


@dataclass(frozen=True)
class SceneLayers:
    """Per-pixel layers of the static scene, all (H, W[, 3]) float32.

    colour: what the camera sees (BGR, 0-255, before lighting and noise).
    solid_depth_m: distance along the ray to the first opaque surface.
    net_depth_m / net_alpha: the first net layer in front of it (alpha 0 where none).
    """

    colour: np.ndarray
    solid_depth_m: np.ndarray
    net_depth_m: np.ndarray
    net_alpha: np.ndarray


def _shade(normal: np.ndarray) -> np.ndarray:
    return AMBIENT + (1 - AMBIENT) * np.clip(normal @ LIGHT_DIRECTION, 0.0, 1.0)


def _ground(origin, d, goal: GoalFrame, rng, look: GroundLook) -> tuple[np.ndarray, np.ndarray]:
    t = np.where(d[..., 2] < -1e-9, -origin[2] / np.minimum(d[..., 2], -1e-9), np.inf)
    x = origin[0] + t * d[..., 0]
    y = origin[1] + t * d[..., 1]
    if look.stripes:
        lighter = np.floor(y / look.stripe_width_m) % 2 == 0
        stripe = np.where(lighter, 1 + look.stripe_contrast, 1 - look.stripe_contrast)
    else:
        stripe = np.ones_like(y)
    texture = rng.normal(0.0, GRASS_TEXTURE_SIGMA, size=t.shape)
    colour = np.array(look.grass_bgr, float)[None, None, :] * stripe[..., None] + texture[..., None]
    line = 2 * goal.member_radius_m  # the scenario's geometry.line_width_m (posts are as wide as the line)
    box_x = goal.half_width_m + laws.GOAL_AREA_DEPTH_M
    goal_line = (y > -line) & (y <= 0.0)
    area_front = (y > -laws.GOAL_AREA_DEPTH_M - line) & (y <= -laws.GOAL_AREA_DEPTH_M) & (np.abs(x) < box_x)
    area_sides = (np.abs(np.abs(x) - box_x) < line / 2) & (y > -laws.GOAL_AREA_DEPTH_M - line) & (y <= 0.0)
    colour[goal_line | area_front | area_sides] = np.array(look.paint_bgr, float)
    colour[y > BOARD_DISTANCE_M - SURROUND_WIDTH_M] *= SURROUND_BRIGHTNESS  # the dark strip before the boards
    return t, colour


def _cylinder_hits(origin, d, axis_a: int, axis_b: int, centre_a: float, centre_b: float, radius: float):
    """Ray hits of an infinite cylinder whose axis is along the third coordinate."""
    oa, ob = origin[axis_a] - centre_a, origin[axis_b] - centre_b
    da, db = d[..., axis_a], d[..., axis_b]
    a = da * da + db * db
    b = oa * da + ob * db
    c = oa * oa + ob * ob - radius * radius
    disc = b * b - a * c
    t = np.where((disc >= 0) & (a > 1e-12), (-b - np.sqrt(np.maximum(disc, 0))) / np.maximum(a, 1e-12), np.inf)
    return np.where(t > 0, t, np.inf)


def _goal_frame(origin, d, goal: GoalFrame) -> tuple[np.ndarray, np.ndarray]:
    r = goal.member_radius_m
    best = np.full(d.shape[:2], np.inf)
    normal = np.zeros(d.shape)
    for post_x in (-goal.post_x_m, goal.post_x_m):
        t = _cylinder_hits(origin, d, 0, 1, post_x, -r, r)
        z = origin[2] + t * d[..., 2]
        t = np.where((z >= 0) & (z <= goal.top_m), t, np.inf)
        closer = t < best
        hit = origin + t[..., None] * d
        n = np.stack([hit[..., 0] - post_x, hit[..., 1] + r, np.zeros_like(t)], axis=-1) / r
        best = np.where(closer, t, best)
        normal = np.where(closer[..., None], n, normal)
    t = _cylinder_hits(origin, d, 1, 2, -r, goal.bar_z_m, r)
    x = origin[0] + t * d[..., 0]
    t = np.where(np.abs(x) <= goal.post_x_m + r, t, np.inf)
    closer = t < best
    hit = origin + t[..., None] * d
    n = np.stack([np.zeros_like(t), hit[..., 1] + r, hit[..., 2] - goal.bar_z_m], axis=-1) / r
    best = np.where(closer, t, best)
    normal = np.where(closer[..., None], n, normal)
    colour = FRAME_BGR * _shade(np.nan_to_num(normal))[..., None]
    return best, colour


def _plane_hit(origin, d, axis: int, value: float):
    t = (value - origin[axis]) / np.where(np.abs(d[..., axis]) > 1e-12, d[..., axis], 1e-12)
    t = np.where(t > 0, t, FAR_M)
    return np.where(t < FAR_M, t, np.inf), origin + t[..., None] * d


def _net(origin, d, goal: GoalFrame, pixel_angle: float) -> tuple[np.ndarray, np.ndarray]:
    """Nearest net hit and its string coverage (alpha); pixel_angle in radians per pixel."""
    best = np.full(d.shape[:2], np.inf)
    alpha = np.zeros(d.shape[:2])
    panels = [  # (axis of the plane, its value, the two in-plane axes and their limits)
        (1, goal.depth_m, ((0, -goal.post_x_m, goal.post_x_m), (2, 0.0, goal.top_m))),
        (0, -goal.post_x_m, ((1, 0.0, goal.depth_m), (2, 0.0, goal.top_m))),
        (0, goal.post_x_m, ((1, 0.0, goal.depth_m), (2, 0.0, goal.top_m))),
        (2, goal.top_m, ((0, -goal.post_x_m, goal.post_x_m), (1, 0.0, goal.depth_m))),
    ]
    for axis, value, limits in panels:
        t, hit = _plane_hit(origin, d, axis, value)
        inside = np.ones(t.shape, bool)
        coverage = np.zeros(t.shape)
        for in_axis, low, high in limits:
            coord = hit[..., in_axis]
            inside &= (coord >= low) & (coord <= high)
            offset = np.abs(((coord - low) / NET_MESH_M + 0.5) % 1.0 - 0.5) * NET_MESH_M
            footprint = np.maximum(t * pixel_angle, 1e-6)
            coverage = np.maximum(coverage, np.clip((NET_STRING_M / 2 - offset) / footprint + 0.5, 0, 1))
        t = np.where(inside, t, np.inf)
        closer = t < best
        best = np.where(closer, t, best)
        alpha = np.where(closer, coverage, alpha)
    return best, alpha


def _boards_and_stand(origin, d) -> tuple[np.ndarray, np.ndarray]:
    t, hit = _plane_hit(origin, d, 1, BOARD_DISTANCE_M)
    on_board = (hit[..., 2] >= 0) & (hit[..., 2] <= BOARD_HEIGHT_M)
    panel = (np.floor(np.nan_to_num(hit[..., 0], posinf=0.0, neginf=0.0) / BOARD_PANEL_M) % 2).astype(int)
    colour = np.where(on_board[..., None], np.stack(BOARD_COLOURS_BGR)[panel], STAND_BGR)
    stand = np.where(hit[..., 2] > BOARD_HEIGHT_M, t, np.inf)
    return np.where(on_board, t, stand), colour


SCENE_BAND_ROWS = 64
"""The scene is ray-cast 64 image rows at a time, so its float64 temporaries stay small."""


def cast_scene(camera: PinholeCamera, goal: GoalFrame, rays: np.ndarray, seed: int,
               ground: GroundLook = GroundLook()) -> SceneLayers:
    """Ray-cast the static scene once for a camera (a second or so at 1280x720)."""
    rng = np.random.default_rng(seed)
    bands = [_cast_band(camera, goal, rays[top:top + SCENE_BAND_ROWS], rng, ground)
             for top in range(0, rays.shape[0], SCENE_BAND_ROWS)]
    return SceneLayers(*[np.concatenate([band[k] for band in bands]) for k in range(4)])


def _cast_band(camera: PinholeCamera, goal: GoalFrame, rays: np.ndarray, rng: np.random.Generator,
               ground: GroundLook):
    origin = camera.centre_m
    d = rays.astype(np.float64)
    surfaces = [_ground(origin, d, goal, rng, ground), _goal_frame(origin, d, goal), _boards_and_stand(origin, d)]
    depth = np.full(d.shape[:2], FAR_M)
    colour = np.broadcast_to(STAND_BGR, d.shape).copy()
    for t, surface_colour in surfaces:
        closer = t < depth
        depth = np.where(closer, t, depth)
        colour = np.where(closer[..., None], surface_colour, colour)
    net_depth, net_alpha = _net(origin, d, goal, 1.0 / camera.focal_px)
    in_front = net_depth < depth
    net_alpha = np.where(in_front, net_alpha, 0.0)
    colour = colour * (1 - net_alpha[..., None]) + NET_BGR * net_alpha[..., None]
    return (colour.astype(np.float32), depth.astype(np.float32),
            np.where(in_front, net_depth, np.inf).astype(np.float32), net_alpha.astype(np.float32))
