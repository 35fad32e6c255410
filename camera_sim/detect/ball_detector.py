"""Finding the ball in a frame and measuring its image circle to sub-pixel precision.

Detection knows nothing of the simulator: it sees a frame, the learnt background and the
goal line of the calibration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from camera_sim.decide.goal_line import GoalLine
from camera_sim.detect.background import COARSE_STRIDE, Background, mean_abs_difference

MIN_THRESHOLD = 14.0
NOISE_THRESHOLD_FACTOR = 8.0
"""Foreground: a channel-mean difference above max(MIN_THRESHOLD, 8 x the background noise)."""
MIN_RADIUS_PX = 2.5
MAX_RADIUS_PX = 120.0
RAY_COUNT = 48
RAY_STEP_PX = 0.5
RAY_REACH = 1.9
"""Radial edge search from 0 to 1.9 x the expected radius."""
EDGE_LEVEL = 0.5
RIM_INSIDE_STEPS = 4
"""The local ball level is the brightest difference within 4 ray steps (2 px) inside the rim."""
"""The rim is where the difference falls to half of its level inside the ball (anti-aliased edge)."""
LINE_EXCLUSION_PX = 1.5
"""Rim points this close to the goal line are dropped: the goal frame stands in the line's plane,
so the edge it cuts into a ball on the goal side lies on the line and is not the ball's rim."""
OCCLUSION_ZONE_RADII = 2.5
"""On the field side, the posts and crossbar (seen end-on, 12 cm deep) hide a band next to the
line up to ~2 ball radii wide; rim points there that sit on a static edge of the background
(the band's silhouette) are where the frame cuts the ball, not its rim."""
MIN_EDGE_POINTS = 8
FULL_FIT_ARC_DEG = 200.0
"""A radius is measured only from rim points spread over this much of the circle; with less rim
the track's radius is held and only the centre is fitted."""
MIN_ACQUIRE_ARC_DEG = 120.0
"""Without a track to lend a radius, a ball is acquired only if this much rim is visible."""
OUTLIER_PX = 1.0
GEOMETRIC_FIT_ITERATIONS = 8
MIN_FILL = 0.35
"""A ball blob fills at least this share of its bounding box (a disc fills pi/4)."""


@dataclass(frozen=True)
class BallMeasurement:
    """The ball's image circle in one frame (pixels, OpenCV convention)."""

    x_px: float
    y_px: float
    radius_px: float
    rim_fraction: float
    """Share of the rim directions that gave an edge point used in the fit (0-1)."""
    radius_held: bool
    """True when too little rim was visible and the radius came from the track, not this frame."""


