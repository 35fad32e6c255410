"""The test corpus of bench/bench_accuracy.py: goal-line cases modelled on FIFA's GLT test protocol.

Each case is one timeline incident at the north goal, in goal-frame metres (origin on the ground
at the goal-side edge of the goal line midway between the posts; x along the line, y into the
goal, z up; the ball is wholly over when its centre has y > 0.11, margin = y - 0.11):

- sled: the ball pushed slowly to an exact margin, held, pulled back out (truth: goal iff margin > 0);
- shot: shots at 30-130 km/h from about 11 m, low and high across the mouth (truth: goal);
- wall: the ball driven against a wall standing just behind the line, so that its deepest margin
  is a chosen value, and back out at 0.6 x the speed (truth: goal iff margin > 0);
- pitch: shots from random places 6-40 m out, up to 70 degrees off the goal's axis (truth: physics);
- occluded: shots with players between the camera and the ball (keeper diving across, defenders
  on the line).

The truth used for scoring is always MatchPlay.expected_calls; the intended outcome here only
shapes the corpus. Shots that must go in are aimed with the project's own physics (a few
trial flights), so drag and the ball's drop are those of the simulator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from camera_sim import laws
from camera_sim.physics.simulate import Trajectory, play
from camera_sim.scenario.schema import Geometry, Shot

GEOMETRY = Geometry()
BALL_RADIUS_M = GEOMETRY.ball_diameter_m / 2
GOAL = "north"
GRAVITY = laws.GRAVITY_MPS2
KMH = 1 / 3.6

CLASSES = ("sled", "shot", "wall", "pitch", "occluded")
CLASS_TITLES = {
    "sled": "1 static sled",
    "shot": "2 dynamic shots",
    "wall": "3 impact wall",
    "pitch": "4 shots from the pitch",
    "occluded": "5 occluded shots",
}

# ---------------------------------------------------------------- class 1: sled

SLED_MARGINS_MM = (-30, -25, -20, -15, -10, -5, 5, 10, 15, 20, 25, 30)
SLED_POSITIONS_M = (tuple((x, 0.11) for x in (-3.0, -1.0, 1.0, 3.0))
                    + ((0.0, 1.0), (0.0, 2.0), (2.5, 2.0)))
"""(x, z) of the ball centre: across the mouth on the ground, and in the air below the bar (at
z = 2 and x = 0 the crossbar cuts the camera's view of the ball at the line)."""
SLED_START_Y_M = -0.13
"""Start: the ball's leading edge 2 cm short of the line (wholly in the field)."""
SLED_SPEED_MPS = 0.5
SLED_HOLD_S = 0.3
SLED_BACK_SPEED_MPS = 2.0
SLED_LEAD_S = 0.05
"""The ball stands at its start this long before the sled moves (the tracker finds it)."""
SLED_TAIL_S = 0.05

# ---------------------------------------------------------------- class 2: shots

SHOT_SPEEDS_KMH = (30, 50, 70, 90, 110, 130)
SHOT_DISTANCE_M = 11.0
SHOT_TARGETS = (
    ("low-left", -2.8, BALL_RADIUS_M),
    ("low-centre", -0.4, BALL_RADIUS_M),
    ("low-right", 2.8, BALL_RADIUS_M),
    ("high-left", -2.0, 1.9),
    ("high-right", 1.5, 2.1),
)
"""(name, x, z) where the ball's centre should cross the line; low ones roll along the grass."""
SHOT_AFTER_S = 0.3
"""A shot's incident lasts until this long after the ball's centre reaches the line."""
MAX_AIM_TRIALS = 4
AIM_TOLERANCE_M = 0.05

# ---------------------------------------------------------------- class 3: impact wall

WALL_SPEEDS_KMH = (30, 50, 70, 90, 110, 130)
WALL_MARGINS_MM = (-40, -20, -10, 10, 20, 40)
WALL_RUN_UP_M = 3.0
WALL_BACK_M = 2.0
WALL_BACK_SPEED_SHARE = 0.6
WALL_LEAD_S = 0.05
WALL_TAIL_S = 0.15
WALL_SETUPS = (("ground", -1.0, 0.11, 0.0), ("air", 1.2, 1.3, 25.0))
"""(name, x, z, approach angle in degrees from straight on) of the contact point."""

# ---------------------------------------------------------------- class 4: shots from the pitch

PITCH_DISTANCE_M = (6.0, 40.0)
PITCH_MAX_ANGLE_DEG = 70.0
PITCH_SPEED_MPS = (12.0, 30.0)
PITCH_AIM_X_M = 3.6
"""Up to the inside edge of a post (3.66 m): some shots hit the post or the bar."""
PITCH_AIM_Z_M = (0.3, 2.4)
PITCH_GROUND_SHARE = 0.3
PITCH_AFTER_S = 0.4
"""A pitch shot's incident lasts until this long after part of the ball first reaches the line."""
PITCH_MAX_S = 6.0

# ---------------------------------------------------------------- class 5: occluded shots

OCCLUDED_SPEEDS_KMH = (50, 110)
OCCLUDED_DISTANCE_M = 8.0
"""Closer than the plain shots: players are drawn in every frame of the incident, which is slow."""
OCCLUDED_TARGETS = (("low-left", -2.0, BALL_RADIUS_M), ("high-centre", 0.5, 1.6))
"""Players make frames slow to render (a large box drawn per exposure sample): few cases."""
OCCLUDERS = ("keeper", "line-defenders", "running-defender")
KEEPER_KIT = (30, 200, 230)
DEFENDER_KIT = (40, 40, 190)


@dataclass(frozen=True)
class Case:
    """One test case: a timeline incident (without its `at`) and what it is meant to test."""

    case_id: str
    test_class: str
    incident: dict
    """The timeline entry as a scenario file holds it, `at` left out."""
    duration_s: float
    target_margin_m: float | None = None
    """Sled and wall: the deepest margin the waypoints put the ball at (checked against the truth)."""
    speed_mps: float | None = None
    """Nominal ball speed at the line."""
    players: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class CorpusSize:
    """How many cases of each class (the quick run takes a few of each)."""

    name: str
    sled_margins_mm: tuple[int, ...]
    sled_positions_m: tuple[tuple[float, float], ...]
    shot_speeds_kmh: tuple[int, ...]
    shot_targets: tuple
    wall_speeds_kmh: tuple[int, ...]
    wall_margins_mm: tuple[int, ...]
    wall_setups: tuple
    pitch_count: int
    occluded_speeds_kmh: tuple[int, ...]
    occluded_targets: tuple
    occluders: tuple[str, ...]


FULL = CorpusSize("full", SLED_MARGINS_MM, SLED_POSITIONS_M, SHOT_SPEEDS_KMH, SHOT_TARGETS, WALL_SPEEDS_KMH,
                  WALL_MARGINS_MM, WALL_SETUPS, 24, OCCLUDED_SPEEDS_KMH, OCCLUDED_TARGETS, OCCLUDERS)
QUICK = CorpusSize("quick", (-20, -5, 5, 20), ((0.0, 0.11), (2.5, 2.0)), (110,), SHOT_TARGETS[2:4], (50, 110),
                   (-20, 20), WALL_SETUPS[:1], 2, (80,), OCCLUDED_TARGETS[:1], OCCLUDERS[1:2])


# ---------------------------------------------------------------- builders


def _waypoints(points: list[tuple[float, tuple[float, float, float]]]) -> list[dict]:
    return [{"t_s": round(t, 6), "at_m": [round(c, 6) for c in p]} for t, p in points]


def sled_case(x: float, z: float, margin_mm: int) -> Case:
    """The ball pushed at 0.5 m/s from the field to `margin_mm`, held 0.3 s, pulled back out."""
    margin = margin_mm / 1000
    start = (x, SLED_START_Y_M, z)
    target = (x, round(BALL_RADIUS_M + margin, 6), z)
    t_in = SLED_LEAD_S + (target[1] - start[1]) / SLED_SPEED_MPS
    t_hold = t_in + SLED_HOLD_S
    t_out = t_hold + (target[1] - start[1]) / SLED_BACK_SPEED_MPS
    duration = round(t_out + SLED_TAIL_S, 4)
    where = "ground" if z < 0.5 else f"z{z:.1f}"
    case_id = f"sled-{where}-x{x:+.1f}-m{margin_mm:+03d}"
    incident = {"kind": "path", "goal": GOAL, "label": case_id, "duration_s": duration,
                "waypoints": _waypoints([(SLED_LEAD_S, start), (t_in, target), (t_hold, target), (t_out, start)])}
    return Case(case_id, "sled", incident, duration, target_margin_m=margin, speed_mps=SLED_SPEED_MPS)


def wall_case(speed_kmh: int, margin_mm: int, setup: tuple) -> Case:
    """The ball driven at a wall just behind the line: deepest margin `margin_mm`, back out at 0.6 x speed."""
    name, x, z, angle_deg = setup
    speed = speed_kmh * KMH
    margin = margin_mm / 1000
    contact = np.array([x, round(BALL_RADIUS_M + margin, 6), z])
    angle = math.radians(angle_deg)
    inward = np.array([-math.sin(angle), math.cos(angle), 0.0])  # direction of travel, into the goal
    outward = np.array([-math.sin(angle), -math.cos(angle), 0.0])  # bounced off the wall
    start = contact - WALL_RUN_UP_M * inward
    end = contact + WALL_BACK_M * outward
    t_contact = WALL_LEAD_S + WALL_RUN_UP_M / speed
    t_end = t_contact + WALL_BACK_M / (WALL_BACK_SPEED_SHARE * speed)
    duration = round(t_end + WALL_TAIL_S, 4)
    case_id = f"wall-{name}-{speed_kmh:03d}kmh-m{margin_mm:+03d}"
    incident = {"kind": "path", "goal": GOAL, "label": case_id, "duration_s": duration,
                "waypoints": _waypoints([(WALL_LEAD_S, tuple(start)), (t_contact, tuple(contact)),
                                         (t_end, tuple(end))])}
    return Case(case_id, "wall", incident, duration, target_margin_m=margin, speed_mps=speed)


def _shot_incident(case_id: str, from_m, speed: float, aim_m, duration: float, players: list[dict] | None = None
                   ) -> dict:
    incident = {"kind": "shot", "goal": GOAL, "label": case_id, "from_m": [round(c, 4) for c in from_m],
                "speed_mps": round(speed, 4), "aim_m": [round(c, 4) for c in aim_m], "duration_s": round(duration, 4)}
    if players:
        incident["players"] = players
    return incident


def _fly(from_m, speed: float, aim_m, duration: float) -> Trajectory:
    shot = Shot.model_validate({"kind": "shot", "at": 0, "goal": GOAL, "from_m": list(from_m), "speed_mps": speed,
                                "aim_m": list(aim_m), "duration_s": duration})
    return play(shot, GEOMETRY)


def _first_time(trajectory: Trajectory, y_m: float) -> tuple[float, np.ndarray] | None:
    """When the ball's centre first reaches y = y_m (interpolated), with its position then."""
    y = trajectory.positions_m[:, 1]
    hits = np.flatnonzero((y[:-1] < y_m) & (y[1:] >= y_m))
    if y[0] >= y_m:
        return float(trajectory.times_s[0]), trajectory.positions_m[0]
    if not len(hits):
        return None
    i = int(hits[0])
    fraction = (y_m - y[i]) / (y[i + 1] - y[i])
    t = trajectory.times_s[i] + fraction * (trajectory.times_s[i + 1] - trajectory.times_s[i])
    return float(t), trajectory.positions_m[i] + fraction * (trajectory.positions_m[i + 1] - trajectory.positions_m[i])


def vacuum_elevation(distance_m: float, rise_m: float, speed: float) -> float | None:
    """Low launch angle (rad) that carries a ball `distance_m` away and `rise_m` up in vacuum, if any."""
    v2 = speed * speed
    root = v2 * v2 - GRAVITY * (GRAVITY * distance_m**2 + 2 * rise_m * v2)
    if root < 0:
        return None
    return math.atan((v2 - math.sqrt(root)) / (GRAVITY * distance_m))


def aimed_shot(from_m: tuple[float, float, float], target_x: float, target_z: float, speed: float
               ) -> tuple[tuple[float, float, float], float] | None:
    """Aim point and time to the line of a shot whose centre crosses the line at (target_x, target_z).

    Low targets (on the grass) are rolled along the ground; high ones are lofted against gravity
    and drag by a few trial flights of the simulator. None when the ball cannot get there.
    """
    horizontal = math.hypot(target_x - from_m[0], from_m[1])
    if target_z <= BALL_RADIUS_M + 1e-9:
        aim = (target_x, 0.0, BALL_RADIUS_M)
        crossed = _first_time(_fly(from_m, speed, aim, 3 * horizontal / speed + 1.0), 0.0)
        return None if crossed is None else (aim, crossed[0])
    elevation = vacuum_elevation(horizontal, target_z - from_m[2], speed)
    if elevation is None:
        return None
    aim_z = from_m[2] + horizontal * math.tan(elevation)
    tried: list[tuple[float, float]] = []
    for _ in range(MAX_AIM_TRIALS):
        aim = (target_x, 0.0, aim_z)
        crossed = _first_time(_fly(from_m, speed, aim, 2 * horizontal / speed + 0.5), 0.0)
        if crossed is None:
            return None
        error = target_z - float(crossed[1][2])
        if abs(error) < AIM_TOLERANCE_M:
            return aim, crossed[0]
        tried.append((aim_z, error))
        if len(tried) >= 2 and tried[-1][1] != tried[-2][1]:  # secant on the aim's height
            (z0, e0), (z1, e1) = tried[-2], tried[-1]
            aim_z = z1 - e1 * (z1 - z0) / (e1 - e0)
        else:
            aim_z += error
    return (target_x, 0.0, aim_z), crossed[0]


def shot_case(speed_kmh: int, target: tuple) -> Case | None:
    """A shot from about 11 m (closer when the speed cannot carry it there in the air)."""
    name, x, z = target
    speed = speed_kmh * KMH
    distance = SHOT_DISTANCE_M
    if z > BALL_RADIUS_M and speed * speed / GRAVITY < 1.3 * distance:  # no lob of 30 km/h reaches 11 m
        distance = round(0.6 * speed * speed / GRAVITY, 1)
    from_m = (0.3 * x + 0.5, -distance, BALL_RADIUS_M)
    aimed = aimed_shot(from_m, x, z, speed)
    if aimed is None:
        return None
    aim, t_line = aimed
    duration = t_line + SHOT_AFTER_S
    case_id = f"shot-{speed_kmh:03d}kmh-{name}"
    return Case(case_id, "shot", _shot_incident(case_id, from_m, speed, aim, duration), round(duration, 4),
                speed_mps=speed)


def _player(role: str, kit, radius: float, height: float, points: list[tuple[float, tuple[float, float, float]]]
            ) -> dict:
    return {"role": role, "kit_bgr": list(kit), "radius_m": radius, "height_m": height,
            "waypoints": _waypoints([(max(0.0, t), p) for t, p in points])}


def occluders(kind: str, x: float, t_line: float) -> list[dict]:
    """Players between the camera (on the +x side, in the line's plane) and a ball crossing at x at t_line."""
    if kind == "keeper":  # dives across the ball's path towards the camera's side, just behind the line
        start = max(0.0, t_line - 0.45)
        return [_player("goalkeeper", KEEPER_KIT, 0.3, 1.9,
                        [(start, (x - 1.2, 0.25, 0.0)), (t_line + 0.05, (x + 0.9, 0.25, 0.0))])]
    if kind == "line-defenders":  # two defenders standing on the line between the ball and the camera
        return [_player("defender", DEFENDER_KIT, 0.22, 1.85, [(0.0, (x + 1.4, -0.1, 0.0))]),
                _player("defender", DEFENDER_KIT, 0.22, 1.8, [(0.0, (x + 3.0, 0.15, 0.0))])]
    if kind == "running-defender":  # runs along the line and arrives between the camera and the ball
        start = max(0.0, t_line - 0.6)
        return [_player("defender", DEFENDER_KIT, 0.22, 1.85,
                        [(start, (x + 4.5, -0.35, 0.0)), (t_line, (x + 0.9, -0.05, 0.0))])]
    raise ValueError(kind)


def occluded_case(speed_kmh: int, target: tuple, kind: str) -> Case | None:
    name, x, z = target
    speed = speed_kmh * KMH
    from_m = (0.3 * x - 0.5, -OCCLUDED_DISTANCE_M, BALL_RADIUS_M)
    aimed = aimed_shot(from_m, x, z, speed)
    if aimed is None:
        return None
    aim, t_line = aimed
    players = occluders(kind, x, t_line)
    duration = t_line + SHOT_AFTER_S
    case_id = f"occl-{kind}-{speed_kmh:03d}kmh-{name}"
    return Case(case_id, "occluded", _shot_incident(case_id, from_m, speed, aim, duration, players),
                round(duration, 4), speed_mps=speed, players=players)


def pitch_cases(count: int, seed: int) -> list[Case]:
    """Shots from random places 6-40 m out, up to 70 degrees off axis, 12-30 m/s, aimed inside the mouth.

    Shots that never reach the line within PITCH_MAX_S (too slow, too far) are drawn again:
    they test nothing at the line.
    """
    rng = np.random.default_rng(seed)
    cases = []
    while len(cases) < count:
        distance = rng.uniform(*PITCH_DISTANCE_M)
        angle = math.radians(rng.uniform(-PITCH_MAX_ANGLE_DEG, PITCH_MAX_ANGLE_DEG))
        speed = rng.uniform(*PITCH_SPEED_MPS)
        target_x = rng.uniform(-PITCH_AIM_X_M, PITCH_AIM_X_M)
        target_z = rng.uniform(*PITCH_AIM_Z_M)
        ground = rng.random() < PITCH_GROUND_SHARE
        from_m = (distance * math.sin(angle), -distance * math.cos(angle), BALL_RADIUS_M)
        horizontal = math.hypot(target_x - from_m[0], from_m[1])
        elevation = None if ground else vacuum_elevation(horizontal, target_z - BALL_RADIUS_M, speed)
        if elevation is None:  # on the grass (asked for, or no flight reaches that high)
            aim = (target_x, 0.0, BALL_RADIUS_M)
        else:
            aim = (target_x, 0.0, BALL_RADIUS_M + horizontal * math.tan(elevation))
        flight = _fly(from_m, speed, aim, min(PITCH_MAX_S, 2.5 * horizontal / speed + 0.5))
        touched = _first_time(flight, -BALL_RADIUS_M)  # the leading edge reaches the line
        if touched is None:
            continue
        duration = min(PITCH_MAX_S, touched[0] + PITCH_AFTER_S)
        case_id = f"pitch-{len(cases):02d}-{distance:.0f}m-{math.degrees(angle):+.0f}deg-{speed:.0f}mps"
        cases.append(Case(case_id, "pitch", _shot_incident(case_id, from_m, speed, aim, duration),
                          round(duration, 4), speed_mps=speed))
    return cases


def build_corpus(size: CorpusSize, classes: tuple[str, ...] = CLASSES, seed: int = 2026) -> list[Case]:
    """Every case of the chosen classes, in a fixed order."""
    cases: list[Case] = []
    if "sled" in classes:
        cases += [sled_case(x, z, m) for x, z in size.sled_positions_m for m in size.sled_margins_mm]
    if "shot" in classes:
        cases += [c for c in (shot_case(s, t) for s in size.shot_speeds_kmh for t in size.shot_targets) if c]
    if "wall" in classes:
        cases += [wall_case(s, m, w) for w in size.wall_setups for s in size.wall_speeds_kmh
                  for m in size.wall_margins_mm]
    if "pitch" in classes:
        cases += pitch_cases(size.pitch_count, seed)
    if "occluded" in classes:
        cases += [c for c in (occluded_case(s, t, k) for k in size.occluders for s in size.occluded_speeds_kmh
                              for t in size.occluded_targets) if c]
    return cases


# ---------------------------------------------------------------- the scenario


RESOLUTIONS = {"720p": (1280, 720), "1080p": (1920, 1080)}
FRAME_RATES = (25, 50, 100, 250, 500)
CAMERA_DEFAULTS = {"goal": GOAL, "side": "right", "distance_m": 16.0, "height_m": 9.0}
FIRST_AT_S = 1.0
GAP_S = 1.0
"""Each incident starts this long after the previous one ends (cameras record nothing in between)."""


def camera_id(fps: int, resolution: str) -> str:
    return f"gl{fps}-{resolution}"


def scenario_document(cases: list[Case], configs: list[tuple[int, str]], seed: int = 0) -> dict:
    """One scenario: every case as consecutive incidents at the north goal, one camera per configuration.

    All cameras watch the same incidents, so the physics is played once; each camera ray-casts its
    own scene and learns its own background.
    """
    timeline, at = [], FIRST_AT_S
    for case in cases:
        timeline.append({"at": round(at, 4), **case.incident})
        at += case.duration_s + GAP_S
    cameras = [{"id": camera_id(fps, res), "fps": float(fps), "resolution_px": list(RESOLUTIONS[res]),
                **CAMERA_DEFAULTS} for fps, res in configs]
    return {"name": "accuracy corpus", "description": "bench/bench_accuracy.py", "seed": seed,
            "match": {"id": "accuracy", "home": "Sled", "away": "Wall", "kick_off": "2026-01-01T15:00:00Z"},
            "cameras": cameras, "timeline": timeline}
