"""Detection on rendered frames: the measured circle against the camera model's projection."""

from __future__ import annotations

import numpy as np
import pytest

from camera_sim.camera.pinhole import GOAL_LINE_NORMAL, goal_line_camera
from camera_sim.camera.render import FrameRenderer
from camera_sim.detect.background import learn_background
from camera_sim.detect.ball_detector import BallDetector
from camera_sim.detect.median import level_median, pixel_median
from camera_sim.goal_line import GoalLine
from camera_sim.physics.simulate import goal_frame_of
from camera_sim.scenario.schema import Camera, Conditions, Geometry

GEOMETRY = Geometry()
RADIUS_M = GEOMETRY.ball_diameter_m / 2
OUT_OF_VIEW_M = np.array([[0.0, -60.0, RADIUS_M]])


@pytest.fixture(scope="module")
def scene():
    camera = goal_line_camera(Camera(id="test", goal="north"))
    renderer = FrameRenderer(camera, goal_frame_of(GEOMETRY), Conditions(noise_sigma=2.0), seed=7)
    background = learn_background([renderer.render(OUT_OF_VIEW_M) for _ in range(5)])
    a, b, c = camera.image_line_of_plane(GOAL_LINE_NORMAL)
    line = GoalLine((float(a), float(b)), float(c))
    return camera, renderer, BallDetector(background, line), line


def true_circle(camera, position_m):
    centre = camera.project(np.array([position_m]))[0]
    distance = np.linalg.norm(np.asarray(position_m) - camera.centre_m)
    return centre, camera.focal_px * RADIUS_M / distance


def test_a_ball_in_open_view_is_measured_to_a_fifth_of_a_pixel(scene):
    camera, renderer, detector, _ = scene
    position = (0.5, -1.5, 0.6)
    found = detector.acquire(renderer.render(np.array([position])))
    centre, radius = true_circle(camera, position)
    assert found is not None and not found.radius_held
    assert np.hypot(found.x_px - centre[0], found.y_px - centre[1]) < 0.2
    assert found.radius_px == pytest.approx(radius, abs=0.2)


def test_a_ball_wholly_over_is_measured_on_the_goal_side(scene):
    camera, renderer, detector, line = scene
    position = (-1.0, RADIUS_M + 0.05, RADIUS_M)  # trailing edge 5 cm over
    found = detector.acquire(renderer.render(np.array([position])))
    assert found is not None
    margin_px = line.signed_distance_px((found.x_px, found.y_px)) - found.radius_px
    assert margin_px * RADIUS_M / found.radius_px == pytest.approx(0.05, abs=0.005)


def test_a_ball_cut_off_by_the_goal_frame_is_not_taken_for_a_ball_wholly_over(scene):
    camera, renderer, detector, line = scene
    position = (0.0, 0.03, RADIUS_M)  # centre 3 cm over: the crossbar hides the field-side part
    frame = renderer.render(np.array([position]))
    _, radius = true_circle(camera, position)
    found = detector.measure(frame, tuple(camera.project(np.array([position]))[0]), radius, search_px=radius)
    assert found is not None and found.radius_held
    margin_px = line.signed_distance_px((found.x_px, found.y_px)) - found.radius_px
    assert margin_px * RADIUS_M / found.radius_px == pytest.approx(0.03 - RADIUS_M, abs=0.01)


def rim(arc_deg: float, centre=(200.0, 150.0), radius_px=10.0) -> np.ndarray:
    angles = np.radians(np.linspace(0.0, arc_deg, 40))
    return np.stack([centre[0] + radius_px * np.cos(angles), centre[1] + radius_px * np.sin(angles)], axis=1)


@pytest.mark.parametrize("arc_deg, partial", [(150.0, True), (360.0, False)])
def test_a_first_find_on_a_short_arc_of_rim_is_followed_but_not_sized(scene, arc_deg, partial):
    _, _, detector, _ = scene
    found = detector._fit(rim(arc_deg), expected_radius_px=None, size_px=10.0)
    assert found is not None and found.partial_rim is partial and not found.radius_held


def test_a_ball_in_open_view_is_not_a_partial_find(scene):
    camera, renderer, detector, _ = scene
    found = detector.acquire(renderer.render(np.array([(0.5, -1.5, 0.6)])))
    assert found is not None and not found.partial_rim


def test_an_empty_frame_has_no_ball(scene):
    _, renderer, detector, _ = scene
    assert detector.acquire(renderer.render(OUT_OF_VIEW_M)) is None


@pytest.mark.parametrize("count", [1, 2, 3, 4, 5, 8, 9, 15, 16, 17])
@pytest.mark.parametrize("shape", [(70, 9), (130, 6, 3)])
def test_the_background_median_is_numpys_median_bit_for_bit(count, shape):
    rng = np.random.default_rng(count)
    frames = [rng.integers(0, 256, shape, dtype=np.uint8) for _ in range(count)]
    frames[0][0] = 255  # ties with the network's white padding
    expected = np.median(np.stack(frames), axis=0).astype(np.uint8)
    assert np.array_equal(pixel_median(frames), expected)


@pytest.mark.parametrize("size", [1, 2, 3, 4, 7, 10, 1001])
@pytest.mark.parametrize("levels", [2, 256])
def test_the_noise_median_is_numpys_median(size, levels):
    values = np.random.default_rng(size * levels).integers(0, levels, size, dtype=np.uint8)
    assert level_median(values) == float(np.median(values))


def test_a_ball_smeared_by_the_shutter_is_read_at_mid_exposure_when_the_smear_is_known(scene):
    """A ball moving 2 cm while the shutter is open (40 m/s, 0.5 ms) smears its edges into ramps
    about 2 px wide: read on the ramp, its trailing edge lags by half a pixel."""
    camera, renderer, detector, line = scene
    middle = np.array([0.5, -0.3, 0.6])
    exposure = np.array([middle + (0.0, offset, 0.0) for offset in np.linspace(-0.01, 0.01, 9)])
    frame = renderer.render(exposure)
    centre, radius = true_circle(camera, middle)
    start, end = camera.project(exposure[[0, -1]])
    true_margin = line.signed_distance_px(tuple(centre)) - radius

    def margin_error(smear_px):
        found = detector.measure(frame, tuple(centre), None, search_px=radius, rough_radius_px=radius,
                                 smear_px=smear_px)
        return line.signed_distance_px((found.x_px, found.y_px)) - found.radius_px - true_margin

    assert margin_error(None) < -0.3
    assert abs(margin_error(tuple(end - start))) < 0.2
