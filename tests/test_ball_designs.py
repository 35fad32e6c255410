"""The renderer's variety: ball designs that turn with the ball, the grass and paint, a keeper of any colour.

Frames are rendered small (320x240) from a scenario dict, one camera on the north goal zoomed on
the ball where it matters; the checks read the pixels of the ball's disc or of the ground.
"""

from __future__ import annotations

import typing
from pathlib import Path

import numpy as np
import pytest
import yaml

from camera_sim.camera.render import BALL_DESIGNS
from camera_sim.errors import InputError
from camera_sim.matchplay import MatchPlay
from camera_sim.physics.simulate import Trajectory
from camera_sim.physics.turning import turning_of
from camera_sim.scenario.loader import load_scenario
from camera_sim.scenario.schema import BallDesign, Scenario
from camera_sim.sources.simulated import SimulatedCamera

BALL_RADIUS_M = 0.11
RESOLUTION = (320, 240)
FPS = 250
BALL_SPOT_M = (0.5, -0.4, BALL_RADIUS_M)
"""Where the ball lies in the still-ball tests: on the grass, short of the line, clear of the posts."""
CLOSE_UP = {"look_at_m": [0.5, -0.2, BALL_RADIUS_M], "fov_deg": 5.0, "distance_m": 8.0, "height_m": 2.0}
"""A camera zoomed on the ball's spot: its disc is some 40 px across."""
DISC_SHARE = 0.8
"""Pixels within this share of the disc's radius are the ball's (its anti-aliased rim left out)."""
DARK_LEVEL = 90
WHITE_LEVEL = 180
"""Grey levels of a dark mark and of white cover in the sun (the shaded side of the ball is darker:
the ambient light is 0.45 of the sun's)."""
GREY_MISMATCH = 8.0
"""Mean absolute difference (grey levels) above which two ball pictures are different textures."""


def scenario(timeline: list[dict], camera: dict | None = None, **sections) -> Scenario:
    """A one-camera scenario (north goal, 320x240, 250 frames/s) with extra top-level sections."""
    return Scenario.model_validate({
        "seed": 3,
        "match": {"id": "designs", "home": "Home", "away": "Away", "kick_off": "2026-11-27T15:00:00Z"},
        "cameras": [{"id": "gl", "goal": "north", "fps": FPS, "resolution_px": list(RESOLUTION)} | (camera or {})],
        "timeline": timeline,
        **sections,
    })


def still_ball(length_s: float = 1.0) -> dict:
    """The ball lying at BALL_SPOT_M for the whole incident."""
    return {"at": 1.0, "kind": "path", "goal": "north",
            "waypoints": [{"t_s": 0.0, "at_m": list(BALL_SPOT_M)}, {"t_s": length_s, "at_m": list(BALL_SPOT_M)}]}


def spinning_ball(spin_radps: float) -> dict:
    """A ball set down at BALL_SPOT_M (it stops at once) spinning about the vertical."""
    aim = [BALL_SPOT_M[0], BALL_SPOT_M[1] + 1.0, BALL_RADIUS_M]
    return {"at": 1.0, "kind": "shot", "goal": "north", "from_m": list(BALL_SPOT_M), "aim_m": aim,
            "speed_mps": 0.001, "spin_radps": [0.0, 0.0, spin_radps], "duration_s": 1.0}


def camera_of(scene: Scenario) -> SimulatedCamera:
    return MatchPlay.of(scene).cameras[0]


def frame(camera: SimulatedCamera, index: int) -> np.ndarray:
    """Frame `index` with one fixed noise bank, so two frames differ only by what they show."""
    return camera.renderer.render(camera.content(index), noise_bank=0)


def disc(camera: SimulatedCamera, index: int, picture: np.ndarray) -> np.ndarray:
    """(N, 3) BGR pixels inside the ball's disc in frame `index`."""
    centre_m = camera.segments[0].trajectory.position_at(index / camera.fps)
    (u, v), = camera.pinhole.project(centre_m[None])
    depth = float((centre_m - camera.pinhole.centre_m) @ camera.pinhole.R[2])
    radius_px = camera.pinhole.K[0, 0] * BALL_RADIUS_M / depth
    rows, cols = np.mgrid[:picture.shape[0], :picture.shape[1]]
    inside = np.hypot(cols - u, rows - v) < DISC_SHARE * radius_px
    return picture[inside].astype(float)


def design_disc(design: str) -> np.ndarray:
    camera = camera_of(scenario([still_ball()], CLOSE_UP, ball={"design": design}))
    return disc(camera, 10, frame(camera, 10))


# --- ball designs ------------------------------------------------------------------------------


def test_every_design_the_schema_allows_has_a_pattern():
    assert set(typing.get_args(BallDesign)) == set(BALL_DESIGNS)


def test_classic_32_shows_black_pentagons_on_white():
    grey = design_disc("classic_32").mean(axis=1)
    assert (grey < DARK_LEVEL).mean() > 0.1
    assert (grey > WHITE_LEVEL).mean() > 0.1


def test_modern_multicolour_shows_coloured_panels_on_white():
    b, g, r = design_disc("modern_multicolour").T
    assert ((r - b > 80) & (r > 120)).any(), "no red or gold panel"
    assert ((b - r > 60) & (b > 80)).any(), "no blue panel"
    assert (np.minimum(np.minimum(b, g), r) > WHITE_LEVEL).mean() > 0.1


def test_orange_winter_is_orange():
    b, g, r = design_disc("orange_winter").mean(axis=0)
    assert r > g + 40 and g > b + 40


def test_yellow_is_yellow_with_dark_marks():
    pixels = design_disc("yellow")
    b, g, r = pixels.mean(axis=0)
    assert r > 120 and g > 120 and b < 60
    assert (pixels.mean(axis=1) < DARK_LEVEL).any()


