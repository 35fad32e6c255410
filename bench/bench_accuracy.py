"""Accuracy of the goal-line decisions against the physics' truth, modelled on FIFA's GLT test protocol.

Run from the repository root:

    python bench/bench_accuracy.py                     # full report (about 10 minutes on 2 cores)
    python bench/bench_accuracy.py --quick             # smoke run: a few cases of each class
    python bench/bench_accuracy.py --fps 250 --resolution 1080p --class sled --csv out/acc.csv

Test classes (bench/accuracy_corpus.py): 1 static sled at exact margins, 2 dynamic shots at
30-130 km/h, 3 impact wall, 4 shots from all over the pitch, 5 occluded shots. Each frame rate
(25-500 frames/s) x resolution (720p, 1080p) is one camera watching every case, played as
consecutive incidents of one scenario, judged as `run` judges (background learnt from the
stream, CameraJudge over every frame, finish). Decisions are attributed to cases by frame range
and scored against MatchPlay.expected_calls, the truth.
"""

from __future__ import annotations

import argparse
import csv
import math
import multiprocessing
import os
import platform
import statistics
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
for _path in (REPO_ROOT, Path(__file__).resolve().parent):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

import accuracy_corpus as corpus  # noqa: E402
from camera_sim.decide.crossing import CONFIRM_FRAMES  # noqa: E402  (frames in a row the rule wants)
from camera_sim.detect.background import BACKGROUND_SAMPLES, learn_background  # noqa: E402
from camera_sim.matchplay import ExpectedCall, MatchPlay  # noqa: E402
from camera_sim.physics.simulate import Trajectory  # noqa: E402
from camera_sim.physics.truth import LineTruth  # noqa: E402
from camera_sim.pipeline import CameraJudge, LineDecision  # noqa: E402
from camera_sim.scenario.schema import Scenario  # noqa: E402
from camera_sim.truth_check import FRAME_TOLERANCE  # noqa: E402

MARGIN_BAND_M = 0.015
"""Target 1 covers the cases whose true (deepest) margin lies beyond +-15 mm."""
TARGET_MIN_FPS = 250
MARGIN_TARGET_CONFIG = (500, "1080p")
MARGIN_P95_TARGET_MM = 5.0
MARGIN_EXACT_M = 1e-9
"""Sled and wall margins must be what the waypoints say, to a nanometre."""
FINE_STEP_S = 0.00005
"""Time step for the truth's time-over figures (0.05 ms)."""
PLAYERS_DRAWN_DIFF = 40
"""Grey levels (noise sigma is 2) between a frame and the learnt background that mark a drawn player..."""
PLAYERS_DRAWN_PIXELS = 50
"""... on at least this many pixels inside the players' outline."""
BALL_CLEARANCE_PX = 60
"""Pixels round the ball left out of that test."""
PROGRESS_EVERY_S = 60.0
QUICK_FRAME_RATES = (25, 250, 500)
"""--quick runs these unless --fps says otherwise (each configuration ray-casts a scene of its own)."""
MAX_REASON_LINES = 30


