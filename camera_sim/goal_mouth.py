"""Where in the goal plane the ball crossed, from one camera standing in that plane.

A goal-line camera sees the whole goal plane as one image line, so the ball's place *along*
its ray cannot be read from where it is in the picture. Its apparent size gives it: the ball's
diameter is known (Law 2), so its angular radius gives its distance from the camera. With the
camera's pose in the plane (found from where it sees the goal mouth's four corners), the
crossing point is placed between the posts and under the bar, outside them, or too near a post
or the bar to tell (Law 10: a goal only between the posts and under the crossbar).

Pure geometry on numbers. Plane coordinates are the goal frame's (x along the line, positive
to the right seen from the field; z up), in metres; image points are pixels (OpenCV).

A camera 10 m beside the middle of the goal, 4 m up, aimed along the line (the goal line is
image row 360, the goal side below it, and a plane point 1 m lower shows 100 px further left at 10 m):

>>> line = GoalLine.through((0.0, 360.0), (1280.0, 360.0), goal_side=(0.0, 400.0))
>>> corners = [(640 - 1000 * drop / depth, 360.0) for drop, depth in ((4, 13.66), (4, 6.34), (1.56, 13.66), (1.56, 6.34))]
>>> view = MouthView.resect(1000.0, (640.0, 360.0), line, corners, goal_width_m=7.32, goal_height_m=2.44)
>>> [round(float(v), 3) for v in view.centre_m]
[10.0, 4.0]
>>> place = view.place([(10, (340.0, 360.0), 11.24)], at_frame=10, ball_radius_m=0.11, frame_period_s=0.004)
>>> round(place.x_m, 1) + 0.0, round(place.z_m, 1), place.verdict
(0.0, 1.0, 'in_mouth')
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
import numpy as np

from camera_sim.decide.law10 import MouthVerdict, mouth_verdict
from camera_sim.goal_line import GoalLine

Point = tuple[float, float]

MOUTH_SIGMAS = 3.0
"""A crossing counts as inside (or outside) the mouth only when the post and the bar are 3 of its
standard errors away (a crossing truly on the post's edge is misplaced inside 0.13 % of the time)."""
RADIUS_SIGMA_PX = 0.15
"""Standard error of one frame's fitted image radius, for placements from too few frames to
measure their scatter. Measured: consecutive full fits scatter by 0.02-0.06 px on rendered
720p frames; at 25 frames/s the placements from 2-8 frames erred by 0.05-0.24 m where this
gives standard errors of 0.15-0.27 m (bench_accuracy shot class, 720p)."""
MIN_SCATTER_SIGHTINGS = 6
"""From 6 frames on, the placements' own scatter about their line gives the noise; with fewer,
RADIUS_SIGMA_PX does."""
STRAIGHT_FACTOR = 2.0
"""More sightings are added to the nearest ones only while their scatter about one straight line
stays within twice the nearest ones' own: more than that, the path bends (a bounce, the bar)."""
SCATTER_FLOOR = 0.1
"""A measured scatter is taken as at least a tenth of RADIUS_SIGMA_PX's (a few sightings can
agree by chance)."""
ACROSS_RAY_SIGMA_M = 0.03
"""Standard error of a placement across the camera's ray: a ball's image centre is good to a
fraction of a pixel, 1 cm at 20 m with a 1,700 px focal length; 3 cm allows for a path bending
between the sightings."""
PLANE_SPEED_MPS = 10.0
"""How fast a ball may move along the goal plane (a 30 m/s shot 20 degrees off square to the line):
bounds its drift while it is hidden."""
CORNER_LINE_TOLERANCE_PX = 5.0
"""The mouth's corners stand in the goal line's plane, so they image on its line, to a few pixels
of clicking (a corner farther off belongs to another camera or another line)."""
MAX_CAMERA_DISTANCE_M = 300.0
"""No stand puts a camera farther than this from the goal: corners that do are nearly one point."""
DISTANCE_FLOOR = 0.005
"""Relative error of a distance that no averaging removes: the ball's stated diameter (a
match ball is measured to a millimetre or so of its 22 cm) and the calibration's focal length."""
GROUND_TOLERANCE_M = 0.05
"""A ball's centre is never lower than its radius above the ground (z = 0 at the posts' feet):
5 cm less allows for a ball pressed into the grass (1 cm), a pitch's camber or crown (2 cm) and
the posts' feet clicked a pixel off (about 2 cm at 24 m): the ground cut must never remove the
place where a low ball really crossed."""
BALL_SIZE_REACH_M = 1.0
"""A ball judged at the line is within a metre of the mouth (wide of a post, over the bar)..."""
BALL_SIZE_TOLERANCE = 0.2
"""...and its fitted radius within 20 % of a sphere's there (the off-axis ellipse adds up to a few
per cent at the frame's edge; a small ball's fit, blur and compression a few more)."""
RESECTION_MAX_RESIDUAL = 1e-2
"""The four corners must fit one camera in the plane to 1 % (of tan of the ray angle); a larger
residual means corners in the wrong order or a camera outside the plane."""


class MouthGeometryError(ValueError):
    """The goal mouth's corners do not fit a camera in the goal plane."""


@dataclass(frozen=True)
class Placement:
    """Where the ball's centre crossed the goal plane, and how sure that is.

    x_m, z_m: goal-frame position (m); sigma_m: standard error along the camera's ray (m), the
    direction in which one camera is unsure (all three None when no frame placed it); verdict: inside the mouth, outside it, or too near
    a post or the bar to tell at MOUTH_SIGMAS.
    """

    x_m: float | None
    z_m: float | None
    sigma_m: float | None
    verdict: MouthVerdict
    sigma_across_m: float | None = None
    """Standard error across the ray (m): the ray's direction is measured to a pixel; only a
    ball's drift while hidden adds to it."""

    @classmethod
    def unseen(cls) -> "Placement":
        """No frame near the moment measured the ball: where it crossed is unknown."""
        return cls(None, None, None, "mouth_uncertain")

    @property
    def in_mouth(self) -> bool | None:
        """True / False when sure; None when too near the frame to tell."""
        return None if self.verdict == "mouth_uncertain" else self.verdict == "in_mouth"


@dataclass(frozen=True)
class MouthView:
    """One goal-line camera's pose in the goal plane and its view of the line.

    centre_m: the camera centre (x, z), m. axis, lateral: unit plane vectors of the camera's
    in-plane depth axis and of increasing image position along the line. line_camera: the image
    line seen as a 1-D camera (its focal length and principal point).
    """

    centre_m: np.ndarray
    axis: np.ndarray
    lateral: np.ndarray
    goal_line: GoalLine
    focal_px: float
    principal_point_px: Point
    line_camera: "_LineCamera"
    goal_width_m: float
    goal_height_m: float

    @classmethod
    def resect(cls, focal_px: float, principal_point_px: Point, goal_line: GoalLine,
               corners_px: Sequence[Point], goal_width_m: float, goal_height_m: float) -> "MouthView":
        """The camera's pose in the plane from the image of the mouth's inner corners.

        corners_px: left post's foot, right post's foot, left and right ends of the crossbar's
        lower edge (left and right as seen from the field), pixels on the goal line's image.
        """
        view = _line_camera(focal_px, principal_point_px, goal_line)
        off_line = max(abs(goal_line.signed_distance_px(p)) for p in corners_px)
        if off_line > CORNER_LINE_TOLERANCE_PX:
            raise MouthGeometryError(f"a goal mouth corner lies {off_line:.1f} px off the goal line's image "
                                     f"(at most {CORNER_LINE_TOLERANCE_PX:g}): the camera is not in the line's plane")
        tangents = np.array([view.tangent(p) for p in corners_px])
        half = goal_width_m / 2
        plane = np.array([(-half, 0.0), (half, 0.0), (-half, goal_height_m), (half, goal_height_m)])
        axis, lateral, centre = _resect(plane, tangents)
        return cls(centre, axis, lateral, goal_line, focal_px, principal_point_px, view, goal_width_m, goal_height_m)

    def ball_radius_range_px(self, ball_radius_m: float) -> tuple[float, float]:
        """The image radius (px) a ball can have within BALL_SIZE_REACH_M of the goal mouth (the
        posts and bar, in the goal plane), allowing BALL_SIZE_TOLERANCE for the off-axis ellipse
        and the fit: a thing of another size at the line is not the ball."""
        half, reach = self.goal_width_m / 2 + BALL_SIZE_REACH_M, BALL_SIZE_REACH_M
        low, high = np.array([-half, 0.0]), np.array([half, self.goal_height_m + reach])
        nearest = np.clip(self.centre_m, low, high)
        corners = np.array([(x, z) for x in (low[0], high[0]) for z in (low[1], high[1])])
        near_m = max(float(np.linalg.norm(self.centre_m - nearest)), ball_radius_m * 2)
        far_m = float(np.max(np.linalg.norm(corners - self.centre_m, axis=1)))
        return (self.focal_px * ball_radius_m / far_m * (1 - BALL_SIZE_TOLERANCE),
                self.focal_px * ball_radius_m / near_m * (1 + BALL_SIZE_TOLERANCE))

    def point_at(self, image_px: Point, radius_px: float, ball_radius_m: float) -> tuple[np.ndarray, float]:
        """The plane point (x, z) of a ball imaged at `image_px` with radius `radius_px`, and
        its distance from the camera (m)."""
        tangent = self.line_camera.tangent(image_px)
        direction = self.axis + tangent * self.lateral
        direction = direction / np.linalg.norm(direction)
        distance = ball_radius_m / math.sin(_angular_radius(image_px, radius_px, self.focal_px,
                                                             self.principal_point_px))
        return self.centre_m + distance * direction, distance

    def place(self, sightings: Sequence[tuple[float, Point, float]], at_frame: float,
              ball_radius_m: float, frame_period_s: float,
              crossing_ray: tuple[Point, float] | None = None) -> Placement:
        """The crossing point at fractional frame `at_frame` from measured sightings
        (frame index, image centre px, image radius px) around it; unplaced without any.
        frame_period_s: the stream's time between frames (s). crossing_ray: the ball's image
        centre (px) in the frame nearest the crossing whose centre was measured (its radius
        maybe not), and how many frames that is from `at_frame`: it gives the ray the ball
        crossed on to within its drift since (a mean of sightings farther away allows for more).

        Each sighting gives a plane point; a straight line in time through them (one point:
        that point) is read at `at_frame`, so a ball moving along the line is placed where it
        crossed, not where it was a frame before.
        """
        sightings = [s for s in sightings if math.isfinite(s[2]) and s[2] > 0]
        if not sightings:
            return Placement.unseen()
        frames = np.array([s[0] for s in sightings], float)
        placed = [self.point_at(centre_px, radius_px, ball_radius_m) for _, centre_px, radius_px in sightings]
        points = np.array([point for point, _ in placed])
        nominal = float(np.median([distance * RADIUS_SIGMA_PX / s[2] for (_, distance), s in zip(placed, sightings)]))
        nearest = np.argsort(np.abs(frames - at_frame), kind="stable")
        frames, points = frames[nearest], points[nearest]
        at, noise_m = _straight_estimate(frames, points, at_frame, nominal)
        if len(frames) > MIN_SCATTER_SIGHTINGS:
            # Widen from the nearest frames while the path stays straight (a bounce, a post or the
            # bar bends it: fitting across the bend would misplace the crossing).
            local_scatter = _scatter(frames[:MIN_SCATTER_SIGHTINGS], points[:MIN_SCATTER_SIGHTINGS])
            for count in range(MIN_SCATTER_SIGHTINGS, len(frames) + 1):
                if _scatter(frames[:count], points[:count]) > STRAIGHT_FACTOR * max(local_scatter, nominal * SCATTER_FLOOR):
                    break
                at, noise_m = _straight_estimate(frames[:count], points[:count], at_frame, nominal)
        # Read far from every sighting (a crossing hidden for long), the line is a guess: the
        # sightings' mean, allowing for the ball's drift along the plane since, may be surer.
        # the mean stands for the farthest sighting it averages as much as for the nearest
        drift_m = float(np.abs(frames[:MIN_SCATTER_SIGHTINGS] - at_frame).max()) * frame_period_s * PLANE_SPEED_MPS
        at_mean = points[:MIN_SCATTER_SIGHTINGS].mean(axis=0)
        mean_noise = math.hypot(nominal / math.sqrt(min(len(frames), MIN_SCATTER_SIGHTINGS)), drift_m)
        across_m = ACROSS_RAY_SIGMA_M
        if mean_noise < noise_m:
            at, noise_m, across_m = at_mean, mean_noise, math.hypot(ACROSS_RAY_SIGMA_M, drift_m)
            ray_drift_m = None if crossing_ray is None else crossing_ray[1] * frame_period_s * PLANE_SPEED_MPS
            if ray_drift_m is not None and ray_drift_m < drift_m:
                # The ball seen nearer the crossing, its size unmeasured there, gives the ray it
                # crossed on more surely: only its distance along that ray needs the sightings.
                distance = float(np.linalg.norm(at - self.centre_m))
                direction = self.axis + self.line_camera.tangent(crossing_ray[0]) * self.lateral
                at = self.centre_m + distance * direction / np.linalg.norm(direction)
                across_m = math.hypot(ACROSS_RAY_SIGMA_M, ray_drift_m)
        sigma_m = math.hypot(noise_m, DISTANCE_FLOOR * float(np.linalg.norm(at - self.centre_m)))
        # The ball's centre cannot be under the ground: a placement below it belongs where its
        # ray meets the lowest height a ball's centre reaches (the ray is measured to ACROSS_RAY_SIGMA_M,
        # the distance along it is the unsure part).
        ground_z = ball_radius_m - GROUND_TOLERANCE_M
        verdict = self._verdict(at, sigma_m, across_m, ground_z)
        ray = (at - self.centre_m) / np.linalg.norm(at - self.centre_m)
        if at[1] < ground_z and ray[1] < 0:
            at = at + (ground_z - at[1]) / ray[1] * ray
        return Placement(float(at[0]), float(at[1]), sigma_m, verdict, across_m)

    def _verdict(self, point: np.ndarray, sigma_m: float, across_m: float,
                 ground_z: float = -math.inf) -> MouthVerdict:
        """Inside or outside the mouth all round the MOUTH_SIGMAS ellipse (sigma_m along the
        camera's ray, across_m across it) where it lies above `ground_z` (a ball's centre is never
        lower: the part of the ellipse under it is no place the ball can have crossed), or uncertain."""
        ray = (point - self.centre_m) / np.linalg.norm(point - self.centre_m)
        across = np.array([-ray[1], ray[0]])
        # The ellipse {point + E u : |u| <= 1}, E's columns the scaled ray and across directions.
        shape = MOUTH_SIGMAS * np.column_stack([sigma_m * ray, across_m * across])
        chord = _ellipse_at_height(point, shape, ground_z)
        if chord is None and point[1] < ground_z:
            return "mouth_uncertain"  # the whole ellipse under the ground: a measurement gone wrong
        x_range = _reach(point, shape, np.array([1.0, 0.0]), ground_z, chord)
        z_range = _reach(point, shape, np.array([0.0, 1.0]), ground_z, chord)
        return mouth_verdict(x_range, z_range, self.goal_width_m, self.goal_height_m)


@dataclass(frozen=True)
class _LineCamera:
    """The in-plane camera: the image line as a 1-D image, its focal length and principal point."""

    focal_px: float
    origin_px: np.ndarray
    goal_line: GoalLine

    def tangent(self, image_px: Point) -> float:
        """tan of the in-plane angle between a point's ray and the in-plane optical axis."""
        along = np.array([-self.goal_line.normal[1], self.goal_line.normal[0]])
        return float(along @ (np.asarray(image_px, float) - self.origin_px)) / self.focal_px


def _line_fit(frames: np.ndarray, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean point and slope per frame of the least-squares line through (frame, point) pairs."""
    spread = frames - frames.mean()
    denominator = float(spread @ spread)
    slope = (spread @ (points - points.mean(axis=0))) / denominator if denominator > 0 else np.zeros(2)
    return points.mean(axis=0), slope


def _scatter(frames: np.ndarray, points: np.ndarray) -> float:
    """Root mean square distance (m) of the points from their line in time (2 degrees of freedom used)."""
    mean, slope = _line_fit(frames, points)
    residual = points - mean - np.outer(frames - frames.mean(), slope)
    return float(np.sqrt(np.sum(residual**2) / max(len(frames) - 2, 1)))


def _straight_estimate(frames: np.ndarray, points: np.ndarray, at_frame: float, nominal_m: float):
    """The point at `at_frame` on the line through the sightings and its standard error (m): the
    noise is the points' own scatter once there are MIN_SCATTER_SIGHTINGS, else nominal_m."""
    mean, slope = _line_fit(frames, points)
    spread = frames - frames.mean()
    if float(spread @ spread) == 0:
        return mean, nominal_m / math.sqrt(len(frames))
    scatter = _scatter(frames, points) if len(frames) >= MIN_SCATTER_SIGHTINGS else nominal_m
    scatter = max(scatter, nominal_m * SCATTER_FLOOR)
    leverage = 1 / len(frames) + (at_frame - frames.mean()) ** 2 / float(spread @ spread)
    return mean + slope * (at_frame - frames.mean()), scatter * math.sqrt(leverage)


def _ellipse_at_height(centre: np.ndarray, shape: np.ndarray, z: float) -> list[np.ndarray] | None:
    """The two points where the ellipse {centre + shape u : |u| = 1} meets the height z; None
    when it does not reach it."""
    # centre_z + (shape[1] . u) = z with |u| = 1: u = a w / |w| + b w_perp, a = (z - centre_z) / |w|.
    row = shape[1]
    norm = float(np.linalg.norm(row))
    if not math.isfinite(z) or norm == 0 or abs(z - centre[1]) > norm:
        return None
    a = (z - centre[1]) / norm
    b = math.sqrt(max(1 - a * a, 0.0))
    w = row / norm
    perp = np.array([-w[1], w[0]])
    return [centre + shape @ (a * w + sign * b * perp) for sign in (-1.0, 1.0)]


def _reach(centre: np.ndarray, shape: np.ndarray, direction: np.ndarray, ground_z: float,
           chord: list[np.ndarray] | None) -> tuple[float, float]:
    """Least and greatest `direction . p` over the ellipse {centre + shape u : |u| <= 1} above
    `ground_z` (a convex region: its extremes lie on the ellipse or at the ends of its chord there)."""
    gradient = shape.T @ direction
    norm = float(np.linalg.norm(gradient))
    extremes = [] if norm == 0 else [centre + shape @ (sign * gradient / norm) for sign in (-1.0, 1.0)]
    candidates = [p for p in extremes if p[1] >= ground_z] + (chord or [])
    values = [float(direction @ p) for p in candidates]
    return min(values), max(values)


def _line_camera(focal_px: float, principal_point_px: Point, goal_line: GoalLine) -> _LineCamera:
    """The plane through the camera centre meets the image in the goal line; the point of that
    line nearest the principal point is the in-plane principal point, and its distance from the
    optical centre the in-plane focal length."""
    offset = goal_line.signed_distance_px(principal_point_px)
    origin = np.asarray(principal_point_px, float) - offset * np.asarray(goal_line.normal)
    return _LineCamera(math.hypot(focal_px, offset), origin, goal_line)


def _resect(plane: np.ndarray, tangents: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Axis, lateral direction and centre of a 1-D camera seeing plane points (N, 2) at tangents (N,).

    lateral . (P - C) = t * axis . (P - C) is linear in (cos, sin, q1, q2) for axis = (cos, sin),
    lateral = +-(-sin, cos), q1 = -lateral . C, q2 = -axis . C: the null vector of that system
    for either handedness, whichever fits.
    """
    x, z, t = plane[:, 0], plane[:, 1], tangents
    # Only one handedness is a real camera: the image's along-line direction, the goal side and
    # the optical axis make a right-handed frame, so lateral = (-sin, cos) for axis = (cos, sin)
    # (the mirror image fits corners given in the wrong order, with a camera below the ground).
    rows = np.stack([z - t * x, -x - t * z, np.ones_like(t), -t], axis=1)
    solution = np.linalg.svd(rows)[2][-1]
    solution = solution / math.hypot(solution[0], solution[1])
    residual = float(np.abs(rows @ solution).max()) / max(float(np.abs(plane).max()), 1.0)
    cos, sin, q1, q2 = solution
    if residual > RESECTION_MAX_RESIDUAL:
        raise MouthGeometryError("the goal mouth's corners do not fit a camera in the goal line's plane "
                                 "(corners in the wrong order?)")
    axis, lateral = np.array([cos, sin]), np.array([-sin, cos])
    if (plane @ axis + q2).min() <= 0:  # the null vector's sign: the mouth lies in front of the camera
        axis, lateral, q1, q2 = -axis, -lateral, -q1, -q2
    if (plane @ axis + q2).min() <= 0:
        raise MouthGeometryError("the goal mouth's corners are not all in front of the camera")
    centre = -q1 * lateral - q2 * axis
    if centre[1] <= 0 or np.linalg.norm(centre) > MAX_CAMERA_DISTANCE_M:
        raise MouthGeometryError(f"the corners put the camera at ({centre[0]:.1f}, {centre[1]:.1f}) m: below the "
                                 f"ground or over {MAX_CAMERA_DISTANCE_M:.0f} m away (corners in the wrong order?)")
    return axis, lateral, centre


def _angular_radius(image_px: Point, radius_px: float, focal_px: float, principal_point_px: Point) -> float:
    """The ball's angular radius (rad) from its fitted image radius.

    Off the optical axis by an angle phi, a sphere images as an ellipse with semi-axes
    f rho / cos(phi) across and f rho / cos^2(phi) along the radial direction; a circle fitted to
    its rim has about their mean.
    """
    off_axis_px = math.hypot(image_px[0] - principal_point_px[0], image_px[1] - principal_point_px[1])
    cos_phi = focal_px / math.hypot(focal_px, off_axis_px)
    return math.atan(2 * radius_px / (focal_px * (1 / cos_phi + 1 / cos_phi**2)))