def test_plain_white_renders_pixel_for_pixel_as_without_the_new_sections():
    incident = [still_ball()]
    without = camera_of(scenario(incident))
    spelt_out = camera_of(scenario(incident, ball={"design": "plain_white"}, pitch={}))
    for index in (0, 100, 200):
        assert np.array_equal(frame(without, index), frame(spelt_out, index))


def test_a_spinning_ball_turns_its_design_where_it_lies():
    camera = camera_of(scenario([spinning_ball(20.0)], CLOSE_UP, ball={"design": "classic_32"}))
    first, later = 50, 60  # 40 ms apart: 0.8 rad about the vertical
    centres = camera.segments[0].trajectory.position_at(np.array([first, later]) / FPS)
    assert np.linalg.norm(centres[1] - centres[0]) < 1e-4
    change = np.abs(disc(camera, first, frame(camera, first)) - disc(camera, later, frame(camera, later)))
    assert change.mean() > GREY_MISMATCH


def test_a_ball_without_spin_shows_the_same_design_frame_after_frame():
    camera = camera_of(scenario([spinning_ball(0.0)], CLOSE_UP, ball={"design": "classic_32"}))
    assert np.array_equal(frame(camera, 50), frame(camera, 60))


def test_a_ball_rolling_into_the_goal_turns_its_top_forward():
    r = BALL_RADIUS_M
    quarter_turn_m = np.pi * r / 2
    rolled = Trajectory(np.array([0.0, 1.0]), np.array([[0.0, 0.0, r], [0.0, quarter_turn_m, r]]))
    top_then = turning_of(rolled, r).at(1.0) @ np.array([0.0, 0.0, 1.0])
    assert np.allclose(top_then, [0.0, 1.0, 0.0], atol=1e-9)


# --- the pitch ---------------------------------------------------------------------------------


def ground_points(camera: SimulatedCamera) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Goal-frame x and y where each pixel's ray meets the ground, and whether the ground is what it sees."""
    renderer = camera.renderer
    rays, centre = renderer.rays.astype(float), renderer.centre.astype(float)
    t = np.where(rays[..., 2] < -1e-9, -centre[2] / np.minimum(rays[..., 2], -1e-9), np.inf)
    seen = np.isfinite(t) & (np.abs(renderer.layers.solid_depth_m - t) < 1e-3 * t)
    return centre[0] + t * rays[..., 0], centre[1] + t * rays[..., 1], seen


def stripe_means(stripes: bool) -> tuple[float, float]:
    """Mean green of the grass in the first two mowing stripes from the goal line (no noise)."""
    camera = camera_of(scenario([still_ball()], conditions={"noise_sigma": 0.0}, pitch={"stripes": stripes}))
    picture = frame(camera, 0).astype(float)
    x, y, seen = ground_points(camera)
    clear = seen & (np.abs(x) < 8.0)  # inside the goal area's side lines
    near = clear & (y > -5.0) & (y < -0.5)
    far = clear & (y > -10.5) & (y < -6.0)
    return picture[near][:, 1].mean(), picture[far][:, 1].mean()


def test_grass_without_stripes_is_one_tone():
    near, far = stripe_means(stripes=False)
    assert abs(near - far) < 0.02 * near


def test_grass_with_stripes_changes_tone_from_stripe_to_stripe():
    near, far = stripe_means(stripes=True)
    assert abs(near - far) > 0.1 * near


def test_the_paint_tone_shows_on_the_lines():
    cream = (170, 225, 245)
    camera = camera_of(scenario([still_ball()], conditions={"noise_sigma": 0.0}, pitch={"paint_bgr": list(cream)}))
    x, y, seen = ground_points(camera)
    on_goal_area_line = seen & (y < -5.52) & (y > -5.6) & (np.abs(x) < 8.0)
    assert on_goal_area_line.sum() > 0
    assert np.allclose(frame(camera, 0)[on_goal_area_line], cream, atol=1)


def test_a_yellow_goalkeeper_renders_yellow():
    keeper = {"role": "goalkeeper", "kit_bgr": [30, 220, 240], "waypoints": [{"t_s": 0.0, "at_m": [0.0, -1.0, 0.0]}]}
    camera = camera_of(scenario([still_ball() | {"players": [keeper]}]))
    b, g, r = frame(camera, 0).reshape(-1, 3).astype(int).T
    assert ((r > 150) & (g > 150) & (b < 80)).sum() > 50


# --- bad values ---------------------------------------------------------------------------------


def scenario_file(tmp_path: Path, **sections) -> Path:
    document = {"match": {"id": "designs", "home": "Home", "away": "Away", "kick_off": "2026-11-27T15:00:00Z"},
                "cameras": [{"id": "gl", "goal": "north"}], "timeline": [still_ball()], **sections}
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


@pytest.mark.parametrize(("sections", "field"), [
    pytest.param({"ball": {"design": "striped"}}, "ball.design:", id="unknown-design"),
    pytest.param({"pitch": {"grass_bgr": [48, 300, 58]}}, "pitch.grass_bgr[1]:", id="grass-colour-over-255"),
    pytest.param({"pitch": {"paint_bgr": [-1, 236, 236]}}, "pitch.paint_bgr[0]:", id="paint-colour-below-0"),
])
def test_bad_looks_are_refused_naming_the_field(tmp_path, sections, field):
    path = scenario_file(tmp_path, **sections)
    with pytest.raises(InputError) as refused:
        load_scenario(path)
    assert refused.value.exit_status == 2
    assert str(path) in str(refused.value) and field in str(refused.value)
