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
  on the line);
- outside: the whole ball over the line's extension but wide of a post, over the bar, or onto the
  net's roof (truth: no_goal, LineTruth.outside_mouth), and control goals 0.5 m inside (truth: goal);
- random: clips drawn from a seed the code is never tuned on, each its own scenario (ball design,
  grass, paint, line width, noise, JPEG, frame rate, resolution, exposure, players near the line)
  with 3-5 incidents: slow pushes, shots in, near misses, shots wide or over.

The truth used for scoring is always MatchPlay.expected_calls; the intended outcome here only
shapes the corpus. Shots that must go in are aimed with the project's own physics (a few
trial flights), so drag and the ball's drop are those of the simulator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from camera_sim import laws
from camera_sim.camera.pinhole import goal_line_camera
from camera_sim.physics.simulate import Trajectory, play
from camera_sim.physics.truth import line_truth
from camera_sim.scenario.schema import Camera, Geometry, Shot
from camera_sim.scenario.schema import Path as PathIncident

GEOMETRY = Geometry()
BALL_RADIUS_M = GEOMETRY.ball_diameter_m / 2
GOAL = "north"
GRAVITY = laws.GRAVITY_MPS2
KMH = 1 / 3.6

LINE_CLASSES = ("sled", "shot", "wall", "pitch", "occluded")
"""The FIFA-style classes: one scenario, every case at every configuration (targets 1 and 2)."""
CLASSES = (*LINE_CLASSES, "outside", "random")
CLASS_TITLES = {
    "sled": "1 static sled",
    "shot": "2 dynamic shots",
    "wall": "3 impact wall",
    "pitch": "4 shots from the pitch",
    "occluded": "5 occluded shots",
    "outside": "6 outside the mouth",
    "random": "7 random clips",
}

# ---------------------------------------------------------------- class 1: sled

SLED_MARGINS_MM = (-30, -25, -20, -15, -10, -5, 5, 10, 15, 20, 25, 30)
SLED_POSITIONS_M = (tuple((x, 0.11) for x in (-3.0, -1.0, 1.0, 3.0))
                    + ((0.0, 1.0), (0.0, 2.0), (2.5, 2.0)))
"""(x, z) of the ball centre: across the mouth on the ground, and in the air below the bar (at
z = 2 and x = 0 the crossbar cuts the camera's view of the ball at the line)."""
SLED_START_Y_M = -0.13
"""Start: the ball's leading edge 2 cm short of the line (wholly in the field)."""
SLED_MIN_PUSH_M = 0.15
"""A sled to a deep no-goal margin (the random class's -300 mm) starts at least this far short of it."""
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
    intended: str | None = None
    """Outside and random classes: the call the case is built for ("goal", "no_goal", "none"); the
    truth still decides (a drive may clip the bar); a path whose truth disagrees is a corpus bug."""
    kind: str = ""
    """Random class: which of RANDOM_KINDS the incident is."""


# ---------------------------------------------------------------- class 7: random clips (size)

RANDOM_CLIPS = 20
"""Clips of the full run: sized for about 3 minutes on 2 cores."""
RANDOM_QUICK_CLIPS = 2


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
    outside_quick: bool = False
    """Class 6: one case of each kind instead of all."""
    random_clips: int = RANDOM_CLIPS


FULL = CorpusSize("full", SLED_MARGINS_MM, SLED_POSITIONS_M, SHOT_SPEEDS_KMH, SHOT_TARGETS, WALL_SPEEDS_KMH,
                  WALL_MARGINS_MM, WALL_SETUPS, 24, OCCLUDED_SPEEDS_KMH, OCCLUDED_TARGETS, OCCLUDERS)
QUICK = CorpusSize("quick", (-20, -5, 5, 20), ((0.0, 0.11), (2.5, 2.0)), (110,), SHOT_TARGETS[2:4], (50, 110),
                   (-20, 20), WALL_SETUPS[:1], 2, (80,), OCCLUDED_TARGETS[:1], OCCLUDERS[1:2],
                   outside_quick=True, random_clips=RANDOM_QUICK_CLIPS)


# ---------------------------------------------------------------- builders


def _waypoints(points: list[tuple[float, tuple[float, float, float]]]) -> list[dict]:
    return [{"t_s": round(t, 6), "at_m": [round(c, 6) for c in p]} for t, p in points]


