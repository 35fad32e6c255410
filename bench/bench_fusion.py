"""Accuracy of the goal-line calls with 1, 2, 4 and 7 cameras, fused in 3D (the seven-camera table).

Run from the repository root:

    python bench/bench_fusion.py                       # 500 frames/s 1080p, classes shot, wall, occluded, outside
    python bench/bench_fusion.py --quick               # smoke run: a few cases, 250 frames/s 720p
    python bench/bench_fusion.py --fps 250 --resolution 720p --class sled --class wall

The cases are bench_accuracy's (bench/accuracy_corpus.py). One scenario holds them all, watched
by the seven-camera rig of scenarios/*_seven.yaml: two cameras in the goal line's plane and five
high in the stands. Each camera is rendered and followed once, in a worker process
(`CameraJudge(judging=False)`, as `run` does for a fused goal); its observations are then fused
for every camera count by the match-level judge (`fused_goal.FusedGoal`), the first N cameras of
the rig. One camera is the rig's first, judging alone (`CameraJudge`), as today. Every call is
scored against the physics' truth as bench_accuracy scores it (`attribute`).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import accuracy_corpus as corpus  # noqa: E402
from bench_accuracy import MARGIN_BAND_M, Outcome, attribute, case_truth, percentile  # noqa: E402

from camera_sim.commands.scenario import fused_goal_of  # noqa: E402
from camera_sim.decide.fusion import WINDOW_FRAMES  # noqa: E402
from camera_sim.decide.observation import Observation  # noqa: E402
from camera_sim.detect.background import BACKGROUND_SAMPLES, learn_background  # noqa: E402
from camera_sim.matchplay import MatchPlay  # noqa: E402
from camera_sim.pipeline import CameraJudge, LineDecision  # noqa: E402
from camera_sim.scenario.schema import Scenario  # noqa: E402

RIG = (
    {"id": "gl-right"},
    {"id": "stand-left", "position_m": [-14.0, -12.0, 10.0], "look_at_m": [0.0, 0.0, 1.2], "fov_deg": 30},
    {"id": "gl-left", "side": "left"},
    {"id": "stand-right", "position_m": [14.0, -12.0, 10.0], "look_at_m": [0.0, 0.0, 1.2], "fov_deg": 30},
    {"id": "roof-right", "position_m": [10.0, 4.0, 14.0], "look_at_m": [0.0, 0.0, 1.2], "fov_deg": 30},
    {"id": "roof-left", "position_m": [-10.0, 4.0, 14.0], "look_at_m": [0.0, 0.0, 1.2], "fov_deg": 30},
    {"id": "main-stand", "position_m": [0.0, -30.0, 15.0], "look_at_m": [0.0, 0.0, 1.2], "fov_deg": 16,
     "distortion": [-0.08, 0.02, 0.0, 0.0]},
)
"""The seven cameras of scenarios/*_seven.yaml, ordered so that the first N make a sensible rig
of N: one in the line's plane; one across the goal in the stand; the other line camera and stand."""
CAMERA_COUNTS = (1, 2, 4, 7)
DEFAULT_CLASSES = ("shot", "wall", "occluded", "outside")

_PLAY: MatchPlay | None = None
"""The played scenario, set before the worker pool forks, read by the workers."""


@dataclass(frozen=True)
class CameraRun:
    camera_id: str
    observations: list[Observation]
    alone: list[LineDecision]
    """The camera judging alone (the rig's first camera only; else empty)."""
    frames: int
    seconds: float


def note(message: str) -> None:
    print(f"[fusion] {message}", file=sys.stderr, flush=True)


def follow_camera(index: int) -> CameraRun:
    """Render one camera's frames and follow the ball (and, for the first, judge alone)."""
    cv2.setNumThreads(1)
    camera = _PLAY.cameras[index]
    started = time.perf_counter()
    background = learn_background(camera.sample(BACKGROUND_SAMPLES))
    calibration = camera.calibration(_PLAY.ball_diameter_m)
    observer = CameraJudge(camera.camera_id, calibration, background, camera.fps, judging=False,
                           clock=camera.match_clock_s)
    alone = CameraJudge(camera.camera_id, calibration, background, camera.fps) if index == 0 else None
    decisions: list[LineDecision] = []
    for frame_index, frame in camera.frames():
        observer.process(frame_index, frame)
        if alone is not None:
            decisions += alone.process(frame_index, frame)
    if alone is not None:
        decisions += alone.finish()
    elapsed = time.perf_counter() - started
    note(f"{camera.camera_id}: {camera.frame_count:,} frames in {elapsed:.0f} s")
    return CameraRun(camera.camera_id, observer.take_observations(), decisions, camera.frame_count, elapsed)


def fused_decisions(play: MatchPlay, runs: dict[str, CameraRun], count: int
                    ) -> tuple[list[LineDecision], float, list[float]]:
    """The first `count` cameras' observations through the match-level judge, in time order, one
    moment's at a time as frames arrive: its decisions, the median time it took per moment (ms),
    and for each goal called while the streams ran, how long after its decisive frame's exposure
    it came out (ms): the stream time the judge waited for plus the time it took (a no-goal
    waits, by definition, for the ball to leave the line)."""
    cameras = [c for c in play.cameras if c.camera_id in [r["id"] for r in RIG[:count]]]
    goal = fused_goal_of(play, cameras)
    observations = sorted((o for c in cameras for o in runs[c.camera_id].observations), key=lambda o: o.time_s)
    reporter = play.camera(goal.reporter.camera_id)
    decisions, costs, latencies, start = [], [], [], 0
    while start < len(observations):
        end = start
        while end < len(observations) and observations[end].time_s == observations[start].time_s:
            end += 1
        began = time.perf_counter()
        made = goal.observe(observations[start:end])
        costs.append(time.perf_counter() - began)
        latencies += [1000 * (observations[start].time_s - reporter.match_clock_s(d.frame_index) + costs[-1])
                      for d in made if d.kind == "goal"]
        decisions += made
        start = end
    decisions += goal.finish()
    return decisions, 1000 * statistics.median(costs) if costs else 0.0, latencies


def score(play: MatchPlay, cases, truths, decisions: list[LineDecision], fps: int, resolution: str) -> list[Outcome]:
    reporter = play.cameras[0]  # the rig's first camera: in the line's plane, reporting every count's calls
    return attribute(play, reporter, decisions, cases, truths, fps, resolution, None)


def row(count: int, outcomes: list[Outcome], cost_ms: float, latencies: list[float]) -> list[str]:
    decided = [o for o in outcomes if o.margin_error_mm is not None]
    errors = [o.margin_error_mm for o in decided]
    line = [o for o in outcomes if o.case.test_class != "outside"]
    beyond = [o for o in line if abs(o.truth.deepest_margin_m) > MARGIN_BAND_M]
    outside = [o for o in outcomes if o.case.test_class == "outside"]
    false_goals = sum(o.false_goals for o in outcomes)
    latency = f"{statistics.median(latencies):.1f} / {max(latencies):.1f}" if latencies else "-"
    return [str(count), f"{sum(o.right for o in outcomes)}/{len(outcomes)}", str(false_goals),
            str(sum(o.missed_goal for o in outcomes)), str(sum(o.no_decision for o in outcomes)),
            f"{sum(o.right for o in beyond)}/{len(beyond)}",
            f"{sum(o.right for o in outside)}/{len(outside)}" if outside else "-",
            f"{statistics.median(errors):.1f} / {percentile(errors, 95):.1f}" if errors else "-",
            "-" if count == 1 else f"{cost_ms:.2f}", latency]


def calls_text(o: Outcome) -> str:
    return " ".join(f"{d.kind} ({d.reason or '-'}, {d.margin_m * 1000:+.1f} mm)" for d in o.decisions) or "nothing"


def main(argv: list[str] | None = None) -> int:
    global _PLAY
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: a few cases, 250 frames/s 720p")
    parser.add_argument("--fps", type=int, choices=corpus.FRAME_RATES, help="frame rate of every camera (default 500)")
    parser.add_argument("--resolution", choices=tuple(corpus.RESOLUTIONS), help="of every camera (default 1080p)")
    parser.add_argument("--class", dest="classes", action="append", choices=corpus.LINE_CLASSES + ("outside",),
                        help=f"test classes (default {', '.join(DEFAULT_CLASSES)})")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="worker processes (default 2)")
    parser.add_argument("--seed", type=int, default=2026, help="seed of the random pitch shots")
    args = parser.parse_args(argv)
    fps = args.fps or (250 if args.quick else 500)
    resolution = args.resolution or ("720p" if args.quick else "1080p")
    classes = tuple(args.classes or DEFAULT_CLASSES)
    size = corpus.QUICK if args.quick else corpus.FULL
    started = time.perf_counter()

    line_classes = tuple(c for c in classes if c in corpus.LINE_CLASSES)
    cases = corpus.build_corpus(size, line_classes, args.seed) if line_classes else []
    if "outside" in classes:
        cases += corpus.outside_cases(size.outside_quick)
    document = corpus.scenario_document(cases, [(fps, resolution)])
    document["cameras"] = [{**placement, "goal": corpus.GOAL, "fps": float(fps),
                            "resolution_px": list(corpus.RESOLUTIONS[resolution])} for placement in RIG]
    document["name"] = "fusion corpus"
    play = _PLAY = MatchPlay.of(Scenario.model_validate(document))
    radius = play.ball_diameter_m / 2
    truths = [case_truth(tr, t, radius) for tr, t in zip(play.trajectories, play.truths)]
    frames = play.cameras[0].frame_count
    note(f"{len(cases)} cases ({', '.join(classes)}), {frames:,} frames per camera at {fps} frames/s {resolution}, "
         f"{len(RIG)} cameras, {args.jobs} at a time")
    with multiprocessing.get_context("fork").Pool(args.jobs, maxtasksperchild=1) as pool:
        runs = {run.camera_id: run for run in pool.imap_unordered(follow_camera, range(len(RIG)))}

    table = Table(title=f"Calls by camera count: {len(cases)} cases, {fps} frames/s, {resolution}")
    for header in ("cameras", "right", "false goals", "missed goals", "no decision", "right beyond ±15 mm",
                   "outside the mouth right", "margin error mm, median / p95", "judge ms per moment",
                   "decisive frame → goal call ms, median / max"):
        table.add_column(header, justify="right")
    wrong: list[str] = []
    for count in CAMERA_COUNTS:
        if count == 1:
            decisions, cost, latencies = runs[RIG[0]["id"]].alone, 0.0, []
        else:
            decisions, cost, latencies = fused_decisions(play, runs, count)
        outcomes = score(play, cases, truths, decisions, fps, resolution)
        table.add_row(*row(count, outcomes, cost, latencies))
        wrong += [f"{count} camera(s): {o.case.case_id}: truth {o.expected.kind}, decided {calls_text(o)}"
                  for o in outcomes if not o.right]
    console = Console(width=200)
    console.print(table)
    console.print("right = exactly one call of the truth's kind (bench_accuracy's scoring); outside the mouth right = "
                  "a no-goal for that reason; margin error = |decided - true margin| in the decided frame; judge ms = "
                  "median time of the match-level judge per moment's observations; decisive frame → goal call = from "
                  "the decisive frame's exposure to the goal call, measured: the stream time the judge waited for (the fix's "
                  f"window of {WINDOW_FRAMES:g} frames, the frames that confirm it) plus its computing time.",
                  highlight=False)
    for line in wrong:
        console.print(f"  wrong: {line}", highlight=False)
    following = sum(r.seconds for r in runs.values())
    console.print(f"total {time.perf_counter() - started:.0f} s; rendering and following {following:.0f} s of worker "
                  f"time ({sum(r.frames for r in runs.values()) / following:,.0f} frames/s per worker)", highlight=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
