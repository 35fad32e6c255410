"""Ball physics against closed forms and against itself at a finer step."""

from __future__ import annotations

import math

import numpy as np
import pytest

from camera_sim import laws
from camera_sim.physics.ball import GROUND_RESTITUTION, VACUUM, Air
from camera_sim.physics.simulate import play
from camera_sim.physics.truth import line_truth
from camera_sim.scenario.schema import Geometry, Path, Shot

GEOMETRY = Geometry()
RADIUS_M = GEOMETRY.ball_diameter_m / 2
MM = 1e-3


def shot(**fields) -> Shot:
    """A shot at the north goal; fields override the defaults."""
    values = dict(kind="shot", at=0, goal="north", from_m=(0.0, -20.0, RADIUS_M), speed_mps=10.0,
                  aim_m=(0.0, -10.0, RADIUS_M), duration_s=1.0)
    return Shot.model_validate(values | fields)


def test_flight_in_vacuum_is_a_parabola():
    speed, elevation = 15.0, math.radians(30)
    start = np.array([0.0, -30.0, 1.0])
    aim = start + np.array([0.0, math.cos(elevation), math.sin(elevation)])
    trajectory = play(shot(from_m=tuple(start), aim_m=tuple(aim), speed_mps=speed, duration_s=1.2), GEOMETRY, air=VACUUM)
    t = np.linspace(0.0, 1.2, 25)
    expected_y = start[1] + speed * math.cos(elevation) * t
    expected_z = start[2] + speed * math.sin(elevation) * t - laws.GRAVITY_MPS2 * t**2 / 2
    positions = trajectory.position_at(t)
    assert np.max(np.abs(positions[:, 1] - expected_y)) < 0.01 * MM
    assert np.max(np.abs(positions[:, 2] - expected_z)) < 0.01 * MM


def test_bounce_height_follows_the_restitution():
    drop_height_m = 2.0
    trajectory = play(shot(from_m=(0.0, -20.0, drop_height_m), aim_m=(0.0, -20.0, 0.0), speed_mps=1e-6,
                           duration_s=1.5), GEOMETRY, air=VACUUM)
    heights = trajectory.positions_m[:, 2]
    after_bounce = heights[np.argmin(heights):]
    expected_peak = RADIUS_M + GROUND_RESTITUTION**2 * (drop_height_m - RADIUS_M)
    assert after_bounce.max() == pytest.approx(expected_peak, abs=1 * MM)


def test_drag_slows_a_rising_ball_as_the_closed_form_says():
    air = Air(magnus_coefficient=0.0)
    v0 = 20.0
    trajectory = play(shot(from_m=(0.0, -20.0, 1.0), aim_m=(0.0, -20.0, 2.0), speed_mps=v0, duration_s=1.0), GEOMETRY,
                      air=air)
    k = 0.5 * air.density_kgpm3 * air.drag_coefficient * math.pi * RADIUS_M**2 / laws.BALL_MASS_KG
    terminal = math.sqrt(laws.GRAVITY_MPS2 / k)
    phase = math.atan(v0 / terminal)
    t = np.linspace(0.0, 1.0, 11)  # the ball is still rising at 1 s (apex near 1.6 s)
    expected = 1.0 + terminal**2 / laws.GRAVITY_MPS2 * np.log(np.cos(phase - laws.GRAVITY_MPS2 * t / terminal) / np.cos(phase))
    assert np.max(np.abs(trajectory.position_at(t)[:, 2] - expected)) < 0.01 * MM
    vacuum_height = 1.0 + v0 - laws.GRAVITY_MPS2 / 2
    assert expected[-1] < vacuum_height - 0.5  # drag matters at this speed: the check is not vacuous


def test_side_spin_bends_the_ball_towards_the_magnus_force():
    straight = play(shot(speed_mps=25.0, aim_m=(0.0, 0.0, 1.5)), GEOMETRY)
    curled = play(shot(speed_mps=25.0, aim_m=(0.0, 0.0, 1.5), spin_radps=(0.0, 0.0, 30.0)), GEOMETRY)
    # spin up (+z) x velocity (+y) points to -x
    assert curled.position_at(0.6)[0] < straight.position_at(0.6)[0] - 0.3