def sled_case(x: float, z: float, margin_mm: int, speed_mps: float = SLED_SPEED_MPS) -> Case:
    """The ball pushed at `speed_mps` (0.5 m/s) from the field to `margin_mm`, held 0.3 s, pulled back out."""
    margin = margin_mm / 1000
    target = (x, round(BALL_RADIUS_M + margin, 6), z)
    start = (x, min(SLED_START_Y_M, round(target[1] - SLED_MIN_PUSH_M, 6)), z)
    t_in = SLED_LEAD_S + (target[1] - start[1]) / speed_mps
    t_hold = t_in + SLED_HOLD_S
    t_out = t_hold + (target[1] - start[1]) / SLED_BACK_SPEED_MPS
    duration = round(t_out + SLED_TAIL_S, 4)
    where = "ground" if z < 0.5 else f"z{z:.1f}"
    case_id = f"sled-{where}-x{x:+.1f}-m{margin_mm:+03d}"
    incident = {"kind": "path", "goal": GOAL, "label": case_id, "duration_s": duration,
                "waypoints": _waypoints([(SLED_LEAD_S, start), (t_in, target), (t_hold, target), (t_out, start)])}
    return Case(case_id, "sled", incident, duration, target_margin_m=margin, speed_mps=speed_mps)


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


def _fly(from_m, speed: float, aim_m, duration: float, geometry: Geometry = GEOMETRY) -> Trajectory:
    shot = Shot.model_validate({"kind": "shot", "at": 0, "goal": GOAL, "from_m": list(from_m), "speed_mps": speed,
                                "aim_m": list(aim_m), "duration_s": duration})
    return play(shot, geometry)


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


def aimed_shot(from_m: tuple[float, float, float], target_x: float, target_z: float, speed: float,
               geometry: Geometry = GEOMETRY) -> tuple[tuple[float, float, float], float] | None:
    """Aim point and time to the line of a shot whose centre crosses the line at (target_x, target_z).

    Low targets (on the grass) are rolled along the ground; high ones are lofted against gravity
    and drag by a few trial flights of the simulator (in `geometry`: AIM_GEOMETRY keeps the posts
    and bar out of the way of shots meant to pass them). None when the ball cannot get there.
    """
    horizontal = math.hypot(target_x - from_m[0], from_m[1])
    if target_z <= BALL_RADIUS_M + 1e-9:
        aim = (target_x, 0.0, BALL_RADIUS_M)
        crossed = _first_time(_fly(from_m, speed, aim, 3 * horizontal / speed + 1.0, geometry), 0.0)
        return None if crossed is None else (aim, crossed[0])
    elevation = vacuum_elevation(horizontal, target_z - from_m[2], speed)
    if elevation is None:
        return None
    aim_z = from_m[2] + horizontal * math.tan(elevation)
    tried: list[tuple[float, float]] = []
    for _ in range(MAX_AIM_TRIALS):
        aim = (target_x, 0.0, aim_z)
        crossed = _first_time(_fly(from_m, speed, aim, 2 * horizontal / speed + 0.5, geometry), 0.0)
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


# ---------------------------------------------------------------- class 6: outside the mouth

