"""Finding the ball in a frame and measuring its image circle to sub-pixel precision.

Detection knows nothing of the simulator: it sees a frame, the learnt background and the
goal line of the calibration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from camera_sim.detect.alignment import STEADY, FrameAlignment
from camera_sim.detect.background import (COARSE_STRIDE, Background, coarse_view, foreground_difference,
                                         mean_abs_difference)
from camera_sim.goal_line import GoalLine

MIN_THRESHOLD = 14.0
NOISE_THRESHOLD_FACTOR = 8.0
"""Foreground: a difference (grey levels) above max(MIN_THRESHOLD, 8 x the background's noise)."""
MIN_RADIUS_PX = 2.5
MAX_RADIUS_PX = 120.0
RAY_COUNT = 48
RAY_STEP_PX = 0.5
RAY_REACH = 1.9
"""Radial edge search from 0 to 1.9 x the expected radius."""
EDGE_LEVEL = 0.5
"""The rim is where the difference falls to half of its level inside the ball (anti-aliased edge)."""
RIM_INSIDE_STEPS = 2
"""The local ball level is the brightest difference within 2 ray steps (1 px) inside the rim: the
shaded ball's contrast falls towards its limb, and a level from farther inside put the half-level
point inside the true rim (margins read 1.4 mm too deep; bench_accuracy sled class, 250 frames/s)."""
RIM_INSIDE_STEPS_SHAKY = 4
"""In a shaky clip the difference is lowered near the background's edges (their registration
tolerance), so the level is taken from farther inside (2 px): with 1 px a -3 cm sled read as a
goal under 2 px of shake (tests/test_hard_conditions.py)."""
# Motion blur: a ball moving during the exposure smears each edge into a ramp as wide as its image
# motion in the exposure along that ray (|motion . ray| x exposure / frame interval). The half-level
# point of a ramp is the edge at mid-exposure only when the level is read at the ramp's top, so the
# level window (RIM_INSIDE_STEPS) reaches on inside over the part of the ramp beyond the outermost
# foreground sample (BallDetector._rim_points), in whole ray steps: beyond the top it would read
# the shaded ball's brighter inside (see RIM_INSIDE_STEPS). A level read on the ramp puts the rim
# outside the ball at the front and the back: the circle grows along the motion, its trailing edge
# lags and margins read short. The window never reaches past the ray's start (the ball's centre).
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
MIN_HELD_ARC_DEG = 90.0
"""With the track's radius, a quarter of the rim still places the centre; less is a guess."""
MAX_RIM_RMS_PX = 0.6
"""A ball's rim points lie within ~0.2 px of its circle (noise, anti-aliasing); points farther
off on average trace something else: a player's silhouette, the edge of a ball half hidden."""
OUTLIER_PX = 1.0
OUTLIER_MEDIAN_FACTOR = 3.0
"""Rim points farther than max(1 px, 3 x the median residual) from the fitted circle are dropped."""
ACQUIRE_CANDIDATES = 3
"""A whole-frame search measures up to the 3 most ball-like blobs, best first, until one is a
ball: a player's rounded shoulder may look more ball-like on the coarse grid than the ball.
Further down the list only a circle fitted all round its rim is taken: a streak, or a fit to
part of an outline, there is more often a leg or a knee than a ball."""
ACQUIRE_SEARCH_RADII = 2.0
"""After a coarse find, the ball's centre is looked for within two radii of the blob's centre."""
WINDOW_MARGIN_PX = 2
"""Extra pixels round a window so that bilinear ray samples at its edge stay inside."""
LEVEL_OVER_THRESHOLD = 2.0
"""A ray counts only where the ball stands out at least twice the foreground threshold."""
GEOMETRIC_FIT_ITERATIONS = 8
ALGEBRAIC_FIT_ARC_DEG = 300.0
"""With rim all round, the algebraic fit is unbiased and the geometric refinement is skipped."""
MIN_BLOB_PIXELS = 4
MIN_FILL = 0.35
"""A ball blob fills at least this share of its bounding box (a disc fills pi/4)."""
MIN_ROUNDNESS = 0.45
"""Minor over major axis of a blob taken for a ball without a track: a disc is 1, a ball half
hidden by a post 0.53, a standing player about 0.2."""
STREAK_ROUNDNESS = 0.7
"""A tracked ball's blob rounder than this is a disc; less round, a motion-blur streak (the ball
moved more than ~0.4 diameters during the exposure) whose middle is the ball at mid-exposure..."""
STREAK_WIDTH = (0.75, 1.4)
STREAK_MIN_LENGTH = 1.4
"""...if it is as wide as the ball (minor semi-axis 0.75-1.4 radii) and longer (major semi-axis
over 1.4 radii): a ball cut in half by a post is narrower and no longer than the ball;
and only for a ball that the track says moves fast enough to smear (below) along its major axis."""
STREAK_MIN_TRAVEL_RADII = 1.5
"""A streak of roundness 0.7 needs ~1.8 radii of travel in the exposure, which is at most a frame."""
STREAK_ALIGNMENT = math.cos(math.radians(30.0))
"""A streak's major axis lies within 30 degrees of the track's direction of motion."""
MAX_STREAK_RADII = 5.0
"""The longest a ball's blob can be (major semi-axis, in radii): a 70 cm streak of a 22 cm ball
(35 m/s over a 1/50 s shutter) is 3.8; a player seen edge-on, as thin as the ball, is 9 or more."""
SIZE_MATCH = (0.6, 1.6)
"""A blob's minor semi-axis within these factors of the tracked radius can be the tracked ball."""
GHOST_RIM_SAMPLES = 32
"""The ghost test reads the brightness gradient at 32 points of the fitted circle..."""
GHOST_WINDOW_MARGIN_PX = 3
"""...in a window 3 px wider than the circle (room for the 3x3 Sobel kernel)."""
GHOST_EDGE_TIE = 8.0
"""Rim points whose gradient differs by less than this between the pictures (Sobel units, about
2 grey levels a pixel) tell nothing: paint or a post crossing the circle, noise."""
GHOST_MIN_BALL_SHARE = 0.7
"""A blob is a ball only if at least 70 % of its telling rim points are edges in the frame rather
than in the background: a ball beside its own ghost (a resting ball learnt into the background)
makes a merged blob whose outline is half of each."""
COLOUR_DISC_SHARE = 0.7
"""The ball's colour is read inside 0.7 of its radius (the rim's pixels mix with the ground)."""
MIN_COLOUR_SHARE = 0.5
"""...and only when at least half of that disc shows the ball (differs from the background)."""
MIN_COLOUR_DISC_PX = 1.5
"""Below this disc radius a ball's colour is a few mixed pixels: not read."""
MERGED_BLOB_RADII = 1.6
"""A blob reaching farther than 1.6 tracked radii from its centre holds more than the ball
(a player, a boot): its rim is searched from the prediction, not from the blob's centre."""


@dataclass(frozen=True)
class BallMeasurement:
    """The ball's image circle in one frame (pixels, OpenCV convention)."""

    x_px: float
    y_px: float
    radius_px: float
    radius_held: bool
    """True when too little rim was visible and the radius came from the track, not this frame."""
    smeared: bool = False
    """A motion-blur streak: its middle is the ball at mid-exposure, its pixels mix ball and ground."""
    blob_radius_px: float | None = None
    """For a centroid or a streak: the blob's minor semi-axis (px), a rough size of what was found."""
    partial_rim: bool = False
    """A find whose radius was fitted to less than FULL_FIT_ARC_DEG of rim: good enough to
    follow the ball, not to measure its size (a short arc's radius is loose)."""

    @property
    def rim_fitted(self) -> bool:
        """A circle was fitted to its rim (with its own radius or the track's), rather than a
        blob's middle taken: evidence of a round thing, which a streak or a centroid is not."""
        return self.blob_radius_px is None


@dataclass(frozen=True)
class _Blob:
    """A foreground blob: centre (px), reach (half its larger extent, px) and the semi-axes of
    the ellipse with its second moments (major >= minor, px; a disc of radius r has both r)."""

    centre: np.ndarray
    reach_px: float
    major_px: float
    minor_px: float
    orientation_rad: float
    """Direction of the major axis (image x towards y)."""

    @classmethod
    def of_moments(cls, moments: dict, reach_px: float) -> "_Blob":
        area = moments["m00"]
        centre = np.array([moments["m10"] / area, moments["m01"] / area], np.float32)
        major, minor = _semi_axes(moments["mu20"] / area, moments["mu02"] / area, moments["mu11"] / area)
        orientation = 0.5 * math.atan2(2 * moments["mu11"], moments["mu20"] - moments["mu02"])
        return cls(centre, reach_px, float(major), float(minor), orientation)

    def is_streak_of(self, radius_px: float, motion_px: tuple[float, float] | None) -> bool:
        """A motion-blur streak of a ball of this radius moving `motion_px` a frame (None: not
        known yet): elongated (along the motion), as wide as the ball, and the ball fast enough
        to smear that much."""
        if motion_px is not None:
            speed = math.hypot(*motion_px)
            if speed < STREAK_MIN_TRAVEL_RADII * radius_px:
                return False
            along = abs(math.cos(self.orientation_rad) * motion_px[0] + math.sin(self.orientation_rad) * motion_px[1])
            if along < STREAK_ALIGNMENT * speed:
                return False
        return (self.minor_px < STREAK_ROUNDNESS * self.major_px
                and self.major_px > STREAK_MIN_LENGTH * radius_px
                and STREAK_WIDTH[0] * radius_px <= self.minor_px <= STREAK_WIDTH[1] * radius_px)


def _semi_axes(var_x, var_y, cov_xy):
    """Semi-axes (major, minor) of the uniform ellipse with these second moments (a = 2 sqrt(lambda))."""
    middle, half_gap = (var_x + var_y) / 2, np.sqrt(((var_x - var_y) / 2) ** 2 + cov_xy**2)
    return 2.0 * np.sqrt(np.maximum(middle + half_gap, 0.0)), 2.0 * np.sqrt(np.maximum(middle - half_gap, 0.0))


class BallDetector:
    """Acquires the ball on the whole frame, then measures it in a window around a prediction."""

    def __init__(self, background: Background, goal_line: GoalLine):
        self.background = background
        self.goal_line = goal_line
        self.threshold = max(MIN_THRESHOLD, NOISE_THRESHOLD_FACTOR * background.noise_level)
        self.rim_inside_steps = RIM_INSIDE_STEPS_SHAKY if background.shaky else RIM_INSIDE_STEPS
        angles = np.linspace(0.0, 2 * math.pi, RAY_COUNT, endpoint=False)
        self._directions = np.stack([np.cos(angles), np.sin(angles)], axis=1).astype(np.float32)
        self._line_normal = np.array(goal_line.normal, np.float32)
        self._ray_grids: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._coarse_cache: tuple[np.ndarray, np.ndarray] | None = None

    def acquire(self, frame: np.ndarray, expected_radius_px: float | None = None,
                alignment: FrameAlignment = STEADY, motion_px: tuple[float, float] | None = None,
                exclude_px: list[tuple[float, float, float]] = ()) -> BallMeasurement | None:
        """Search the whole frame (coarsely) for the most ball-like blob and measure it.

        expected_radius_px: the size of the ball being followed, when there is one (streaks and
        sizes are then judged against it). alignment: the frame's gain and shift.
        motion_px: that ball's motion per frame (px), when known.
        exclude_px: (x, y, radius) circles (background px) where balls already followed are.
        """
        mask = self._coarse_mask(frame, alignment).copy()
        for x, y, reach in exclude_px:
            centre = ((x + alignment.shift_px[0]) / COARSE_STRIDE, (y + alignment.shift_px[1]) / COARSE_STRIDE)
            cv2.circle(mask, (round(centre[0]), round(centre[1])), math.ceil(reach / COARSE_STRIDE) + 1, 0, -1)
        if cv2.countNonZero(mask) == 0:
            return None  # the usual case between incidents: nothing moves
        for rank, (centre, radius) in enumerate(_most_ball_like(mask, expected_radius_px)[:ACQUIRE_CANDIDATES]):
            ball = self._ball_at(frame, centre, radius, expected_radius_px, alignment, motion_px)
            if ball is not None and (rank == 0 or not (ball.smeared or ball.radius_held or ball.partial_rim)):
                return ball
        return None

    def _ball_at(self, frame: np.ndarray, centre: tuple[float, float], radius: float,
                 expected_radius_px: float | None, alignment: FrameAlignment,
                 motion_px: tuple[float, float] | None) -> BallMeasurement | None:
        """The ball measured round a coarse find (frame px), or None when it is not one."""
        search_px = ACQUIRE_SEARCH_RADII * radius + COARSE_STRIDE  # the coarse centre is off by a stride at most
        (dx, dy) = alignment.shift_px
        ball = self.measure(frame, (centre[0] - dx, centre[1] - dy), expected_radius_px, search_px,
                            rough_radius_px=radius, alignment=alignment, motion_px=motion_px)
        if ball is None or ball.smeared:
            return ball  # a streak's outline is smeared in the frame: the ghost test needs a rim
        if self._is_ghost(frame, (ball.x_px + dx, ball.y_px + dy), ball.radius_px, alignment):
            return None  # the empty place where the learnt background holds a resting ball
        return ball

    def _coarse_mask(self, frame: np.ndarray, alignment: FrameAlignment) -> np.ndarray:
        """Foreground of the frame at COARSE_STRIDE, 0/1 uint8; made once a frame (several balls
        may search the same frame)."""
        if self._coarse_cache is not None and self._coarse_cache[0] is frame:
            return self._coarse_cache[1]
        difference = foreground_difference(coarse_view(frame), self._coarse_background(alignment), self.threshold)
        if self.background.coarse_edge_tolerance is not None:
            difference = cv2.subtract(difference, self.background.coarse_edge_tolerance)
        _, mask = cv2.threshold(difference, self.threshold, 1, cv2.THRESH_BINARY)
        self._coarse_cache = (frame, mask)
        return mask

    def next_frame(self) -> None:
        """A new frame is coming: forget the last one's coarse foreground (kept for the same
        frame object only, but a caller may refill one buffer with every frame)."""
        self._coarse_cache = None

    def _is_ghost(self, frame: np.ndarray, centre: tuple[float, float], radius: float,
                  alignment: FrameAlignment) -> bool:
        """The blob is the empty place where the learnt background holds a resting ball: the
        ball's rim is an edge in the background there, not in the frame.

        Colour-blind on purpose: a ball may be darker or lighter than the ground, plain or
        panelled; whatever its colour, a ball's outline is a step in brightness, and a painted
        line or a post crossing the circle is a step in both pictures alike.
        """
        window = self._window(frame.shape, centre, radius + GHOST_WINDOW_MARGIN_PX)
        if window is None:
            return False
        top, bottom, left, right = window
        angles = np.linspace(0.0, 2 * math.pi, GHOST_RIM_SAMPLES, endpoint=False)
        columns = np.clip(np.round(centre[0] - left + radius * np.cos(angles)).astype(int), 0, right - left - 1)
        rows = np.clip(np.round(centre[1] - top + radius * np.sin(angles)).astype(int), 0, bottom - top - 1)
        here, empty = frame[top:bottom, left:right], self._background_window(window, alignment)
        in_frame, in_background = _edge_strength(here)[rows, columns], _edge_strength(empty)[rows, columns]
        decisive = np.abs(in_frame - in_background) > GHOST_EDGE_TIE
        if not decisive.any():
            return True  # no outline in either picture: nothing ball-like here
        return float(np.mean(in_frame[decisive] > in_background[decisive])) < GHOST_MIN_BALL_SHARE

    def chromaticity(self, frame: np.ndarray, ball: BallMeasurement, alignment: FrameAlignment = STEADY
                     ) -> np.ndarray | None:
        """The ball's colour without its brightness: the mean B, G, R of its pixels (inside its
        image, away from the rim, where the ground bleeds in) over their sum, (3,). Only pixels
        that differ from the background are the ball's: where a post or a player in front hides
        part of it, their colour is not the ball's. None for a ball too small, cut by the
        frame's edge, or mostly hidden. Light changes (flicker, shade, exposure) leave it as it is."""
        centre = (ball.x_px + alignment.shift_px[0], ball.y_px + alignment.shift_px[1])
        inner_px = COLOUR_DISC_SHARE * ball.radius_px
        window = self._window(frame.shape, centre, inner_px)
        if window is None or inner_px < MIN_COLOUR_DISC_PX:
            return None
        top, bottom, left, right = window
        here = frame[top:bottom, left:right]
        disc = np.zeros((bottom - top, right - left), np.uint8)
        cv2.circle(disc, (round(centre[0] - left), round(centre[1] - top)), round(inner_px), 1, -1)
        _, differs = cv2.threshold(mean_abs_difference(here, self._background_window(window, alignment)),
                                   self.threshold, 1, cv2.THRESH_BINARY)
        visible = cv2.bitwise_and(disc, differs)
        if cv2.countNonZero(visible) < MIN_COLOUR_SHARE * cv2.countNonZero(disc):
            return None
        mean = np.array(cv2.mean(here, visible)[:3])
        total = float(mean.sum())
        return mean / total if total > 0 else None

    def _coarse_background(self, alignment: FrameAlignment) -> np.ndarray:
        coarse = self.background.coarse
        if alignment.shift_px != (0.0, 0.0):
            dx, dy = (value / COARSE_STRIDE for value in alignment.shift_px)
            coarse = cv2.warpAffine(coarse, np.float32([[1, 0, dx], [0, 1, dy]]), (coarse.shape[1], coarse.shape[0]),
                                    borderMode=cv2.BORDER_REPLICATE)
        return cv2.convertScaleAbs(coarse, alpha=alignment.gain) if alignment.gain != 1.0 else coarse

    def _background_window(self, window, alignment: FrameAlignment) -> np.ndarray:
        """The background as this frame would show it in a window (frame pixels)."""
        top, bottom, left, right = window
        if alignment.shift_px == (0.0, 0.0):
            patch = self.background.image[top:bottom, left:right]
        else:
            dx, dy = alignment.shift_px
            centre = (left + (right - left - 1) / 2 - dx, top + (bottom - top - 1) / 2 - dy)
            patch = cv2.getRectSubPix(self.background.image, (right - left, bottom - top), centre)
        return cv2.convertScaleAbs(patch, alpha=alignment.gain) if alignment.gain != 1.0 else patch

    def measure(
        self, frame: np.ndarray, predicted: tuple[float, float], expected_radius_px: float | None,
        search_px: float, rough_radius_px: float | None = None, precise: bool = True,
        alignment: FrameAlignment = STEADY, motion_px: tuple[float, float] | None = None,
        radius_sure: bool = True, smear_px: tuple[float, float] | None = None,
    ) -> BallMeasurement | None:
        """Measure the ball near `predicted` (px, background coordinates; so is the result).

        expected_radius_px: radius the track expects (held when little rim is visible);
        None when there is no track yet. search_px: how far from `predicted` the centre may be.
        rough_radius_px: size hint for the search window when there is no expected radius.
        precise: fit the rim to sub-pixel precision; False (with an expected radius) returns the
        blob's centroid and the expected radius, enough to follow a ball far from the line.
        alignment: the frame's gain and shift against the background.
        motion_px: the tracked ball's motion per frame (px), which may smear it into a streak.
        radius_sure: False when expected_radius_px was only ever fitted to part of the rim: where
        the rim does not fit it, a fit to part of the rim (partial_rim) is returned instead.
        smear_px: the ball's image motion during this frame's exposure (px), when known: the rim
        is read at mid-exposure (see _rim_points).
        """
        size_px = expected_radius_px or rough_radius_px or MIN_RADIUS_PX
        dx, dy = alignment.shift_px
        at = (predicted[0] + dx, predicted[1] + dy)
        window = self._window(frame.shape, at, search_px + RAY_REACH * size_px + WINDOW_MARGIN_PX)
        if window is None:
            return None
        top, bottom, left, right = window
        difference = foreground_difference(frame[top:bottom, left:right], self._background_window(window, alignment),
                                           self.threshold)
        if self.background.edge_tolerance is not None:
            difference = cv2.subtract(difference, self.background.edge_tolerance[top:bottom, left:right])
        blob = self._nearest_blob(difference, (at[0] - left, at[1] - top), search_px, size_px)
        if blob is None:
            return None
        to_background = np.array([left - dx, top - dy], np.float32)
        if expected_radius_px is not None:
            streak = blob.is_streak_of(expected_radius_px, motion_px)
            if streak or not precise:
                x, y = blob.centre + to_background
                return BallMeasurement(float(x), float(y), expected_radius_px, radius_held=True, smeared=streak,
                                       blob_radius_px=blob.minor_px)
        start = blob.centre
        if expected_radius_px is not None and blob.reach_px > MERGED_BLOB_RADII * expected_radius_px:
            start = (at[0] - left, at[1] - top)  # the blob holds more than the ball: trust the track
        reach = RAY_REACH * max(min(blob.reach_px, MERGED_BLOB_RADII * size_px), size_px)
        points = self._rim_points(difference.astype(np.float32), start, reach, smear_px) + to_background
        return self._fit(points, expected_radius_px, size_px, radius_sure)

    def _window(self, shape, centre, half_px: float):
        height, width = shape[:2]
        left, right = max(0, int(centre[0] - half_px)), min(width, int(centre[0] + half_px) + 1)
        top, bottom = max(0, int(centre[1] - half_px)), min(height, int(centre[1] + half_px) + 1)
        if right - left < 3 or bottom - top < 3:
            return None
        return top, bottom, left, right

    def _nearest_blob(self, difference: np.ndarray, predicted, search_px: float, size_px: float):
        """The foreground blob nearest the prediction (window px), or None."""
        _, mask = cv2.threshold(difference, self.threshold, 1, cv2.THRESH_BINARY)
        left, top, width, height = cv2.boundingRect(mask)
        if width == 0:
            return None
        reach = search_px + 2 * size_px
        if (left >= predicted[0] - reach and left + width <= predicted[0] + reach
                and top >= predicted[1] - reach and top + height <= predicted[1] + reach):
            # The usual case: all that moves in the window is the ball. Three C calls, no arrays.
            moments = cv2.moments(mask, binaryImage=True)
            if moments["m00"] < MIN_BLOB_PIXELS:
                return None
            blob = _Blob.of_moments(moments, max(width, height) / 2)
            if math.hypot(blob.centre[0] - predicted[0], blob.centre[1] - predicted[1]) > search_px + size_px:
                return None
            return blob
        return self._blob_holding_nearest_pixel(mask, predicted, search_px)

    def _blob_holding_nearest_pixel(self, mask: np.ndarray, predicted, search_px: float):
        """Something else moves in the window too: keep the blob holding the pixel nearest the
        prediction (labels only: OpenCV's statistics of every blob cost five times more)."""
        columns, rows = _set_pixels(mask)
        distance_sq = (columns - predicted[0]) ** 2 + (rows - predicted[1]) ** 2
        nearest = int(np.argmin(distance_sq))
        if distance_sq[nearest] > search_px**2:
            return None
        _, labels = cv2.connectedComponents(mask, connectivity=8)
        mine = labels[rows, columns] == labels[rows[nearest], columns[nearest]]
        rows, columns = rows[mine], columns[mine]
        if len(rows) < MIN_BLOB_PIXELS:
            return None
        blob_mask = np.zeros_like(mask)
        blob_mask[rows, columns] = 1
        extent = max(columns.max() - columns.min(), rows.max() - rows.min()) + 1
        return _Blob.of_moments(cv2.moments(blob_mask, binaryImage=True), extent / 2)

    def _ray_grid(self, count: int):
        """Ray sample distances (count,) and their x / y offsets (RAY_COUNT, count), cached by length."""
        grid = self._ray_grids.get(count)
        if grid is None:
            steps = np.arange(count, dtype=np.float32) * np.float32(RAY_STEP_PX)
            grid = (steps, self._directions[:, :1] * steps, self._directions[:, 1:] * steps)
            self._ray_grids[count] = grid
        return grid

    def _rim_points(self, difference: np.ndarray, centre, reach_px: float,
                    smear_px: tuple[float, float] | None = None) -> np.ndarray:
        """Sub-pixel rim points along rays from `centre`, (N, 2) window pixels.

        smear_px: the ball's image motion during the exposure (px), when known: each ray's edge
        is a ramp that wide along it, and its level is read beyond the ramp (see RIM_INSIDE_STEPS)."""
        steps, offset_x, offset_y = self._ray_grid(int(math.ceil(reach_px / RAY_STEP_PX)))
        map_x = offset_x + np.float32(centre[0])
        map_y = offset_y + np.float32(centre[1])
        profiles = cv2.remap(difference, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        # The ball is shaded, so its contrast falls towards the limb: the rim is where the
        # profile falls to half the level found just inside it, not half the central level.
        foreground = profiles > self.threshold
        outermost = len(steps) - 1 - np.argmax(foreground[:, ::-1], axis=1)
        usable = foreground.any(axis=1) & (outermost < len(steps) - 1) & (outermost >= self.rim_inside_steps)
        rows, outermost = np.flatnonzero(usable), outermost[usable]
        inside = outermost[:, None] - np.arange(1, self.rim_inside_steps + 1)[None, :]
        level = profiles[rows[:, None], inside].max(axis=1)
        if smear_px is not None:
            # The outermost foreground sample already lies threshold / level of the way up the
            # ramp: the window reaches on over the rest of it, in whole steps (not beyond its top).
            along_px = np.abs(self._directions[rows] @ np.asarray(smear_px, np.float32))
            rest = along_px * np.clip(1.0 - self.threshold / np.maximum(level, 1e-6), 0.0, 1.0)
            extra = np.floor(rest / RAY_STEP_PX).astype(int)
            if extra.any():
                offsets = np.arange(1, self.rim_inside_steps + int(extra.max()) + 1)[None, :]
                deeper = profiles[rows[:, None], np.maximum(outermost[:, None] - offsets, 0)]
                within = offsets <= self.rim_inside_steps + extra[:, None]
                level = np.where(within, deeper, -np.inf).max(axis=1)
        clear = level > LEVEL_OVER_THRESHOLD * self.threshold
        rows, outermost, level = rows[clear], outermost[clear], level[clear]
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

    def _fit(self, points: np.ndarray, expected_radius_px: float | None, size_px: float,
             radius_sure: bool = True) -> BallMeasurement | None:
        points = self._drop_occlusion_edges(points, size_px)
        if len(points) < MIN_EDGE_POINTS:
            return None
        free = _robust_circle_fit(points)
        if free is None:
            return None
        (x, y, radius), points, arc = free
        plausible = MIN_RADIUS_PX <= radius <= MAX_RADIUS_PX and _rim_rms(points, x, y, radius) <= MAX_RIM_RMS_PX
        if expected_radius_px is not None:
            plausible &= SIZE_MATCH[0] * expected_radius_px <= radius <= SIZE_MATCH[1] * expected_radius_px
        if arc >= FULL_FIT_ARC_DEG and plausible:
            return BallMeasurement(float(x), float(y), float(radius), radius_held=False)
        partial = None
        if arc >= MIN_ACQUIRE_ARC_DEG and plausible:
            partial = BallMeasurement(float(x), float(y), float(radius), radius_held=False, partial_rim=True)
        if expected_radius_px is None:
            return partial
        if arc < MIN_HELD_ARC_DEG:
            return None
        held_x, held_y = _centre_with_radius(points, (x, y), expected_radius_px)  # points are float64 here
        if _rim_rms(points, held_x, held_y, expected_radius_px) > MAX_RIM_RMS_PX:
            # Not the rim of a ball that size: a player's silhouette, a ball merged with something;
            # or the ball itself, when its size was only ever guessed from part of its rim.
            return None if radius_sure else partial
        return BallMeasurement(float(held_x), float(held_y), float(expected_radius_px), radius_held=True)

    def _drop_occlusion_edges(self, points: np.ndarray, size_px: float) -> np.ndarray:
        """Remove rim points that the goal frame, not the ball, made (see OCCLUSION_ZONE_RADII)."""
        line_distance = points @ self._line_normal + self.goal_line.offset
        near_line = (line_distance > -OCCLUSION_ZONE_RADII * size_px) & (line_distance <= LINE_EXCLUSION_PX)
        if not near_line.any():
            return points  # the usual case: the ball is away from the line
        on_line = np.abs(line_distance) <= LINE_EXCLUSION_PX
        in_zone = near_line & (line_distance < 0)
        height, width = self.background.static_edges.shape
        pixels = (points + 0.5).astype(np.int32)  # rim points lie inside the frame's window
        np.clip(pixels, 0, (width - 1, height - 1), out=pixels)
        on_static_edge = self.background.static_edges[pixels[:, 1], pixels[:, 0]]
        return points[~on_line & ~(in_zone & on_static_edge)]


def _edge_strength(image: np.ndarray) -> np.ndarray:
    """Brightness gradient magnitude of a BGR (or grey) patch, float32 (Sobel, 3x3)."""
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    return cv2.magnitude(cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1))


def _set_pixels(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Columns and rows of the non-zero pixels (cv2.findNonZero: several times faster than numpy here)."""
    found = cv2.findNonZero(mask)
    if found is None:
        return np.empty(0, np.int32), np.empty(0, np.int32)
    found = found.reshape(-1, 2)
    return found[:, 0], found[:, 1]


def _blobs(mask: np.ndarray):
    """Connected blobs of a sparse 0/1 mask: centres (K, 2) (x, y), widths, heights, areas,
    and the major / minor semi-axes of their moment ellipses (K,).

    Labels from OpenCV, statistics from numpy over the few set pixels: OpenCV's own
    statistics pass costs ten times more on a mostly empty mask.
    """
    columns, rows = _set_pixels(mask)
    _, labels = cv2.connectedComponents(mask, connectivity=8)
    label_of = labels[rows, columns]
    order = np.argsort(label_of, kind="stable")
    label_of = label_of[order]
    x, y = columns[order].astype(np.float64), rows[order].astype(np.float64)
    starts = np.flatnonzero(np.diff(label_of, prepend=-1))
    areas = np.diff(np.append(starts, len(label_of))).astype(np.float64)

    def mean(values):
        return np.add.reduceat(values, starts) / areas

    centres = np.stack([mean(x), mean(y)], axis=1)
    major, minor = _semi_axes(mean(x * x) - centres[:, 0] ** 2, mean(y * y) - centres[:, 1] ** 2,
                              mean(x * y) - centres[:, 0] * centres[:, 1])
    widths = np.maximum.reduceat(x, starts) - np.minimum.reduceat(x, starts) + 1
    heights = np.maximum.reduceat(y, starts) - np.minimum.reduceat(y, starts) + 1
    return centres, widths, heights, areas, major, minor


def _most_ball_like(coarse_mask: np.ndarray, expected_radius_px: float | None = None
                    ) -> list[tuple[tuple[float, float], float]]:
    """Centre and radius (full-frame px) of the ball-like blobs of a coarse mask, the most
    ball-like first: round, full and large; or, when a ball of `expected_radius_px` is followed,
    of its size (a streak allowed)."""
    centres, widths, heights, areas, major, minor = _blobs(coarse_mask)
    radii = np.maximum(widths, heights) * COARSE_STRIDE / 2
    fills = areas / (widths * heights)
    roundness = np.where(major > 0, minor / np.maximum(major, 1e-9), 1.0)
    plausible = (radii >= MIN_RADIUS_PX) & (fills >= MIN_FILL) & (areas >= 2)
    if expected_radius_px is None:
        ball_like = plausible & (radii <= MAX_RADIUS_PX) & (roundness >= MIN_ROUNDNESS)
        scores = areas * fills * roundness
    else:
        # Coarse pixels blur a small ball's semi-axes by up to a stride: compare generously.
        width_px = np.maximum(minor * COARSE_STRIDE, radii * roundness)
        size_ok = (width_px >= SIZE_MATCH[0] * expected_radius_px - COARSE_STRIDE) & (
            width_px <= SIZE_MATCH[1] * expected_radius_px + COARSE_STRIDE)
        short_enough = major * COARSE_STRIDE <= MAX_STREAK_RADII * expected_radius_px + COARSE_STRIDE
        ball_like = plausible & size_ok & short_enough
        scores = fills * roundness / (1.0 + np.abs(np.log(np.maximum(width_px, 1.0) / expected_radius_px)))
    order = [int(k) for k in np.argsort(-scores, kind="stable") if ball_like[k]]
    return [((float(centres[k, 0] * COARSE_STRIDE), float(centres[k, 1] * COARSE_STRIDE)), float(radii[k]))
            for k in order]


def _robust_circle_fit(points: np.ndarray):
    """Circle fit that drops rim points spoilt by something else (net strings, a neighbour):
    algebraic fits to find the outliers, one geometric fit on the points kept."""
    pts = points.astype(np.float64)
    free = _algebraic_circle(pts)
    for _ in range(2):
        if free is None:
            return None
        residual = np.abs(np.hypot(pts[:, 0] - free[0], pts[:, 1] - free[1]) - free[2])
        middle = len(residual) // 2
        median = float(np.partition(residual, middle)[middle])
        keep = residual < max(OUTLIER_PX, OUTLIER_MEDIAN_FACTOR * median)
        if keep.sum() < MIN_EDGE_POINTS or keep.all():
            break
        pts = pts[keep]
        free = _algebraic_circle(pts) or free
    if free is None:
        return None
    arc = _arc_span_deg(pts, free[:2])
    if arc < ALGEBRAIC_FIT_ARC_DEG:
        free = _geometric_circle(pts, free) or free
    return free, pts, arc


def _algebraic_circle(points: np.ndarray) -> tuple[float, float, float] | None:
    """Kasa's least-squares circle through points (N, 2) float64, in closed form."""
    mean = points.mean(axis=0)
    u, v = (points - mean).T
    uu, vv, uv = u @ u, v @ v, u @ v
    uuu, vvv, uvv, vuu = u @ (u * u), v @ (v * v), u @ (v * v), v @ (u * u)
    determinant = uu * vv - uv * uv
    if abs(determinant) < 1e-9:
        return None
    right_u, right_v = (uuu + uvv) / 2, (vvv + vuu) / 2
    centre_u = (right_u * vv - right_v * uv) / determinant
    centre_v = (right_v * uu - right_u * uv) / determinant
    radius_sq = centre_u**2 + centre_v**2 + (uu + vv) / len(points)
    if radius_sq <= 0:
        return None
    return float(mean[0] + centre_u), float(mean[1] + centre_v), float(np.sqrt(radius_sq))


def _geometric_circle(points: np.ndarray, start) -> tuple[float, float, float] | None:
    """Gauss-Newton on the distances to the circle: unlike the algebraic fit, it does not
    shrink the radius when the rim points cover only part of the circle."""
    x, y, radius = start
    for _ in range(GEOMETRIC_FIT_ITERATIONS):
        dx, dy = points[:, 0] - x, points[:, 1] - y
        distance = np.maximum(np.hypot(dx, dy), 1e-9)
        cos, sin, residual = dx / distance, dy / distance, distance - radius
        # Normal equations of J = [-cos, -sin, -1] against the residuals, solved by Cramer's rule
        # (3x3 in plain floats: np.linalg.solve's call costs more than the arithmetic).
        step = _solve3(
            ((float(cos @ cos), float(cos @ sin), float(cos.sum())),
             (float(cos @ sin), float(sin @ sin), float(sin.sum())),
             (float(cos.sum()), float(sin.sum()), float(len(points)))),
            (float(cos @ residual), float(sin @ residual), float(residual.sum())),
        )
        if step is None:
            return None
        x, y, radius = x + step[0], y + step[1], radius + step[2]
        if max(abs(step[0]), abs(step[1]), abs(step[2])) < 1e-4:
            break
    if not (np.isfinite(x) and np.isfinite(y) and np.isfinite(radius)) or radius <= 0:
        return None
    return float(x), float(y), float(radius)


def _solve3(matrix, right):
    """Solve a 3x3 linear system by Cramer's rule; None when it is singular."""
    (a, b, c), (d, e, f), (g, h, i) = matrix
    determinant = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)
    if abs(determinant) < 1e-12:
        return None
    p, q, r = right
    return (
        (p * (e * i - f * h) - b * (q * i - f * r) + c * (q * h - e * r)) / determinant,
        (a * (q * i - f * r) - p * (d * i - f * g) + c * (d * r - q * g)) / determinant,
        (a * (e * r - q * h) - b * (d * r - q * g) + p * (d * h - e * g)) / determinant,
    )


def _centre_with_radius(points: np.ndarray, start, radius: float) -> tuple[float, float]:
    """Gauss-Newton for the centre of a circle of known radius through the points."""
    x, y = start
    for _ in range(GEOMETRIC_FIT_ITERATIONS):
        dx, dy = points[:, 0] - x, points[:, 1] - y
        distance = np.maximum(np.hypot(dx, dy), 1e-9)
        cos, sin, residual = dx / distance, dy / distance, distance - radius
        cc, ss, cs = cos @ cos, sin @ sin, cos @ sin
        determinant = cc * ss - cs * cs
        if abs(determinant) < 1e-9:
            break
        gu, gv = cos @ residual, sin @ residual
        step_x, step_y = (gu * ss - gv * cs) / determinant, (gv * cc - gu * cs) / determinant
        x, y = x + step_x, y + step_y
        if abs(step_x) + abs(step_y) < 1e-3:
            break
    return float(x), float(y)


def _rim_rms(points: np.ndarray, x: float, y: float, radius: float) -> float:
    """Root mean square distance (px) of rim points from a circle."""
    residual = np.hypot(points[:, 0] - x, points[:, 1] - y) - radius
    return float(np.sqrt(np.mean(residual * residual)))


def _arc_span_deg(points: np.ndarray, centre) -> float:
    """Angular extent of the points around the centre (360 minus the largest gap)."""
    angles = np.sort(np.degrees(np.arctan2(points[:, 1] - centre[1], points[:, 0] - centre[0])))
    gaps = np.diff(np.concatenate([angles, [angles[0] + 360.0]]))
    return float(360.0 - gaps.max())