def test_the_net_stops_a_shot_inside_the_goal():
    trajectory = play(shot(from_m=(0.0, -11.0, RADIUS_M), speed_mps=28.0, aim_m=(1.0, 0.0, 1.0), duration_s=3.0), GEOMETRY)
    final = trajectory.positions_m[-1]
    assert 0.0 < final[1] < GEOMETRY.goal_depth_m
    assert abs(final[0]) < GEOMETRY.goal_width_m / 2
    assert np.linalg.norm(trajectory.positions_m[-1] - trajectory.positions_m[-20]) < 1 * MM  # at rest


def test_a_ball_hitting_the_post_square_on_comes_back_out():
    post_x = GEOMETRY.goal_width_m / 2 + GEOMETRY.line_width_m / 2
    trajectory = play(shot(from_m=(post_x, -8.0, 1.0), aim_m=(post_x, 0.0, 1.0), speed_mps=20.0, duration_s=1.2),
                      GEOMETRY, air=VACUUM)
    assert trajectory.positions_m[:, 1].max() < 0.0
    assert trajectory.positions_m[-1, 1] < -2.0


def test_positions_at_frame_times_do_not_depend_on_the_step_to_a_millimetre():
    bouncing = shot(from_m=(1.5, -11.0, RADIUS_M), speed_mps=24.0, aim_m=(0.0, 0.0, 3.32), spin_radps=(20.0, 0.0, 0.0),
                    duration_s=1.6)  # off the crossbar, bounces on the ground: contacts inside steps
    frame_times = np.arange(0.0, 1.6, 1 / 500)
    coarse = play(bouncing, GEOMETRY, step_s=0.0005).position_at(frame_times)
    fine = play(bouncing, GEOMETRY, step_s=0.0000625).position_at(frame_times)
    assert np.max(np.linalg.norm(coarse - fine, axis=1)) < 1 * MM


def test_truth_times_a_constant_speed_crossing_exactly():
    path = Path.model_validate(dict(kind="path", at=0, goal="north", waypoints=[
        {"t_s": 0.0, "at_m": (0.0, -1.0, RADIUS_M)}, {"t_s": 2.0, "at_m": (0.0, 1.0, RADIUS_M)}]))
    truth = line_truth(play(path, GEOMETRY), GEOMETRY)
    assert truth.expected == "goal"
    # the trailing edge reaches y = 0 when the centre is at y = r: t = (1 + r) / 1 m/s
    assert truth.crossings[0].time_s == pytest.approx(1.0 + RADIUS_M, abs=1e-9)
    assert truth.crossings[0].in_mouth


def test_truth_calls_a_ball_that_only_touches_the_line_no_goal():
    path = Path.model_validate(dict(kind="path", at=0, goal="north", waypoints=[
        {"t_s": 0.0, "at_m": (0.0, -1.0, RADIUS_M)}, {"t_s": 1.0, "at_m": (0.0, 0.05, RADIUS_M)},
        {"t_s": 2.0, "at_m": (0.0, -1.0, RADIUS_M)}]))
    truth = line_truth(play(path, GEOMETRY), GEOMETRY)
    assert truth.expected == "no_goal"
    assert truth.deepest_margin_m == pytest.approx(0.05 - RADIUS_M, abs=1e-9)


def test_truth_calls_a_crossing_wide_of_the_post_a_no_goal_outside_the_mouth():
    path = Path.model_validate(dict(kind="path", at=0, goal="north", waypoints=[
        {"t_s": 0.0, "at_m": (5.0, -1.0, RADIUS_M)}, {"t_s": 1.0, "at_m": (5.0, 1.0, RADIUS_M)}]))
    truth = line_truth(play(path, GEOMETRY), GEOMETRY)
    assert truth.expected == "no_goal" and truth.outside_mouth and not truth.goal


def test_a_path_keeps_its_waypoint_times_when_the_first_is_later_than_zero():
    path = Path.model_validate(dict(kind="path", at=0, goal="north", duration_s=3.0, waypoints=[
        {"t_s": 1.0, "at_m": (0.0, -1.0, RADIUS_M)}, {"t_s": 2.0, "at_m": (0.0, 1.0, RADIUS_M)}]))
    trajectory = play(path, GEOMETRY)
    assert trajectory.position_at(0.5)[1] == pytest.approx(-1.0)  # waits at the first waypoint
    assert trajectory.position_at(1.5)[1] == pytest.approx(0.0)
    assert line_truth(trajectory, GEOMETRY).crossings[0].time_s == pytest.approx(1.5 + RADIUS_M / 2)