POST_X_M = GEOMETRY.goal_width_m / 2
"""Inside edge of a post (Law 1: 7.32 m between them)."""
BAR_Z_M = GEOMETRY.goal_height_m
"""Lower edge of the crossbar (2.44 m)."""
OUTSIDE_POSTS = (("near", 1.0), ("far", -1.0))
"""The cameras stand on the right (+x): the near post is the right one."""
OUTSIDE_WIDE_M = (0.3, 0.7, 1.5)
"""How far the ball's centre crosses beyond a post's inside edge (0.3 m: its edge clears the 12 cm post by 7 cm)."""
OUTSIDE_OVER_M = (0.15, 0.3, 0.6)
"""How far the ball's centre crosses above the bar's lower edge (0.15 m: a sled's ball grazes the bar's top)."""
OUTSIDE_INSIDE_M = 0.5
"""Control goals cross this far inside a post or the bar: beyond the ~0.3 m where one camera's
placement (about 0.1 m standard error at 16-21 m) calls mouth_uncertain (README)."""
OUTSIDE_ROLL = (-0.6, 0.6, 1.0)
"""Rolled balls: from y = -0.6 m to +0.6 m at 1 m/s, on the grass."""
OUTSIDE_DRIVE_SPEEDS_MPS = (20.0, 30.0)
OUTSIDE_DRIVE_Z_M = 1.0
"""Drives cross the line this high: on the grass, 1.5 m wide of the near post is below the
picture's bottom edge (16 m along the line, 9 m up, 24 degrees); at 1 m it is in view."""
OUTSIDE_BAR_X_M = 0.5
OUTSIDE_BAR_PATH = (-2.0, 1.0, 7.5)
"""Over-the-bar sleds: from y = -2 m to +1 m at 7.5 m/s (a flat ball over the top)."""
OUTSIDE_BAR_SHOT_MPS = 25.0
OUTSIDE_LOB_PATHS = (-1.0, 2.0)
"""x of the lobs on a sled: down through (0, 3.2) onto the roof at (1.2, 2.6), as outside_the_mouth.yaml."""
AIM_GEOMETRY = Geometry(goal_width_m=12.0, goal_height_m=4.0)
"""Shots meant to pass a post or the bar are aimed in a goal this large (nothing to hit on the way);
they are then played in the real one, where a ball 0.15 m over the bar clips it."""
OUTSIDE_LOB_SHOTS = ((0.0, 2.9), (-2.5, 3.1))
"""(x, height at the line) of lobs played from 9 m at 55 degrees: they drop onto the net's roof."""
LOB_DISTANCE_M = 9.0
LOB_ELEVATION_DEG = 55.0
LOB_SPEED_MPS = (10.0, 20.0)
"""Bisection range of a lob's launch speed."""
LOB_TRIALS = 8
LOB_FLIGHT_S = 1.6
"""Trial flights last until just past the line (at 10-20 m/s and 55 degrees, 9 m take under 1.5 s)."""
OUTSIDE_LEAD_S = 0.05
OUTSIDE_TAIL_S = 0.3
OUTSIDE_QUICK = ("out-wide-near-0.3m-roll", "out-wide-far-0.7m-drive30", "out-over-0.30m-path", "out-lob-path-x-1.0",
                 "out-in-near-roll")
"""--quick: one of each kind."""


def _path_case(case_id: str, test_class: str, points: list[tuple[float, tuple[float, float, float]]],
               tail_s: float, intended: str, speed: float) -> Case:
    duration = round(points[-1][0] + tail_s, 4)
    incident = {"kind": "path", "goal": GOAL, "label": case_id, "duration_s": duration, "waypoints": _waypoints(points)}
    return Case(case_id, test_class, incident, duration, speed_mps=speed, intended=intended)


def rolled_case(case_id: str, x: float, z: float, intended: str) -> Case:
    """The ball rolled slowly over the line at (x, z) and on behind it."""
    y0, y1, speed = OUTSIDE_ROLL
    t1 = OUTSIDE_LEAD_S + (y1 - y0) / speed
    return _path_case(case_id, "outside", [(OUTSIDE_LEAD_S, (x, y0, z)), (t1, (x, y1, z))], OUTSIDE_TAIL_S,
                      intended, speed)


def bar_path_case(case_id: str, z: float, intended: str) -> Case:
    """A flat ball on a sled over (or under) the bar at height z."""
    y0, y1, speed = OUTSIDE_BAR_PATH
    t1 = OUTSIDE_LEAD_S + (y1 - y0) / speed
    return _path_case(case_id, "outside", [(OUTSIDE_LEAD_S, (OUTSIDE_BAR_X_M, y0, z)), (t1, (OUTSIDE_BAR_X_M, y1, z))],
                      OUTSIDE_TAIL_S, intended, speed)


def drive_case(case_id: str, x: float, z: float, speed: float, intended: str) -> Case | None:
    """A shot from 11 m whose centre crosses the line at (x, z), aimed with trial flights."""
    from_m = (0.3 * x + 0.5, -SHOT_DISTANCE_M, BALL_RADIUS_M)
    aimed = aimed_shot(from_m, x, z, speed, AIM_GEOMETRY if intended != "goal" else GEOMETRY)
    if aimed is None:
        return None
    aim, t_line = aimed
    duration = t_line + SHOT_AFTER_S
    return Case(case_id, "outside", _shot_incident(case_id, from_m, speed, aim, duration), round(duration, 4),
                speed_mps=speed, intended=intended)