def note(message: str) -> None:
    """Progress line on stderr (the report goes to stdout)."""
    print(f"[accuracy] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- judging one camera (a worker process)

_PLAY: MatchPlay | None = None
"""The played scenario; set before the worker pool forks, read by the workers."""


@dataclass(frozen=True)
class CameraRun:
    camera_id: str
    decisions: list[LineDecision]
    frames: int
    setup_s: float
    judge_s: float
    players_drawn: bool | None


def judge_camera(index: int) -> CameraRun:
    """Everything `run` does for one camera (commands.play_scenario), without the events."""
    cv2.setNumThreads(1)
    camera = _PLAY.cameras[index]
    label = f"{camera.fps:g} fps {camera.config.resolution_px[0]}x{camera.config.resolution_px[1]}"
    note(f"{label}: ray-casting the scene, learning the background ({camera.frame_count:,} frames to judge)")
    started = time.perf_counter()
    background = learn_background(camera.sample(BACKGROUND_SAMPLES))
    judge = CameraJudge(camera.camera_id, camera.calibration(_PLAY.ball_diameter_m), background, camera.fps)
    setup = time.perf_counter() - started
    started = last_note = time.perf_counter()
    decisions: list[LineDecision] = []
    for frame_index, frame in camera.frames():
        decisions += judge.process(frame_index, frame)
        if time.perf_counter() - last_note > PROGRESS_EVERY_S:
            last_note = time.perf_counter()
            note(f"{label}: {frame_index / camera.frame_count:.0%}")
    decisions += judge.finish()
    elapsed = time.perf_counter() - started
    drawn = players_drawn(_PLAY, camera, background.image)  # after the stream: its frames stay those of `run`
    note(f"{label}: done, {camera.frame_count:,} frames in {elapsed:.0f} s "
         f"({camera.frame_count / elapsed:,.0f} frames/s; setup {setup:.0f} s), {len(decisions)} decisions")
    return CameraRun(camera.camera_id, decisions, camera.frame_count, setup, elapsed, drawn)


def players_drawn(play: MatchPlay, camera, background: np.ndarray) -> bool | None:
    """Whether the renderer draws players: the first frame of the first incident with players against
    the background, inside the players' outline on the image and away from the ball. None: no players."""
    for segment in camera.segments:
        incident = play.scenario.timeline[segment.incident_index]
        if not incident.players:
            continue
        frame = camera.render_frame(segment.first_frame)
        changed = np.abs(frame.astype(np.int16) - background.astype(np.int16)).max(axis=2) > PLAYERS_DRAWN_DIFF
        ball = camera.pinhole.project(segment.trajectory.position_at(0.0)[None])[0]
        height, width = changed.shape
        u, v = np.meshgrid(np.arange(width), np.arange(height))
        changed &= np.hypot(u - ball[0], v - ball[1]) > BALL_CLEARANCE_PX
        inside = np.zeros_like(changed)
        for player in incident.players:
            feet = np.array(player.waypoints[0].at_m, float)
            r, h = player.radius_m, player.height_m
            corners = feet + np.array([[dx, dy, dz] for dx in (-r, r) for dy in (-r, r) for dz in (0.0, h)])
            pixels = camera.pinhole.project(corners)
            left, top = np.clip(np.floor(pixels.min(axis=0)).astype(int), 0, [width, height])
            right, bottom = np.clip(np.ceil(pixels.max(axis=0)).astype(int) + 1, 0, [width, height])
            inside[top:bottom, left:right] = True
        if inside.any():
            return bool(np.count_nonzero(changed & inside) >= PLAYERS_DRAWN_PIXELS)
    return None


# ---------------------------------------------------------------- the truth, per case and per frame


@dataclass(frozen=True)
class CaseTruth:
    """Figures of the truth that explain a miss (independent of the camera)."""

    deepest_margin_m: float
    over_s: float
    """Time the whole ball is over the line (s)."""
    part_over_s: float
    """Time part of the ball is over the line (leading edge past it)."""
    speed_mps: float
    """Ball speed when its leading edge reaches the line (approach speed)."""
    crossings: int
    """Times the whole ball went over (the camera's rule gives one goal per crossing)."""


def case_truth(trajectory: Trajectory, truth: LineTruth, radius: float) -> CaseTruth:
    t = np.arange(0.0, trajectory.duration_s, FINE_STEP_S)
    margin = trajectory.position_at(t)[:, 1] - radius
    over = float(np.count_nonzero(margin > 0) * FINE_STEP_S)
    part = float(np.count_nonzero(margin > -2 * radius) * FINE_STEP_S)
    touching = np.flatnonzero(margin > -2 * radius)
    speed = 0.0
    if len(touching):
        t0 = max(t[touching[0]] - 0.002, 0.0)
        step = trajectory.position_at(np.array([t0, t0 + 0.001]))
        speed = float(np.linalg.norm(step[1] - step[0]) / 0.001)
    return CaseTruth(truth.deepest_margin_m, over, part, speed, len(truth.crossings))


@dataclass(frozen=True)
class FrameTruth:
    """What the frames of one camera can show of one case (true margins at exposure centres)."""

    first_frame: int
    margins_m: np.ndarray
    run_over: int
    """Longest run of consecutive frames with the whole ball over."""
    frames_over: int
    run_part_over: int
    """Longest run of frames with part of the ball over but not the whole of it."""
    deepest_frame_margin_m: float
    hidden_over: int
    """Frames of the first run over (at most CONFIRM_FRAMES + 2) whose ball centre is hidden behind a player."""
    checked_over: int

    def margin_at(self, frame_index: int) -> float:
        return float(self.margins_m[frame_index - self.first_frame])


def longest_run(flags: np.ndarray) -> int:
    best = run = 0
    for flag in flags:
        run = run + 1 if flag else 0
        best = max(best, run)
    return best


def frame_truth(segment, camera, incident, radius: float) -> FrameTruth:
    t = np.arange(segment.frame_count) / camera.fps
    positions = segment.trajectory.position_at(t)
    margins = positions[:, 1] - radius
    over = margins > 0
    part = (margins > -2 * radius) & ~over
    hidden = checked = 0
    if incident.players and over.any():
        k = int(np.argmax(over))
        while k < len(over) and over[k] and checked < CONFIRM_FRAMES + 2:
            checked += 1
            hidden += any(blocks(player, t[k], camera.pinhole.centre_m, positions[k]) for player in incident.players)
            k += 1
    return FrameTruth(segment.first_frame, margins, longest_run(over), int(over.sum()), longest_run(part),
                      float(margins.max()) if len(margins) else float("-inf"), hidden, checked)


def player_at(player, t: float) -> np.ndarray:
    times = [w.t_s for w in player.waypoints]
    points = np.array([w.at_m for w in player.waypoints], float)
    return np.array([np.interp(t, times, points[:, k]) for k in range(3)])


def blocks(player, t: float, camera_m: np.ndarray, ball_m: np.ndarray) -> bool:
    """Whether the player's cylinder cuts the sight line from the camera to the ball's centre."""
    feet = player_at(player, t)
    d = ball_m - camera_m
    o = camera_m[:2] - feet[:2]
    a = float(d[0] ** 2 + d[1] ** 2)
    b = 2 * float(o @ d[:2])
    c = float(o @ o) - player.radius_m ** 2
    disc = b * b - 4 * a * c
    if a == 0 or disc < 0:
        return False
    s0, s1 = (-b - math.sqrt(disc)) / (2 * a), (-b + math.sqrt(disc)) / (2 * a)
    s0, s1 = max(s0, 0.0), min(s1, 1.0)
    if s0 > s1:
        return False
    z0, z1 = sorted((camera_m[2] + s0 * d[2], camera_m[2] + s1 * d[2]))
    return z1 >= feet[2] and z0 <= feet[2] + player.height_m


# ---------------------------------------------------------------- scoring


@dataclass
class Outcome:
    """One case seen by one camera, against the truth."""

    case: corpus.Case
    fps: int
    resolution: str
    expected: ExpectedCall
    truth: CaseTruth
    frames: FrameTruth
    decisions: list[LineDecision]
    players_drawn: bool | None
    reason: str = ""

    @property
    def kinds(self) -> list[str]:
        return [d.kind for d in self.decisions]

    @property
    def right(self) -> bool:
        """Exactly one call, of the truth's kind; no call when the ball never reached the line."""
        if self.expected.kind is None:
            return not self.decisions
        return self.kinds == [self.expected.kind]

    @property
    def missed_goal(self) -> bool:
        return self.expected.kind == "goal" and "goal" not in self.kinds

    @property
    def false_goals(self) -> int:
        """Goal calls the truth does not have: any in a case without a goal; in a goal case, more
        than the ball's crossings."""
        goals = self.kinds.count("goal")
        if self.expected.kind != "goal":
            return goals
        return max(0, goals - self.truth.crossings)

    @property
    def matched(self) -> LineDecision | None:
        """The call judged for frame and margin: the first of the truth's kind, else the first."""
        same = [d for d in self.decisions if d.kind == self.expected.kind]
        return (same or self.decisions or [None])[0]

    @property
    def frame_error(self) -> int | None:
        """Decided minus true first-over frame, for a goal called as a goal."""
        matched = self.matched
        if self.expected.kind != "goal" or matched is None or matched.kind != "goal":
            return None
        return matched.frame_index - self.expected.frame_index

    @property
    def true_margin_at_decision_m(self) -> float | None:
        """The truth the decided margin is compared with: the true margin in the decided frame, or,
        for a goal the ball made only between frames (a fast impact), the true deepest margin,
        which is what such a call reports."""
        matched = self.matched
        if matched is None:
            return None
        if matched.kind == "goal" and matched.evidence == "interpolated" and matched.hidden_frames == 0:
            return self.truth.deepest_margin_m
        return self.frames.margin_at(matched.frame_index)

    @property
    def margin_error_mm(self) -> float | None:
        """|decided margin - its true counterpart (true_margin_at_decision_m)|, mm."""
        truth = self.true_margin_at_decision_m
        return None if truth is None else abs(self.matched.margin_m - truth) * 1000

    @property
    def margin_bias_mm(self) -> float | None:
        """Decided minus true margin in the decided frame, mm (positive: read deeper over than it is)."""
        matched = self.matched
        truth = self.true_margin_at_decision_m
        return None if truth is None else (matched.margin_m - truth) * 1000

    @property
    def beyond_band(self) -> bool:
        """The true deepest margin lies beyond +-15 mm (target 1's cases)."""
        return abs(self.truth.deepest_margin_m) > MARGIN_BAND_M


def attribute(play: MatchPlay, camera, decisions: list[LineDecision], cases: list[corpus.Case], truths: list[CaseTruth],
              fps: int, resolution: str, drawn: bool | None) -> list[Outcome]:
    """Each case's calls, by frame range, as truth_check.summary_rows attributes them."""
    radius = play.ball_diameter_m / 2
    outcomes = []
    for expected, segment in zip(play.expected_calls(camera), camera.segments):
        index = expected.incident_index
        mine = [d for d in decisions if expected.first_frame <= d.frame_index <= expected.last_frame]
        frames = frame_truth(segment, camera, play.scenario.timeline[index], radius)
        outcome = Outcome(cases[index], fps, resolution, expected, truths[index], frames, mine, drawn)
        outcome.reason = "" if outcome.right else explain(outcome)
        outcomes.append(outcome)
    return outcomes


def explain(o: Outcome) -> str:
    """Why a case went wrong: the physics of sampling where the frames cannot show it, else the detector."""
    fps, f, tr = o.fps, o.frames, o.truth
    interval_ms = 1000 / fps
    travel = f"at {tr.speed_mps:.1f} m/s the ball moves {tr.speed_mps / fps * 100:.1f} cm between frames"
    decided = " ".join(f"{d.kind} (frame {d.frame_index}, {d.margin_m * 1000:+.1f} mm measured, "
                       f"{f.margin_at(d.frame_index) * 1000:+.1f} mm true)" for d in o.decisions) or "nothing"
    smear = f"{tr.speed_mps * _EXPOSURE_S * 1000:.0f} mm smear in the {_EXPOSURE_S * 1000:g} ms exposure"
    occlusion = ""
    if f.checked_over and f.hidden_over:
        drawn = {True: "", False: " (but players are not drawn by the renderer yet)", None: ""}[o.players_drawn]
        occlusion = f"; ball centre hidden behind a player in {f.hidden_over} of the first {f.checked_over} frames over{drawn}"
    kind = o.expected.kind
    if kind == "goal" and "goal" not in o.kinds:
        if f.run_over == 0:
            return (f"physics: no frame shows the whole ball over: it is wholly over for {tr.over_s * 1000:.1f} ms, "
                    f"frames are {interval_ms:.1f} ms apart ({travel}); decided {decided}")
        if f.run_over < CONFIRM_FRAMES:
            return (f"sampling: only {f.run_over} frame in a row shows the whole ball over (wholly over for "
                    f"{tr.over_s * 1000:.1f} ms, frames {interval_ms:.1f} ms apart; {travel}); a measured goal needs "
                    f"{CONFIRM_FRAMES} in a row; decided {decided}")
        cause = "occlusion" if occlusion and o.players_drawn else "detector"
        return (f"{cause}: {f.frames_over} frames show the whole ball over (up to {f.deepest_frame_margin_m * 1000:+.0f} mm, "
                f"{f.run_over} in a row), decided {decided}; {smear}{occlusion}")
    if kind == "no_goal" and not o.decisions:
        if f.run_part_over < CONFIRM_FRAMES:
            return (f"{'physics' if f.run_part_over == 0 else 'sampling'}: part of the ball is over the line for "
                    f"{tr.part_over_s * 1000:.1f} ms; {f.run_part_over} frame(s) in a row show it, {CONFIRM_FRAMES} "
                    f"needed ({interval_ms:.1f} ms between frames, {travel})")
        return (f"detector: {f.run_part_over} frames in a row show part of the ball over (deepest "
                f"{f.deepest_frame_margin_m * 1000:+.1f} mm in a frame), no call")
    if kind == "goal" and o.kinds.count("goal") > tr.crossings:
        return (f"detector: {o.kinds.count('goal')} goal calls for {tr.crossings} crossing(s); decided {decided}"
                f"{occlusion}")
    if kind != "goal" and "goal" in o.kinds:
        return (f"detector: false goal; truth {kind or 'none'} (deepest {tr.deepest_margin_m * 1000:+.1f} mm, "
                f"{f.frames_over} frames over); decided {decided}; {smear}")
    if kind is None:
        return f"detector: a call though the ball never reached the line; decided {decided}"
    return f"detector: truth {kind}, decided {decided}{occlusion}"


_EXPOSURE_S = 0.0005
"""The cameras' shutter time (set from the scenario in main)."""


# ---------------------------------------------------------------- the report


def signed(value: float) -> str:
    """A median of whole frames: +2, -1, 0, or -0.5 between two."""
    if value == 0:
        return "0"
    return f"{value:+.0f}" if value == int(value) else f"{value:+.1f}"


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values, float), q))