class BallDetector:
    """Acquires the ball on the whole frame, then measures it in a window around a prediction."""

    def __init__(self, background: Background, goal_line: GoalLine):
        self.background = background
        self.goal_line = goal_line
        self.threshold = max(MIN_THRESHOLD, NOISE_THRESHOLD_FACTOR * background.noise_level)
        angles = np.linspace(0.0, 2 * math.pi, RAY_COUNT, endpoint=False)
        self._directions = np.stack([np.cos(angles), np.sin(angles)], axis=1).astype(np.float32)
        self._angles = angles

    def acquire(self, frame: np.ndarray, expected_radius_px: float | None = None) -> BallMeasurement | None:
        """Search the whole frame (coarsely) for the most ball-like blob and measure it."""
        coarse = frame[::COARSE_STRIDE, ::COARSE_STRIDE]
        mask = (mean_abs_difference(coarse, self.background.coarse) > self.threshold).astype(np.uint8)
        count, _, stats, centroids = cv2.connectedComponentsWithStats(mask, connectivity=8)
        best, best_score = None, 0.0
        for label in range(1, count):
            left, top, width, height, area = stats[label]
            radius = max(width, height) * COARSE_STRIDE / 2
            fill = area / float(width * height)
            if not (MIN_RADIUS_PX <= radius <= MAX_RADIUS_PX) or fill < MIN_FILL or area < 2:
                continue
            roundness = min(width, height) / max(width, height)
            score = area * roundness * fill
            if score > best_score:
                best, best_score = (centroids[label] * COARSE_STRIDE, radius), score
        if best is None:
            return None
        (x, y), radius = best
        return self.measure(frame, (float(x), float(y)), expected_radius_px, search_px=2 * radius + 4,
                            rough_radius_px=radius)

    def measure(
        self, frame: np.ndarray, predicted: tuple[float, float], expected_radius_px: float | None,
        search_px: float, rough_radius_px: float | None = None,
    ) -> BallMeasurement | None:
        """Measure the ball near `predicted` (px).

        expected_radius_px: radius the track expects (held when little rim is visible);
        None when there is no track yet. search_px: how far from `predicted` the centre may be.
        rough_radius_px: size hint for the search window when there is no expected radius.
        """
        size_px = expected_radius_px or rough_radius_px or MIN_RADIUS_PX
        window = self._window(frame.shape, predicted, search_px + RAY_REACH * size_px + 2)
        if window is None:
            return None
        top, bottom, left, right = window
        difference = mean_abs_difference(frame[top:bottom, left:right], self.background.image[top:bottom, left:right])
        blob = self._nearest_blob(difference, (predicted[0] - left, predicted[1] - top), search_px)
        if blob is None:
            return None
        centre, radius = blob
        reach = RAY_REACH * max(radius, size_px)
        points = self._rim_points(difference.astype(np.float32), centre, reach)
        points = points + np.array([left, top], np.float32)
        return self._fit(points, expected_radius_px, size_px)

    def _window(self, shape, centre, half_px: float):
        height, width = shape[:2]
        left, right = max(0, int(centre[0] - half_px)), min(width, int(centre[0] + half_px) + 1)
        top, bottom = max(0, int(centre[1] - half_px)), min(height, int(centre[1] + half_px) + 1)
        if right - left < 3 or bottom - top < 3:
            return None
        return top, bottom, left, right

    def _nearest_blob(self, difference: np.ndarray, predicted, search_px: float):
        mask = (difference > self.threshold).astype(np.uint8)
        count, _, stats, centroids = cv2.connectedComponentsWithStats(mask, connectivity=8)
        best, best_distance = None, search_px
        for label in range(1, count):
            area = stats[label][4]
            radius = max(stats[label][2], stats[label][3]) / 2
            if area < 4 or radius < MIN_RADIUS_PX / 2:
                continue
            distance = math.hypot(centroids[label][0] - predicted[0], centroids[label][1] - predicted[1])
            if distance <= best_distance:
                best, best_distance = ((float(centroids[label][0]), float(centroids[label][1])), radius), distance
        return best

    def _rim_points(self, difference: np.ndarray, centre, reach_px: float) -> np.ndarray:
        """Sub-pixel rim points along rays from `centre`, (N, 2) window pixels."""
        steps = np.arange(0.0, reach_px, RAY_STEP_PX, dtype=np.float32)
        map_x = (centre[0] + self._directions[:, :1] * steps).astype(np.float32)
        map_y = (centre[1] + self._directions[:, 1:] * steps).astype(np.float32)
        profiles = cv2.remap(difference, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        # The ball is shaded, so its contrast falls towards the limb: the rim is where the
        # profile falls to half the level found just inside it, not half the central level.
        foreground = profiles > self.threshold
        outermost = len(steps) - 1 - np.argmax(foreground[:, ::-1], axis=1)
        usable = foreground.any(axis=1) & (outermost < len(steps) - 1) & (outermost >= RIM_INSIDE_STEPS)
        rows, outermost = np.flatnonzero(usable), outermost[usable]
        inside = outermost[:, None] - np.arange(1, RIM_INSIDE_STEPS + 1)[None, :]
        level = profiles[rows[:, None], inside].max(axis=1)
        rows, outermost, level = rows[level > 2 * self.threshold], outermost[level > 2 * self.threshold], level[level > 2 * self.threshold]
        half = EDGE_LEVEL * level
        ray = profiles[rows]
        above = ray >= half[:, None]
        last = len(steps) - 1 - np.argmax(above[:, ::-1], axis=1)
        keep = last < len(steps) - 1
        rows, last, half, ray = rows[keep], last[keep], half[keep], ray[keep]
        index = np.arange(len(rows))
        before, after = ray[index, last], ray[index, last + 1]
        fraction = (before - half) / np.maximum(before - after, 1e-6)
        radii = steps[last] + fraction * RAY_STEP_PX
        points = np.array(centre, np.float32) + self._directions[rows] * radii[:, None]
        return points

    def _fit(self, points: np.ndarray, expected_radius_px: float | None, size_px: float) -> BallMeasurement | None:
        points = self._drop_occlusion_edges(points, size_px)
        if len(points) < MIN_EDGE_POINTS:
            return None
        free = _robust_circle_fit(points)
        if free is None:
            return None
        (x, y, radius), points = free
        arc = _arc_span_deg(points, (x, y))
        plausible = MIN_RADIUS_PX <= radius <= MAX_RADIUS_PX
        if arc >= FULL_FIT_ARC_DEG and plausible:
            return BallMeasurement(float(x), float(y), float(radius), len(points) / RAY_COUNT, False)
        if expected_radius_px is None:
            if arc < MIN_ACQUIRE_ARC_DEG or not plausible:
                return None
            return BallMeasurement(float(x), float(y), float(radius), len(points) / RAY_COUNT, False)
        x, y = _centre_with_radius(points, (x, y), expected_radius_px)
        return BallMeasurement(float(x), float(y), float(expected_radius_px), len(points) / RAY_COUNT, True)

    def _drop_occlusion_edges(self, points: np.ndarray, size_px: float) -> np.ndarray:
        """Remove rim points that the goal frame, not the ball, made (see OCCLUSION_ZONE_RADII)."""
        line_distance = points @ np.array(self.goal_line.normal, np.float32) + self.goal_line.offset
        on_line = np.abs(line_distance) <= LINE_EXCLUSION_PX
        in_zone = (line_distance < 0) & (line_distance > -OCCLUSION_ZONE_RADII * size_px)
        columns = np.clip(np.round(points[:, 0]).astype(int), 0, self.background.static_edges.shape[1] - 1)
        rows = np.clip(np.round(points[:, 1]).astype(int), 0, self.background.static_edges.shape[0] - 1)
        on_static_edge = self.background.static_edges[rows, columns]
        return points[~on_line & ~(in_zone & on_static_edge)]


def _robust_circle_fit(points: np.ndarray):
    """Circle fit that drops rim points spoilt by something else (net strings, a neighbour)."""
    free = _circle_fit(points)
    for _ in range(2):
        if free is None:
            return None
        residual = np.abs(np.hypot(points[:, 0] - free[0], points[:, 1] - free[1]) - free[2])
        keep = residual < max(OUTLIER_PX, 3 * float(np.median(residual)))
        if keep.sum() < MIN_EDGE_POINTS or keep.all():
            break
        points = points[keep]
        free = _circle_fit(points) or free
    return None if free is None else (free, points)


def _circle_fit(points: np.ndarray) -> tuple[float, float, float] | None:
    """Least-squares circle through points (N, 2): algebraic (Kasa) start, then geometric
    Gauss-Newton, which does not shrink the radius on a partial arc as the algebraic fit does."""
    x, y = points[:, 0].astype(np.float64), points[:, 1].astype(np.float64)
    mx, my = x.mean(), y.mean()
    u, v = x - mx, y - my
    design = np.stack([u, v, np.ones_like(u)], axis=1)
    solution, *_ = np.linalg.lstsq(design, u * u + v * v, rcond=None)
    a, b, c = solution
    radius_sq = c + (a * a + b * b) / 4
    if not np.isfinite(radius_sq) or radius_sq <= 0:
        return None
    estimate = np.array([a / 2, b / 2, np.sqrt(radius_sq)])
    offsets = np.stack([u, v], axis=1)
    for _ in range(GEOMETRIC_FIT_ITERATIONS):
        delta = offsets - estimate[:2]
        distance = np.maximum(np.hypot(delta[:, 0], delta[:, 1]), 1e-9)
        jacobian = np.column_stack([-delta / distance[:, None], -np.ones_like(distance)])
        step, *_ = np.linalg.lstsq(jacobian, -(distance - estimate[2]), rcond=None)
        estimate += step
        if np.abs(step).max() < 1e-4:
            break
    if not np.all(np.isfinite(estimate)) or estimate[2] <= 0:
        return None
    return mx + estimate[0], my + estimate[1], float(estimate[2])


def _centre_with_radius(points: np.ndarray, start, radius: float, iterations: int = 6):
    """Gauss-Newton for the centre of a circle of known radius through the points."""
    centre = np.array(start, np.float64)
    pts = points.astype(np.float64)
    for _ in range(iterations):
        offset = pts - centre
        distance = np.maximum(np.hypot(offset[:, 0], offset[:, 1]), 1e-9)
        residual = distance - radius
        jacobian = -offset / distance[:, None]
        step, *_ = np.linalg.lstsq(jacobian, -residual, rcond=None)
        centre += step
        if np.hypot(*step) < 1e-3:
            break
    return float(centre[0]), float(centre[1])


def _arc_span_deg(points: np.ndarray, centre) -> float:
    """Angular extent of the points around the centre (360 minus the largest gap)."""
    angles = np.sort(np.degrees(np.arctan2(points[:, 1] - centre[1], points[:, 0] - centre[0])))
    gaps = np.diff(np.concatenate([angles, [angles[0] + 360.0]]))
    return float(360.0 - gaps.max())