def lob_case(case_id: str, x: float, z: float) -> Case | None:
    """A lob from 9 m at 55 degrees whose centre crosses the line about `z` high, falling onto the net's roof."""
    from_m = (x, -LOB_DISTANCE_M, BALL_RADIUS_M)
    rise = math.tan(math.radians(LOB_ELEVATION_DEG)) * LOB_DISTANCE_M
    aim = (x, 0.0, BALL_RADIUS_M + rise)
    low, high = LOB_SPEED_MPS
    crossed = None
    for _ in range(LOB_TRIALS):  # bisection on the speed: a faster lob crosses higher
        speed = (low + high) / 2
        crossed = _first_time(_fly(from_m, speed, aim, LOB_FLIGHT_S, AIM_GEOMETRY), 0.0)
        if crossed is None or crossed[1][2] < z:
            low = speed
        else:
            high = speed
    if crossed is None:
        return None
    duration = crossed[0] + 2 * OUTSIDE_TAIL_S
    return Case(case_id, "outside", _shot_incident(case_id, from_m, speed, aim, duration), round(duration, 4),
                speed_mps=speed, intended="no_goal")


def lob_path_case(case_id: str, x: float) -> Case:
    """A lob on a sled: down over the line above the bar onto the net's roof (outside_the_mouth.yaml)."""
    points = [(0.0, (x, -3.0, 4.2)), (0.5, (x, 0.0, 3.2)), (0.8, (x, 1.2, 2.6))]
    return _path_case(case_id, "outside", points, 2 * OUTSIDE_TAIL_S, "no_goal", 6.3)


def outside_cases(quick: bool = False) -> list[Case]:
    """Class 6: wide of each post (rolled, driven), over the bar (sled, shot), onto the net's roof,
    and control goals 0.5 m inside the posts and the bar."""
    cases: list[Case | None] = []
    for post, side in OUTSIDE_POSTS:
        for wide in OUTSIDE_WIDE_M:
            x = side * (POST_X_M + wide)
            cases.append(rolled_case(f"out-wide-{post}-{wide:.1f}m-roll", x, BALL_RADIUS_M, "no_goal"))
            cases += [drive_case(f"out-wide-{post}-{wide:.1f}m-drive{speed:.0f}", x, OUTSIDE_DRIVE_Z_M, speed,
                                 "no_goal") for speed in OUTSIDE_DRIVE_SPEEDS_MPS]
    for over in OUTSIDE_OVER_M:
        cases.append(bar_path_case(f"out-over-{over:.2f}m-path", BAR_Z_M + over, "no_goal"))
        cases.append(drive_case(f"out-over-{over:.2f}m-shot", OUTSIDE_BAR_X_M, BAR_Z_M + over, OUTSIDE_BAR_SHOT_MPS,
                                "no_goal"))
    cases += [lob_path_case(f"out-lob-path-x{x:+.1f}", x) for x in OUTSIDE_LOB_PATHS]
    cases += [lob_case(f"out-lob-shot-x{x:+.1f}", x, z) for x, z in OUTSIDE_LOB_SHOTS]
    for post, side in OUTSIDE_POSTS:  # controls: goals 0.5 m inside
        x = side * (POST_X_M - OUTSIDE_INSIDE_M)
        cases.append(rolled_case(f"out-in-{post}-roll", x, BALL_RADIUS_M, "goal"))
        cases.append(drive_case(f"out-in-{post}-drive25", x, OUTSIDE_DRIVE_Z_M, 25.0, "goal"))
    cases.append(bar_path_case("out-in-bar-path", BAR_Z_M - OUTSIDE_INSIDE_M, "goal"))
    cases.append(drive_case("out-in-bar-shot", OUTSIDE_BAR_X_M, BAR_Z_M - OUTSIDE_INSIDE_M, OUTSIDE_BAR_SHOT_MPS,
                            "goal"))
    cases = [c for c in cases if c is not None]
    return [c for c in cases if c.case_id in OUTSIDE_QUICK] if quick else cases


# ---------------------------------------------------------------- class 7: random clips