def group_cells(outcomes: list[Outcome]) -> list[str]:
    """The table's figures for one group of outcomes."""
    right = sum(o.right for o in outcomes)
    goals = [o for o in outcomes if o.expected.kind == "goal"]
    missed = sum(o.missed_goal for o in outcomes)
    false = sum(o.false_goals for o in outcomes)
    frame_errors = [o.frame_error for o in outcomes if o.frame_error is not None]
    on_time = sum(abs(e) <= FRAME_TOLERANCE for e in frame_errors)
    margins = [o.margin_error_mm for o in outcomes if o.margin_error_mm is not None]
    biases = [o.margin_bias_mm for o in outcomes if o.margin_bias_mm is not None]
    band = [o for o in outcomes if o.beyond_band]
    band_right = sum(o.right for o in band)

    def mark(text: str, bad: bool) -> str:
        return f"[bold red]{text}[/]" if bad else text

    return [
        mark(f"{right}/{len(outcomes)}", right < len(outcomes)),
        mark(f"{missed}/{len(goals)}", missed > 0),
        mark(str(false), false > 0),
        f"{signed(statistics.median(frame_errors))} / {max(abs(e) for e in frame_errors)}" if frame_errors else "-",
        f"{on_time}/{len(frame_errors)}" if frame_errors else "-",
        f"{statistics.median(biases):+.1f}" if biases else "-",
        (f"{statistics.median(margins):.1f} / {percentile(margins, 95):.1f} / {max(margins):.1f}"
         if margins else "-"),
        mark(f"{band_right}/{len(band)}", band_right < len(band)) if band else "-",
    ]