RANDOM_SEED = 7301
"""The random class's default seed: the code is never tuned on it (pass another with --random-seed)."""
RANDOM_INCIDENTS = (3, 5)
"""Incidents per clip, inclusive."""
BALL_DESIGNS = ("plain_white", "classic_32", "modern_multicolour", "orange_winter", "yellow")
RANDOM_FRAME_RATES = (25, 30, 50, 60, 250)
RANDOM_FPS_WEIGHTS = (0.2, 0.2, 0.2, 0.2, 0.2)
RANDOM_RESOLUTIONS = {"480p": (640, 480), "720p": (1280, 720), "1080p": (1920, 1080)}
EXPOSURE_SHARES = (1.0, 0.5, 0.2, 0.05)
"""Shutter time as a share of half the frame interval: 1/(2 fps) or shorter."""
GRASS_BGR_RANGES = ((30, 70), (95, 160), (35, 95))
"""Grass tones (B, G, R) around the default (48, 128, 58): dry to lush, dark to bright."""
STRIPES_SHARE = 0.6
STRIPE_WIDTH_M = (4.0, 8.0)
STRIPE_CONTRAST = (0.04, 0.15)
PAINT_TONES = ((232, 236, 236), (205, 228, 238), (215, 215, 215), (240, 240, 240))
"""White (the default), cream, greyish, bright white."""
LINE_WIDTH_M = (0.10, 0.12)
"""Law 1: lines up to 12 cm; posts and crossbar as wide as the line."""
NOISE_SIGMA = (1.0, 5.0)
JPEG_SHARE = 0.4
JPEG_QUALITY = (40, 95)
PLAYERS_SHARE = 0.3
"""Share of incidents with one or two players standing near the line (white socks and boots)."""
PLAYER_KITS = ((40, 40, 190), (190, 60, 30), (30, 30, 30), (240, 240, 240), (30, 200, 230), (60, 140, 60))
PLAYER_GAP_M = (0.8, 2.5)
"""Players stand this far from the ball's crossing point on the side away from the camera (-x):
seen behind or beside the ball, never between it and the camera (class 5 tests that)."""
PLAYER_Y_M = (-0.8, 0.4)
RANDOM_KINDS = ("push", "shot-in", "near-miss", "wide-over")
"""Slow pushes to +-20..300 mm, shots into the goal, near misses 5-40 cm short, shots wide or over."""
INSIDE_X_M = POST_X_M - OUTSIDE_INSIDE_M
INSIDE_Z_M = BAR_Z_M - OUTSIDE_INSIDE_M
"""Pushes and shots in cross 0.5 m or more inside the posts and the bar (nearer, one camera may
rightly call mouth_uncertain: README)."""
PUSH_MARGIN_MM = (20, 300)
PUSH_SPEED_MPS = (0.3, 1.0)
GROUND_SHARE = 0.4
SHOT_IN_KMH = (30.0, 110.0)
SHOT_FROM_M = (8.0, 20.0)
SHOT_MAX_ANGLE_DEG = 45.0
NEAR_MISS_MM = (50, 400)
"""How far short of wholly over (the margin) a near miss stays: 5-40 cm."""
NEAR_MISS_KMH = (10, 50)
NEAR_MISS_MAX_ANGLE_DEG = 40.0
WIDE_M = (0.3, 2.0)
OVER_M = (0.3, 1.0)
WIDE_OVER_KMH = (40.0, 110.0)
RANDOM_AFTER_S = 0.4
"""A shot's incident lasts until this long after its centre reaches the line."""
PICTURE_MARGIN_PX = 4
"""A drawn crossing point must show the whole ball this far inside the picture (else drawn again)."""
MAX_DRAWS = 50
QUICK_AIM_TRIALS = 2


@dataclass(frozen=True)
class Clip:
    """One random clip: a scenario of its own (one camera, its ball, pitch and conditions) and its cases."""

    clip_id: str
    fps: int
    resolution: str
    exposure_s: float
    design: str
    pitch: dict
    conditions: dict
    line_width_m: float
    seed: int
    cases: list[Case]

    @property
    def camera(self) -> dict:
        return {"id": self.clip_id, "fps": float(self.fps), "resolution_px": list(RANDOM_RESOLUTIONS[self.resolution]),
                "exposure_s": self.exposure_s, **CAMERA_DEFAULTS}

    @property
    def look(self) -> str:
        """One line on the drawn conditions."""
        p, c = self.pitch, self.conditions
        grass = f"grass {tuple(p['grass_bgr'])}" + (f" stripes {p['stripe_width_m']:.1f} m ±{p['stripe_contrast']:.2f}"
                                                   if p["stripes"] else " no stripes")
        jpeg = f", JPEG q{c['compression_quality']}" if "compression_quality" in c else ""
        return (f"{self.design}, {self.fps} fps {self.resolution}, exposure {self.exposure_s * 1000:.2f} ms, {grass}, "
                f"paint {tuple(p['paint_bgr'])}, line {self.line_width_m * 100:.1f} cm, "
                f"noise {c['noise_sigma']:.1f}{jpeg}")


def _call_of_margin(margin_mm: int) -> str:
    """The call a ball brought to `margin_mm` and back wants: a goal, a no-goal once part of it passed
    the line, else none (it never reached the line: 22 cm short or more)."""
    if margin_mm > 0:
        return "goal"
    return "no_goal" if margin_mm > -2 * BALL_RADIUS_M * 1000 else "none"


def crossing_fits(case: Case, intended: str, geometry: Geometry) -> tuple[float, float] | None:
    """Plays the case in the clip's own geometry: the (x, z) where the whole ball first crosses (or its
    deepest point) when the truth gives the intended call and a crossing lies 0.5 m or more inside the
    mouth (a goal) or 0.3 m or more outside it (wide or over); None otherwise (drawn again)."""
    incident = Shot.model_validate({"at": 0, **case.incident}) if case.incident["kind"] == "shot" else \
        PathIncident.model_validate({"at": 0, **case.incident})
    trajectory = play(incident, geometry)
    truth = line_truth(trajectory, geometry)
    if (truth.expected or "none") != intended:
        return None
    if not truth.crossings:
        x, _, z = trajectory.position_at(truth.deepest_time_s)
        return float(x), float(z)
    x, _, z = trajectory.position_at(truth.crossings[0].time_s)
    inside = min(geometry.goal_width_m / 2 - abs(x), geometry.goal_height_m - z)
    if intended == "goal" and inside < OUTSIDE_INSIDE_M - 1e-6:
        return None
    if intended == "no_goal" and -inside < WIDE_M[0] - 1e-6:
        return None
    return float(x), float(z)


def _uniform(rng: np.random.Generator, bounds) -> float:
    return float(rng.uniform(*bounds))


def _renamed(case: Case, case_id: str, kind: str, intended: str, players: list[dict]) -> Case:
    """A built case as one of the random class, under its own id, with players near the line."""
    incident = {**case.incident, "label": case_id}
    if players:
        incident["players"] = players
    return replace(case, case_id=case_id, test_class="random", incident=incident, intended=intended, players=players,
                   kind=kind)


def _in_picture(pinhole, point_m) -> bool:
    """The whole ball at `point_m` shows inside the picture."""
    centre = np.asarray(point_m, float)
    pixel = pinhole.project(centre[None])[0]
    depth = float((centre - pinhole.centre_m) @ pinhole.R[2])
    reach = pinhole.focal_px * BALL_RADIUS_M / depth + PICTURE_MARGIN_PX
    width, height = pinhole.width_px, pinhole.height_px
    return bool(depth > 0 and reach <= pixel[0] <= width - reach and reach <= pixel[1] <= height - reach)


def _ball_height(rng: np.random.Generator, top: float) -> float:
    return BALL_RADIUS_M if rng.random() < GROUND_SHARE else _uniform(rng, (0.3, top))


def _launch_from(rng: np.random.Generator, max_angle_deg: float) -> tuple[float, float, float]:
    distance = _uniform(rng, SHOT_FROM_M)
    angle = math.radians(rng.uniform(-max_angle_deg, max_angle_deg))
    return (distance * math.sin(angle), -distance * math.cos(angle), BALL_RADIUS_M)