def report_table(outcomes: list[Outcome], configs: list[tuple[int, str]], classes: list[str], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for column, justify in (("class", "left"), ("frames/s", "right"), ("res.", "left"),
                            ("right", "right"), ("missed goals", "right"), ("false goals", "right"),
                            ("goal frame err med / max|e|", "right"), ("frame ±1", "right"),
                            ("margin bias mm", "right"), ("|margin err| mm med/p95/max", "right"),
                            ("right, |margin| > 15 mm", "right")):
        table.add_column(column, justify=justify)
    by_key = defaultdict(list)
    for o in outcomes:
        by_key[(o.case.test_class, o.fps, o.resolution)].append(o)
        by_key[("all", o.fps, o.resolution)].append(o)
    for test_class in [*classes, "all"]:
        title_text = "all classes" if test_class == "all" else corpus.CLASS_TITLES[test_class]
        for fps, resolution in configs:
            group = by_key.get((test_class, fps, resolution))
            if group:
                table.add_row(title_text, str(fps), resolution, *group_cells(group))
        table.add_section()
    return table


def verdict(met: bool | None) -> str:
    return {True: "[green]PASS[/]", False: "[bold red]MISS[/]", None: "[yellow]n/a[/]"}[met]


REASON_ORDER = ("detector", "occlusion", "sampling", "physics")
"""Reason lines list what the detector could fix first, what the frames cannot show last."""


def reason_lines(outcomes: list[Outcome]) -> list[str]:
    def rank(o: Outcome) -> int:
        first = o.reason.split(":", 1)[0]
        return REASON_ORDER.index(first) if first in REASON_ORDER else 0

    lines = [f"    - {o.case.case_id} @ {o.fps} fps {o.resolution}: {o.reason}"
             for o in sorted(outcomes, key=rank)]
    if len(lines) > MAX_REASON_LINES:
        lines = lines[:MAX_REASON_LINES] + [f"    ... and {len(lines) - MAX_REASON_LINES} more (see --csv)"]
    return lines


def targets(outcomes: list[Outcome]) -> list[str]:
    """The targets section: PASS/MISS with the measured figure, a reason line per miss."""
    lines = ["[bold]Targets[/]"]
    band = [o for o in outcomes if o.fps >= TARGET_MIN_FPS and o.beyond_band]
    if not band:
        lines.append(f"{verdict(None)} 1. 100 % right where |true margin| > 15 mm at >= {TARGET_MIN_FPS} frames/s: "
                     f"no such configuration in this run")
    else:
        wrong = [o for o in band if not o.right]
        physics = sum(o.reason.startswith("physics") for o in wrong)
        sampling = sum(o.reason.startswith("sampling") for o in wrong)
        lines.append(f"{verdict(not wrong)} 1. 100 % right where |true margin| > 15 mm at >= {TARGET_MIN_FPS} "
                     f"frames/s: {len(band) - len(wrong)}/{len(band)} right ({(len(band) - len(wrong)) / len(band):.1%})"
                     + (f"; {len(wrong)} wrong: {physics} physics (no frame shows it), {sampling} sampling (one "
                        f"frame shows it, a measured call needs {CONFIRM_FRAMES} in a row), "
                        f"{len(wrong) - physics - sampling} other" if wrong else ""))
        lines += reason_lines(wrong)

    fps, resolution = MARGIN_TARGET_CONFIG
    chosen = [o for o in outcomes if (o.fps, o.resolution) == MARGIN_TARGET_CONFIG and o.margin_error_mm is not None]
    if not chosen:
        lines.append(f"{verdict(None)} 2. margin error p95 <= {MARGIN_P95_TARGET_MM:g} mm at {fps} frames/s "
                     f"{resolution}: not run")
    else:
        errors = [o.margin_error_mm for o in chosen]
        p95 = percentile(errors, 95)
        met = p95 <= MARGIN_P95_TARGET_MM
        lines.append(f"{verdict(met)} 2. margin error p95 <= {MARGIN_P95_TARGET_MM:g} mm at {fps} frames/s "
                     f"{resolution}: p95 {p95:.1f} mm over {len(errors)} calls (median {statistics.median(errors):.1f}, "
                     f"max {max(errors):.1f})")
        if not met:
            per_class = defaultdict(list)
            for o in chosen:
                per_class[o.case.test_class].append(o.margin_error_mm)
            lines.append("    per class p95: " + ", ".join(f"{c} {percentile(v, 95):.1f} mm ({len(v)})"
                                                          for c, v in per_class.items()))
            worst = sorted(chosen, key=lambda o: -o.margin_error_mm)
            over = [o for o in worst if o.margin_error_mm > MARGIN_P95_TARGET_MM]
            lines.append(f"    {len(over)} calls off by more than {MARGIN_P95_TARGET_MM:g} mm; the worst:")
            for o in over[:10]:
                d = o.matched
                lines.append(f"    - {o.case.case_id}: {d.kind} at frame {d.frame_index}, {d.margin_m * 1000:+.1f} mm "
                             f"measured, {o.true_margin_at_decision_m * 1000:+.1f} mm true (error "
                             f"{o.margin_error_mm:.1f} mm; ball at {o.truth.speed_mps:.1f} m/s, "
                             f"{o.truth.speed_mps * _EXPOSURE_S * 1000:.0f} mm smear in the exposure, "
                             f"radius {d.radius_px:.1f} px)")

    false = [o for o in outcomes if o.false_goals]
    total = sum(o.false_goals for o in false)
    lines.append(f"{verdict(not false)} 3. no false goal in any class: {total} false goal(s) in "
                 f"{len({(o.fps, o.resolution) for o in outcomes})} configuration(s) x {len({o.case.case_id for o in outcomes})} cases")
    lines += reason_lines(false)
    return lines


def write_csv(outcomes: list[Outcome], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["case_id", "class", "fps", "resolution", "true_kind", "decided_kinds", "true_frame",
                         "decided_frames", "true_margin_mm", "decided_margins_mm", "true_margin_at_decided_frame_mm",
                         "deepest_margin_mm", "right", "frame_error", "margin_error_mm", "frames_wholly_over",
                         "speed_mps", "outside_mouth", "evidence", "confidence", "reason"])
        for o in outcomes:
            m = o.true_margin_at_decision_m
            writer.writerow([
                o.case.case_id, o.case.test_class, o.fps, o.resolution, o.expected.kind or "none",
                " ".join(o.kinds) or "none", "" if o.expected.frame_index is None else o.expected.frame_index,
                " ".join(str(d.frame_index) for d in o.decisions),
                "" if o.expected.margin_m is None else f"{o.expected.margin_m * 1000:.2f}",
                " ".join(f"{d.margin_m * 1000:.2f}" for d in o.decisions),
                "" if m is None else f"{m * 1000:.2f}", f"{o.truth.deepest_margin_m * 1000:.2f}",
                "yes" if o.right else "no", "" if o.frame_error is None else o.frame_error,
                "" if o.margin_error_mm is None else f"{o.margin_error_mm:.2f}", o.frames.frames_over,
                f"{o.truth.speed_mps:.2f}", "yes" if o.expected.outside_mouth else "",
                " ".join(str(getattr(d, "evidence", "")) for d in o.decisions),
                " ".join(f"{getattr(d, 'confidence', float('nan')):.4f}" for d in o.decisions), o.reason])


def machine_lines() -> list[str]:
    cpu_model = ""
    try:
        cpu_model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                          if line.startswith("model name")), "")
    except OSError:
        pass
    return [f"machine: {os.cpu_count()} CPUs ({cpu_model or platform.machine()}), python {platform.python_version()}, "
            f"OpenCV {cv2.__version__}, numpy {np.__version__}"]