def quick_aimed_shot(case_id: str, from_m, target_x: float, target_z: float, speed: float) -> Case | None:
    """A shot aimed at (target_x, target_z) on the line with at most two flights (vacuum aim, then
    one correction for drag): cheaper than aimed_shot, and the truth scores where it really crosses.
    None when it never reaches the line."""
    horizontal = math.hypot(target_x - from_m[0], from_m[1])
    elevation = None if target_z <= BALL_RADIUS_M else vacuum_elevation(horizontal, target_z - from_m[2], speed)
    if target_z > BALL_RADIUS_M and elevation is None:
        return None
    aim_z = BALL_RADIUS_M if elevation is None else from_m[2] + horizontal * math.tan(elevation)
    for trial in range(QUICK_AIM_TRIALS):
        aim = (target_x, 0.0, aim_z)
        crossed = _first_time(_fly(from_m, speed, aim, 2 * horizontal / speed + 0.5, AIM_GEOMETRY), 0.0)
        if crossed is None:
            return None
        error = target_z - float(crossed[1][2])
        if elevation is None or abs(error) < AIM_TOLERANCE_M:
            break
        aim_z += error
    duration = crossed[0] + RANDOM_AFTER_S
    return Case(case_id, "random", _shot_incident(case_id, from_m, speed, aim, duration), round(duration, 4),
                speed_mps=speed)


def random_incident(rng: np.random.Generator, case_id: str, pinhole) -> tuple[Case, str, str, tuple] | None:
    """One drawn incident: the case, its kind, the call it is built for, and the point (x, 0, z) it
    aims at on the line. None when the draw shows nothing (a shot that never arrives, out of view)."""
    kind = RANDOM_KINDS[int(rng.integers(len(RANDOM_KINDS)))]
    if kind == "push":
        sign = 1 if rng.random() < 0.5 else -1
        margin_mm = sign * int(rng.integers(PUSH_MARGIN_MM[0], PUSH_MARGIN_MM[1] + 1))
        x, z = _uniform(rng, (-INSIDE_X_M, INSIDE_X_M)), _ball_height(rng, INSIDE_Z_M)
        case = sled_case(round(x, 3), round(z, 3), margin_mm, round(_uniform(rng, PUSH_SPEED_MPS), 3))
        return case, "push", _call_of_margin(margin_mm), (x, 0.0, z)
    if kind == "near-miss":
        margin_mm = -int(rng.integers(NEAR_MISS_MM[0], NEAR_MISS_MM[1] + 1))
        x, z = _uniform(rng, (-INSIDE_X_M, INSIDE_X_M)), _ball_height(rng, INSIDE_Z_M)
        speed_kmh = int(rng.integers(NEAR_MISS_KMH[0], NEAR_MISS_KMH[1] + 1))
        angle = float(rng.uniform(-NEAR_MISS_MAX_ANGLE_DEG, NEAR_MISS_MAX_ANGLE_DEG))
        case = wall_case(speed_kmh, margin_mm, ("near-miss", round(x, 3), round(z, 3), round(angle, 1)))
        return case, "near-miss", _call_of_margin(margin_mm), (x, 0.0, z)
    if kind == "shot-in":
        x, z = _uniform(rng, (-INSIDE_X_M, INSIDE_X_M)), _ball_height(rng, INSIDE_Z_M)
        speed = _uniform(rng, SHOT_IN_KMH) * KMH
        case = quick_aimed_shot(case_id, _launch_from(rng, SHOT_MAX_ANGLE_DEG), x, z, speed)
        return None if case is None else (case, "shot-in", "goal", (x, 0.0, z))
    side = 1.0 if rng.random() < 0.5 else -1.0
    if rng.random() < 0.5:  # wide of a post
        x, z = side * (POST_X_M + _uniform(rng, WIDE_M)), _ball_height(rng, 2.0)
    else:  # over the bar
        x, z = _uniform(rng, (-POST_X_M, POST_X_M)), BAR_Z_M + _uniform(rng, OVER_M)
    if not _in_picture(pinhole, (x, 0.0, z)):
        return None
    speed = _uniform(rng, WIDE_OVER_KMH) * KMH
    case = quick_aimed_shot(case_id, _launch_from(rng, SHOT_MAX_ANGLE_DEG), x, z, speed)
    return None if case is None else (case, "wide-over", "no_goal", (x, 0.0, z))


def near_line_players(rng: np.random.Generator, x: float) -> list[dict]:
    """One or two players standing near the line beyond the ball's crossing point (seen from the camera)."""
    players = []
    for _ in range(int(rng.integers(1, 3))):
        kit = PLAYER_KITS[int(rng.integers(len(PLAYER_KITS)))]
        feet = (x - _uniform(rng, PLAYER_GAP_M), _uniform(rng, PLAYER_Y_M), 0.0)
        players.append(_player("defender", kit, 0.2, round(_uniform(rng, (1.75, 1.95)), 2), [(0.0, feet)]))
    return players


def random_look(rng: np.random.Generator) -> tuple[dict, dict]:
    """A drawn pitch (grass tone, stripes, paint) and conditions (noise, JPEG sometimes)."""
    stripes = bool(rng.random() < STRIPES_SHARE)
    pitch = {"grass_bgr": [int(rng.integers(lo, hi + 1)) for lo, hi in GRASS_BGR_RANGES], "stripes": stripes,
             "stripe_width_m": round(_uniform(rng, STRIPE_WIDTH_M), 2),
             "stripe_contrast": round(_uniform(rng, STRIPE_CONTRAST), 3),
             "paint_bgr": list(PAINT_TONES[int(rng.integers(len(PAINT_TONES)))])}
    conditions = {"noise_sigma": round(_uniform(rng, NOISE_SIGMA), 2)}
    if rng.random() < JPEG_SHARE:
        conditions["compression_quality"] = int(rng.integers(JPEG_QUALITY[0], JPEG_QUALITY[1] + 1))
    return pitch, conditions


def random_clip(rng: np.random.Generator, index: int) -> Clip:
    """One clip: its look and camera drawn first, then 3-5 incidents whose crossing the camera sees."""
    clip_id = f"rnd{index:02d}"
    design = BALL_DESIGNS[int(rng.integers(len(BALL_DESIGNS)))]
    fps = int(rng.choice(RANDOM_FRAME_RATES, p=RANDOM_FPS_WEIGHTS))
    resolution = list(RANDOM_RESOLUTIONS)[int(rng.integers(len(RANDOM_RESOLUTIONS)))]
    exposure = round(EXPOSURE_SHARES[int(rng.integers(len(EXPOSURE_SHARES)))] / (2 * fps), 6)
    pitch, conditions = random_look(rng)
    line_width = round(_uniform(rng, LINE_WIDTH_M), 3)
    seed = int(rng.integers(1, 2**31 - 1))
    geometry = Geometry(line_width_m=line_width)
    pinhole = goal_line_camera(Camera.model_validate(
        {"id": clip_id, "fps": fps, "resolution_px": list(RANDOM_RESOLUTIONS[resolution]), **CAMERA_DEFAULTS}))
    cases: list[Case] = []
    count = int(rng.integers(RANDOM_INCIDENTS[0], RANDOM_INCIDENTS[1] + 1))
    for _ in range(MAX_DRAWS):
        if len(cases) == count:
            break
        case_id = f"{clip_id}-{len(cases)}"
        drawn = random_incident(rng, case_id, pinhole)
        if drawn is None:
            continue
        case, kind, intended, _ = drawn
        point = crossing_fits(case, intended, geometry)
        if point is None or not _in_picture(pinhole, (point[0], 0.0, point[1])):
            continue
        players = near_line_players(rng, point[0]) if rng.random() < PLAYERS_SHARE else []
        case_id = f"{case_id}-{kind}-x{point[0]:+.2f}-z{point[1]:.2f}"
        if case.target_margin_m is not None:
            case_id += f"-m{case.target_margin_m * 1000:+.0f}"
        else:
            case_id += f"-{case.speed_mps / KMH:.0f}kmh"
        cases.append(_renamed(case, case_id, kind, intended, players))
    return Clip(clip_id, fps, resolution, exposure, design, pitch, conditions, line_width, seed, cases)


def random_clips(count: int, seed: int = RANDOM_SEED) -> list[Clip]:
    """`count` clips drawn from `seed` (the same seed draws the same clips)."""
    rng = np.random.default_rng(seed)
    return [random_clip(rng, index) for index in range(count)]


def clip_document(clip: Clip) -> dict:
    """A random clip as a scenario of its own: its cases back to back, its one camera."""
    document = scenario_document(clip.cases, [], clip.seed)
    document.update(name=f"accuracy corpus, random clip {clip.clip_id}", cameras=[clip.camera],
                    conditions=clip.conditions, ball={"design": clip.design}, pitch=clip.pitch,
                    geometry={"line_width_m": clip.line_width_m})
    return document


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