# ---------------------------------------------------------------- main


def parse_list(values: list[str] | None, allowed, convert=str) -> list:
    if not values:
        return list(allowed)
    chosen = [convert(v.strip()) for value in values for v in value.split(",") if v.strip()]
    unknown = [v for v in chosen if v not in allowed]
    if unknown:
        raise SystemExit(f"unknown value(s) {unknown}; choose from {list(allowed)}")
    return [v for v in allowed if v in chosen]


def check_exact_margins(play: MatchPlay, cases: list[corpus.Case]) -> None:
    """Sled and wall waypoints put the ball's deepest margin exactly at the target: the truth must agree."""
    for case, truth in zip(cases, play.truths):
        if case.target_margin_m is not None and abs(truth.deepest_margin_m - case.target_margin_m) > MARGIN_EXACT_M:
            raise SystemExit(f"{case.case_id}: truth's deepest margin {truth.deepest_margin_m * 1000:.6f} mm, "
                             f"target {case.target_margin_m * 1000:.6f} mm")
        expected = "goal" if (case.target_margin_m or 0) > 0 else "no_goal"
        if case.target_margin_m is not None and truth.expected != expected:
            raise SystemExit(f"{case.case_id}: truth expects {truth.expected}, the case was built for {expected}")


def main(argv: list[str] | None = None) -> int:
    global _PLAY, _EXPOSURE_S
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: a few cases of each class")
    parser.add_argument("--fps", action="append", help="frame rates to run (25,50,100,250,500; repeat or comma-separate)")
    parser.add_argument("--resolution", action="append", help="720p and/or 1080p")
    parser.add_argument("--class", dest="classes", action="append", help=f"test classes ({', '.join(corpus.CLASSES)})")
    parser.add_argument("--csv", type=Path, help="also write every case's result to this CSV file")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="worker processes (default 2)")
    parser.add_argument("--seed", type=int, default=2026, help="seed of the random pitch shots")
    args = parser.parse_args(argv)
    cv2.setNumThreads(1)
    fps_list = parse_list(args.fps, corpus.FRAME_RATES, int)
    resolutions = parse_list(args.resolution, tuple(corpus.RESOLUTIONS))
    classes = parse_list(args.classes, corpus.CLASSES)
    if args.quick and not args.fps:
        fps_list = [fps for fps in fps_list if fps in QUICK_FRAME_RATES]
    configs = [(fps, res) for fps in fps_list for res in resolutions]
    size = corpus.QUICK if args.quick else corpus.FULL
    started = time.perf_counter()

    note(f"building the {size.name} corpus ({', '.join(classes)}): shots are aimed with trial flights")
    cases = corpus.build_corpus(size, tuple(classes), args.seed)
    scenario = Scenario.model_validate(corpus.scenario_document(cases, configs))
    problems = scenario.problems()
    if problems:
        raise SystemExit(f"corpus scenario: {problems[0][0]}: {problems[0][1]}")
    note(f"{len(cases)} cases, {sum(c.duration_s for c in cases):.0f} s of play per camera; playing the physics")
    play = MatchPlay.of(scenario)
    check_exact_margins(play, cases)
    radius = play.ball_diameter_m / 2
    truths = [case_truth(tr, t, radius) for tr, t in zip(play.trajectories, play.truths)]
    _PLAY = play
    _EXPOSURE_S = scenario.cameras[0].exposure_s
    build_s = time.perf_counter() - started

    order = sorted(range(len(play.cameras)), key=lambda i: -play.cameras[i].frame_count * math.prod(
        play.cameras[i].config.resolution_px))
    note(f"judging {len(configs)} configuration(s), {sum(c.frame_count for c in play.cameras):,} frames, "
         f"{args.jobs} at a time")
    runs: dict[str, CameraRun] = {}
    with multiprocessing.get_context("fork").Pool(args.jobs, maxtasksperchild=1) as pool:
        for run in pool.imap_unordered(judge_camera, order):
            runs[run.camera_id] = run

    outcomes: list[Outcome] = []
    for camera, (fps, res) in zip(play.cameras, configs):
        run = runs[camera.camera_id]
        outcomes += attribute(play, camera, run.decisions, cases, truths, fps, res, run.players_drawn)
    elapsed = time.perf_counter() - started

    console = Console()
    if not console.is_terminal:
        console = Console(width=200)
    for line in machine_lines():
        console.print(line, highlight=False)
    counts = Counter(c.test_class for c in cases)
    drawn = {r.players_drawn for r in runs.values()} - {None}
    console.print(
        f"{size.name} corpus: " + ", ".join(f"{corpus.CLASS_TITLES[c]} {counts[c]}" for c in classes if counts[c])
        + f" cases; one camera per configuration (right side, 16 m along the line, 9 m up, "
        f"{_EXPOSURE_S * 1000:g} ms exposure), every case at every configuration."
        + ("" if "occluded" not in classes else
           f" Players drawn by the renderer: {'yes' if drawn == {True} else 'no' if drawn == {False} else 'mixed'}."),
        highlight=False)
    console.print(
        "right = exactly one call of the truth's kind (MatchPlay.expected_calls), none where the ball never reached "
        "the line; goal frame err = decided - true first-over frame of goals called (negative: called early); "
        "frame ±1 = those within truth_check's tolerance; margin bias = median of decided margin_m - true margin "
        "in the decided frame (positive: read deeper over than it is); |margin err| = its absolute value; "
        "|margin| > 15 mm uses the truth's deepest margin.", highlight=False)
    console.print(report_table(outcomes, configs, classes,
                               f"Goal-line accuracy against the physics' truth ({size.name} run)"))
    for line in targets(outcomes):
        console.print(line, highlight=False, soft_wrap=True)
    if args.csv:
        write_csv(outcomes, args.csv)
        console.print(f"wrote {len(outcomes)} rows to {args.csv}", highlight=False)
    judge_cpu = sum(r.setup_s + r.judge_s for r in runs.values())
    console.print(f"total time {elapsed:.0f} s (corpus and physics {build_s:.0f} s; judging {judge_cpu:.0f} s of "
                  f"worker time over {args.jobs} process(es))", highlight=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
