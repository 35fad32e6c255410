"""Throughput and peak memory of the goal-line camera pipeline, at 1280x720.

Run from the repository root:

    python bench/bench_camera.py            # full run (about 4 minutes)
    python bench/bench_camera.py --quick    # smoke run: few frames, one repeat
    python bench/bench_camera.py --profile  # also cProfile render and detect+decide (top 10)

Throughput figures are medians over repeats, measured in this process with
cv2.setNumThreads(1), pinned to one CPU. Peak memory is measured in child processes running
the real command (`python -m camera_sim ...`), each reading its own high-water RSS at exit.

The command rows time whole processes on both cores, as a user runs them: `python -m camera_sim
video CLIP --no-publish --no-pictures` on a 6,000-frame 1280x720 mp4v clip against a child
`python -c` doing nothing but a `cv2.VideoCapture.read` loop over the same clip (both pay for
starting Python and importing cv2), run by turns in the same bench run, medians of 3.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import yaml  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from camera_sim.camera.pinhole import PinholeCamera  # noqa: E402
from camera_sim.commands.scenario import CLIP_FOURCC  # noqa: E402
from camera_sim.detect.background import BACKGROUND_SAMPLES, Background, learn_background  # noqa: E402
from camera_sim.matchplay import MatchPlay  # noqa: E402
from camera_sim.pipeline import CameraJudge  # noqa: E402
from camera_sim.scenario.loader import load_scenario  # noqa: E402
from camera_sim.scenario.schema import Scenario, duration_of  # noqa: E402
from camera_sim.sources.calibration import Calibration  # noqa: E402
from camera_sim.sources.clip import ClipSource  # noqa: E402
from camera_sim.sources.simulated import SimulatedCamera  # noqa: E402

DEMO_MATCH = REPO_ROOT / "scenarios" / "demo_match.yaml"
CLEAN_GOAL = REPO_ROOT / "scenarios" / "clean_goal.yaml"
BENCH_RESOLUTION = (1280, 720)
"""Every throughput row runs at this resolution (the demo match cameras' own)."""
CLIP_RESOLUTION = (1920, 1080)
"""The clips whose `video` peak memory is compared."""

DETECT_TARGET_FPS = 2000.0
PIPELINE_TARGET_FPS = 500.0
VIDEO_TARGET_SHARE = 0.80
"""`video` (decode + judge) must run at >= 80% of plain decoding."""
MEMORY_TOLERANCE = 0.10
"""Peaks for a clip / timeline of length L and 2L must agree within +-10%."""
MEMORY_LIMIT_MB = 400.0
BYTES_PER_MB = 1_000_000
DOUBLING_GAP_S = 1.0
"""The copy of an incident starts this long after the original ends (same goal, no overlap)."""
MEMORY_WORKERS = 2
"""Child processes run at the same time in the memory section (peak RSS is per process)."""
PINNING_NOTE = ", process pinned to one CPU for FFmpeg's threads" if hasattr(os, "sched_setaffinity") else ""

COMMAND_CLIP_FRAMES = 6000
"""Frames of the clip the whole `video` command is timed on (the issue's 24 s at 250 frames/s)."""
COMMAND_TARGET_RATIO = 1.25
"""The whole `video` command may take at most 1.25x the time of a plain VideoCapture.read loop."""
COMMAND_COPY_OFFSET_S = 600.0
"""Each copy of the demo's incidents at the first camera's goal starts 10 match minutes after the
one before (the incidents last seconds: no copy overlaps another incident)."""
HALF_FRAME = 0.5
"""A lengthened incident gets half a frame more: a camera counts floor(duration x fps) frames,
so the half frame keeps float rounding from losing the last one."""
DECISION_TYPES = {"goalline.goal", "goalline.no_goal"}
"""Event types of decisions, counted in the command's stdout (one event a line)."""
COMMAND_CAMERA = "north-gl"
"""The demo match camera whose clip the command rows use (the first: the throughput rows' one)."""

ROW_RENDER = "render alone"
ROW_DETECT = "detect+decide alone (pre-rendered)"
ROW_PIPELINE = "render+detect+decide"
ROW_VIDEO = "video (decode included)"
ROW_DECODE = "plain decoding (VideoCapture.read)"
ROW_HOUGH = "baseline: HoughCircles, full frame"
ROW_COMMAND = "video command, whole process"
ROW_COMMAND_DECODE = "plain decoding, whole process"

HOUGH_BLUR_PX = 5
"""The baseline blurs the grey frame first (cv2.medianBlur, as OpenCV's HoughCircles tutorial does):
Canny then finds the ball's rim rather than the grass's noise, and the vote is 2x faster."""
HOUGH_CANNY_HIGH = 100
"""param1, the Canny high threshold: OpenCV's default."""
HOUGH_VOTES = 15
"""param2, the votes a centre needs. The ball's rim is short (radius 9-12 px here): on 48 demo
frames, 40 with the ball in view, 15 found it in 28 and nothing else; 20 found it in 16 and 30 in
1 (the tutorial's 30 is for coins of 30+ px); 15 without the blur found over 9,000 false circles on them."""
HOUGH_RADIUS_SLACK = 0.25
"""The radius range is the ball seen on the goal line from the far post to the near post, widened
by 25 % for a ball a metre or two before or behind the line."""

PEAK_MARKER = "BENCH_PEAK_KB="
PEAK_REPORT = f"""
import re, resource
try:
    with open("/proc/self/status") as status_file:
        peak_kb = int(re.search(r"VmHWM:\\s+(\\d+) kB", status_file.read()).group(1))
except (OSError, AttributeError):
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print("{PEAK_MARKER}%d" % peak_kb, file=sys.stderr)
"""
"""The end of every child's code: its peak RSS on stderr.

VmHWM is preferred to ru_maxrss: after fork+exec, Linux folds the parent's RSS into the
child's ru_maxrss, and the parent here may hold gigabytes of pre-rendered frames."""
CHILD_CODE = f"""
import runpy, sys
status = 0
try:
    runpy.run_module("camera_sim", run_name="__main__", alter_sys=True)
except SystemExit as stop:
    status = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
{PEAK_REPORT}
sys.exit(status)
"""
"""`python -c CHILD_CODE ARGS` is `python -m camera_sim ARGS` that reports its peak RSS at exit."""
DECODE_CODE = f"""
import sys
import cv2
capture = cv2.VideoCapture(sys.argv[1])
frames = 0
while capture.read()[0]:
    frames += 1
capture.release()
print(frames)
{PEAK_REPORT}
"""
"""`python -c DECODE_CODE CLIP`: the plain decoding a user would write, as a process of its own
(OpenCV's defaults: FFmpeg picks its own decoder threads), printing the frames it read."""


@dataclass(frozen=True)
class Settings:
    """How much work each row does."""

    name: str
    render_frames: int | None
    """Frames of the first demo camera for the render rows and the mp4 (None: all of them)."""
    prerender_frames: int
    """Frames kept in memory for detect+decide alone and for the Hough baseline."""
    hough_frames: int
    """Hough runs on this many of the kept frames, spread over them."""
    slow_repeats: int
    fast_repeats: int
    command_frames: int | None
    """Frames of the clip of the command rows (None: one copy of the demo camera's incidents)."""
    command_repeats: int
    clip_seconds: float
    """L, the length of the shorter 1080p clip for the `video` memory rows."""
    run_scenario: Path
    """The timeline whose `run --no-publish` peak is compared with its doubled copy."""


FULL = Settings("full", None, 1500, 300, slow_repeats=3, fast_repeats=5, command_frames=COMMAND_CLIP_FRAMES,
                command_repeats=3, clip_seconds=2.0, run_scenario=DEMO_MATCH)
QUICK = Settings("quick", 150, 150, 30, slow_repeats=1, fast_repeats=3, command_frames=None, command_repeats=1,
                 clip_seconds=0.4, run_scenario=CLEAN_GOAL)


@dataclass(frozen=True)
class Throughput:
    """One timed row: frames per repeat, frames/s median over repeats, CPU/wall, calls made."""

    name: str
    frames: int
    repeats: int
    fps: float
    cpu_share: float
    calls: int | None = None


@dataclass(frozen=True)
class Peak:
    """Peak resident memory of one child command."""

    name: str
    frames: int
    megabytes: float


@dataclass(frozen=True)
class CommandTimes:
    """The whole `video` command against a plain decoding process on the same clip, run by turns."""

    frames: int
    repeats: int
    video_s: float
    """Median wall time of `python -m camera_sim video CLIP --no-publish --no-pictures`."""
    decode_s: float
    """Median wall time of `python -c DECODE_CODE CLIP`."""
    video_peak_mb: float
    decode_peak_mb: float
    calls: int
    """Decisions the command printed (a check that it judged the clip)."""
    video_cpu_share: float
    """Median CPU / wall of the command: above 1 when its reader thread decodes on the other core."""
    decode_cpu_share: float

    @property
    def ratio(self) -> float:
        return self.video_s / self.decode_s


@dataclass(frozen=True)
class Rig:
    """The first demo camera and what a judge of its frames needs."""

    camera: SimulatedCamera
    calibration: Calibration
    background: Background

    def judge(self, background: Background | None = None, fps: float | None = None) -> CameraJudge:
        """A fresh judge (as commands.scenario._run builds one), optionally on another background / fps."""
        return CameraJudge(self.camera.camera_id, self.calibration, background or self.background,
                           fps or self.camera.fps)


def note(message: str) -> None:
    """Progress line on stderr (the table goes to stdout)."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- timing


def measure(name: str, repeats: int, prepare: Callable[[], object], work: Callable[[object], tuple[int, int | None]]
            ) -> Throughput:
    """Time `work(prepare())` `repeats` times; prepare is untimed, work returns (frames, calls)."""
    rates, shares, frames, calls = [], [], 0, None
    for _ in range(repeats):
        state = prepare()
        wall, cpu = time.perf_counter(), time.process_time()
        frames, calls = work(state)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        rates.append(frames / wall)
        shares.append(cpu / wall)
    return Throughput(name, frames, repeats, statistics.median(rates), statistics.median(shares), calls)


def judge_frames(judge: CameraJudge, frames: Iterable[tuple[int, np.ndarray]]) -> tuple[int, int]:
    """Feed frames to `process` in order, then `finish`; (frames seen, decisions made)."""
    count = calls = 0
    for index, frame in frames:
        calls += len(judge.process(index, frame))
        count += 1
    return count, calls + len(judge.finish())


def rendered(camera: SimulatedCamera, count: int) -> Iterator[tuple[int, np.ndarray]]:
    """The first `count` frames of a simulated camera, rendered one by one."""
    for index in range(count):
        yield index, camera.render_frame(index)


def render_only(camera: SimulatedCamera, count: int) -> tuple[int, None]:
    """Render `count` frames and drop them."""
    for _ in rendered(camera, count):
        pass
    return count, None


def decode_only(path: Path) -> tuple[int, None]:
    """Open the clip and read every frame with cv2.VideoCapture, nothing else."""
    capture = cv2.VideoCapture(str(path))
    count = 0
    try:
        while capture.read()[0]:
            count += 1
    finally:
        capture.release()
    return count, None


def ball_radius_range_px(pinhole: PinholeCamera, goal_width_m: float, ball_radius_m: float) -> tuple[int, int]:
    """(min, max) whole-pixel radius of the ball on the goal line between the posts, widened by
    HOUGH_RADIUS_SLACK: what a user sets from the camera's focal length and distance."""
    posts = np.array([[-goal_width_m / 2, 0.0, ball_radius_m], [goal_width_m / 2, 0.0, ball_radius_m]])
    depths = (posts @ pinhole.R.T + pinhole.t)[:, 2]
    radii = pinhole.focal_px * ball_radius_m / depths
    return int(np.floor(radii.min() * (1 - HOUGH_RADIUS_SLACK))), int(np.ceil(radii.max() * (1 + HOUGH_RADIUS_SLACK)))


def hough_arguments(radius_range_px: tuple[int, int]) -> dict:
    """The baseline's cv2.HoughCircles arguments: the plain call with sensible settings."""
    smallest, largest = radius_range_px
    return dict(method=cv2.HOUGH_GRADIENT, dp=1, minDist=2 * smallest,  # two balls are a diameter apart
                param1=HOUGH_CANNY_HIGH, param2=HOUGH_VOTES, minRadius=smallest, maxRadius=largest)


def hough_only(frames: list[np.ndarray], arguments: dict) -> tuple[int, int]:
    """The baseline: grey, median blur and HoughCircles on every full frame; (frames, frames
    where it found a circle)."""
    found = 0
    for frame in frames:
        grey = cv2.medianBlur(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), HOUGH_BLUR_PX)
        found += cv2.HoughCircles(grey, **arguments) is not None
    return len(frames), found


# ---------------------------------------------------------------- throughput rows


def pin_to_one_cpu() -> None:
    """Keep this process on one CPU from now on, with the threads it starts later.

    cv2.setNumThreads(1) does not reach FFmpeg, whose decoder may start a thread per CPU;
    pinning makes the decoding rows one-core figures too. Threads inherit the pinning.
    """
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def build_rig() -> Rig:
    """The demo match's first camera, its background and calibration, as commands.scenario._run makes them."""
    play = MatchPlay.of(load_scenario(DEMO_MATCH))
    camera = play.cameras[0]
    if tuple(camera.config.resolution_px) != BENCH_RESOLUTION:
        raise SystemExit(f"{DEMO_MATCH.name}: first camera is {camera.config.resolution_px}, expected {BENCH_RESOLUTION}")
    background = learn_background(camera.sample(BACKGROUND_SAMPLES))  # also builds the renderer (untimed)
    return Rig(camera, camera.calibration(play.ball_diameter_m), background)


def prerender(camera: SimulatedCamera, count: int, keep: int, clip_path: Path) -> list[np.ndarray]:
    """Render `count` frames once: all go into an mp4v clip, the first `keep` are returned."""
    writer = cv2.VideoWriter(str(clip_path), cv2.VideoWriter_fourcc(*CLIP_FOURCC), camera.fps, BENCH_RESOLUTION)
    if not writer.isOpened():
        raise SystemExit(f"cannot write {clip_path}")
    kept = []
    try:
        for index, frame in rendered(camera, count):
            writer.write(frame)
            if index < keep:
                kept.append(frame)
    finally:
        writer.release()
    return kept


def spread(frames: list[np.ndarray], count: int) -> list[np.ndarray]:
    """`count` frames spread evenly over the list."""
    return [frames[int(i)] for i in np.linspace(0, len(frames) - 1, min(count, len(frames))).round()]


def throughput_rows(settings: Settings, work_dir: Path) -> tuple[list[Throughput], Rig, list[np.ndarray]]:
    """All timed rows, with the rig and the pre-rendered frames (for --profile)."""
    pin_to_one_cpu()
    note("building the demo match's first camera (scene ray-casting, background)")
    rig = build_rig()
    count = min(settings.render_frames or rig.camera.frame_count, rig.camera.frame_count)
    clip_path = work_dir / f"{rig.camera.camera_id}.mp4"
    note(f"pre-rendering {count} frames into {clip_path.name}, keeping {settings.prerender_frames} in memory")
    frames = prerender(rig.camera, count, settings.prerender_frames, clip_path)
    clip = ClipSource(clip_path, rig.calibration.fps)
    clip_background = learn_background(clip.sample(BACKGROUND_SAMPLES))  # `video` learns it from the clip

    rows = []
    note("render alone")
    rows.append(measure(ROW_RENDER, settings.slow_repeats, lambda: None,
                        lambda _: render_only(rig.camera, count)))
    note("detect+decide alone")
    rows.append(measure(ROW_DETECT, settings.fast_repeats, rig.judge,
                        lambda judge: judge_frames(judge, enumerate(frames))))
    note("render+detect+decide")
    rows.append(measure(ROW_PIPELINE, settings.slow_repeats, rig.judge,
                        lambda judge: judge_frames(judge, rendered(rig.camera, count))))
    note("video (decode + detect + decide)")
    rows.append(measure(ROW_VIDEO, settings.fast_repeats,
                        lambda: rig.judge(clip_background, clip.fps), lambda judge: judge_frames(judge, clip.frames())))
    note("plain decoding")
    rows.append(measure(ROW_DECODE, settings.fast_repeats, lambda: None,
                        lambda _: decode_only(clip_path)))
    arguments = hough_arguments(ball_radius_range_px(rig.camera.pinhole, load_scenario(DEMO_MATCH).geometry.goal_width_m,
                                                     rig.calibration.ball_diameter_m / 2))
    note(f"HoughCircles baseline (radius {arguments['minRadius']}-{arguments['maxRadius']} px)")
    hough_frames = spread(frames, settings.hough_frames)
    rows.append(measure(ROW_HOUGH, settings.slow_repeats, lambda: None,
                        lambda _: hough_only(hough_frames, arguments)))
    return rows, rig, frames


# ---------------------------------------------------------------- memory rows


def scenario_document(scenario: Scenario) -> dict:
    """A scenario as the plain YAML-able mapping a scenario file holds."""
    return scenario.model_dump(mode="json", by_alias=True, exclude_none=True)


def write_scenario(document: dict, path: Path) -> Path:
    """Check the document against the schema, then write it as a scenario file."""
    Scenario.model_validate(document)
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def clip_scenario(base: Scenario, resolution: tuple[int, int], duration_s: float) -> dict:
    """The base scenario with every camera at `resolution` and every incident `duration_s` long."""
    document = scenario_document(base)
    document["cameras"] = [camera | {"resolution_px": list(resolution)} for camera in document["cameras"]]
    document["timeline"] = [incident | {"duration_s": duration_s} for incident in document["timeline"]]
    return document


def doubled_scenario(base: Scenario) -> dict:
    """The base timeline plus a copy of each incident starting DOUBLING_GAP_S after it ends."""
    document = scenario_document(base)
    copies = [entry | {"at": entry["at"] + duration_of(incident) + DOUBLING_GAP_S}
              for entry, incident in zip(document["timeline"], base.timeline)]
    document["timeline"] = sorted(document["timeline"] + copies, key=lambda entry: entry["at"])
    return document


def frame_total(scenario_path: Path) -> int:
    """Frames all cameras of a scenario record (physics only, nothing rendered)."""
    return sum(camera.frame_count for camera in MatchPlay.of(load_scenario(scenario_path)).cameras)


def child_env() -> dict[str, str]:
    """The environment of every child: this one, with the repository importable."""
    return os.environ | {"PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}


def peak_of(log_path: Path, returncode: int, what: str) -> float:
    """The peak RSS (MB) a child reported on stderr (in log_path); SystemExit if it failed."""
    text = log_path.read_text(encoding="utf-8")
    found = re.findall(rf"^{PEAK_MARKER}(\d+)$", text, re.MULTILINE)
    if returncode != 0 or not found:
        raise SystemExit(f"child `{what}` failed ({returncode}):\n{text[-2000:]}")
    return int(found[-1]) * 1024 / BYTES_PER_MB


def run_child(args: list[str], log_path: Path) -> float:
    """Run `python -m camera_sim ARGS` in a child; its peak RSS in MB."""
    with log_path.open("w", encoding="utf-8") as log:
        result = subprocess.run([sys.executable, "-c", CHILD_CODE, *args], cwd=REPO_ROOT, env=child_env(),
                                stdout=subprocess.DEVNULL, stderr=log, check=False)
    return peak_of(log_path, result.returncode, f"camera_sim {' '.join(args)}")


def run_children(jobs: dict[str, list[str]], work_dir: Path) -> dict[str, float]:
    """Run several children MEMORY_WORKERS at a time; name -> peak MB."""
    with ThreadPoolExecutor(MEMORY_WORKERS) as pool:
        futures = {name: pool.submit(run_child, args, work_dir / f"{name}.log") for name, args in jobs.items()}
        return {name: future.result() for name, future in futures.items()}


def memory_rows(settings: Settings, work_dir: Path, also_render: dict[str, list[str]]) -> list[tuple[Peak, Peak]]:
    """Pairs (length L, length 2L) of peak memory: `video` on 1080p clips, `run --no-publish`.

    also_render: more `render` jobs (name -> arguments), run with this section's renders."""
    clean_goal = load_scenario(CLEAN_GOAL)
    lengths = {"L": settings.clip_seconds, "2L": 2 * settings.clip_seconds}
    clip_dirs = {key: work_dir / f"clip-{key}" for key in lengths}
    renders = {}
    for key, seconds in lengths.items():
        path = write_scenario(clip_scenario(clean_goal, CLIP_RESOLUTION, seconds), work_dir / f"clip-{key}.yaml")
        renders[f"render-{key}"] = ["render", str(path), "--out", str(clip_dirs[key])]
    note(f"rendering 1080p clips of {lengths['L']:g} s and {lengths['2L']:g} s{', and ' if also_render else ''}"
         f"{', '.join(also_render)} (children)")
    run_children(renders | also_render, work_dir)

    base = load_scenario(settings.run_scenario)
    doubled = write_scenario(doubled_scenario(base), work_dir / "doubled.yaml")
    camera_id = clean_goal.cameras[0].id
    jobs = {f"video-{key}": ["video", str(clip_dirs[key] / f"{camera_id}.mp4"), "--no-publish"] for key in lengths}
    jobs |= {"run-L": ["run", str(settings.run_scenario), "--no-publish"], "run-2L": ["run", str(doubled), "--no-publish"]}
    note("peak memory of video L / 2L and run L / 2L (children)")
    peaks = run_children(jobs, work_dir)

    clip_frames = {key: ClipSource(clip_dirs[key] / f"{camera_id}.mp4").announced_frames for key in lengths}
    run_frames = {"L": frame_total(settings.run_scenario), "2L": frame_total(doubled)}
    size = f"{CLIP_RESOLUTION[0]}x{CLIP_RESOLUTION[1]}"
    return [
        tuple(Peak(f"peak: video, {size} clip {key} = {lengths[key]:g} s", clip_frames[key], peaks[f"video-{key}"])
              for key in lengths),
        tuple(Peak(f"peak: run --no-publish, {settings.run_scenario.stem}{' doubled' if key == '2L' else ''}",
                   run_frames[key], peaks[f"run-{key}"]) for key in lengths),
    ]


# ---------------------------------------------------------------- whole-command rows


def command_scenario(base: Scenario, camera_id: str, frames: int | None) -> tuple[dict, int]:
    """The base scenario with one camera and its goal's incidents only, copied COMMAND_COPY_OFFSET_S
    apart as often as they fit in `frames` frames, the last incident of each copy lengthened to
    make up the rest (None: one copy as it is); with the frames the camera will record."""
    camera = next(camera for camera in base.cameras if camera.id == camera_id)
    document = scenario_document(base)
    document["cameras"] = [entry for entry in document["cameras"] if entry["id"] == camera_id]
    own = sorted(((entry, incident) for entry, incident in zip(document["timeline"], base.timeline)
                  if incident.goal == camera.goal), key=lambda pair: pair[1].at_s)
    counts = [int(np.floor(duration_of(incident) * camera.fps)) for _, incident in own]
    copies = 1 if frames is None else frames // sum(counts)
    extra = 0 if frames is None else frames - copies * sum(counts)
    timeline = []
    for copy in range(copies):
        lengthen = extra // copies + (copy < extra % copies)
        for n, (entry, _) in enumerate(own):
            moved = entry | {"at": entry["at"] + copy * COMMAND_COPY_OFFSET_S}
            if lengthen and n == len(own) - 1:
                moved["duration_s"] = (counts[n] + lengthen + HALF_FRAME) / camera.fps
            timeline.append(moved)
    document["timeline"] = timeline
    return document, copies * sum(counts) + extra


def child_cpu_s() -> float:
    """CPU seconds (user + system) of this process's finished children so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_child(code: str, args: list[str], log_path: Path) -> tuple[float, float, float, str]:
    """Run `python -c CODE ARGS`; (wall s, its CPU s, its peak MB, its stdout). Wall time runs from
    before the process starts to after it has exited, so it includes Python's start."""
    with log_path.open("w", encoding="utf-8") as log:
        cpu, started = child_cpu_s(), time.perf_counter()
        result = subprocess.run([sys.executable, "-c", code, *args], cwd=REPO_ROOT, env=child_env(),
                                stdout=subprocess.PIPE, stderr=log, text=True, check=False)
        wall, cpu = time.perf_counter() - started, child_cpu_s() - cpu
    return wall, cpu, peak_of(log_path, result.returncode, " ".join(args)), result.stdout


def warm_page_cache(path: Path) -> None:
    """Read the file once so neither timed process pays for the disk (it was just written anyway)."""
    with path.open("rb") as clip:
        while clip.read(1 << 24):
            pass


def command_rows(settings: Settings, clip_path: Path, frames: int, work_dir: Path) -> CommandTimes:
    """Time the whole `video` command and a plain decoding process on the same clip, by turns.

    Runs before the throughput section pins this process (children inherit the pinning): both
    processes may use both cores, as a user's would."""
    if hasattr(os, "sched_getaffinity") and len(os.sched_getaffinity(0)) < (os.cpu_count() or 1):
        raise SystemExit("the command rows must run before the process is pinned to one CPU")
    announced = ClipSource(clip_path).announced_frames
    if announced != frames:
        raise SystemExit(f"{clip_path.name} holds {announced} frames, expected {frames}")
    warm_page_cache(clip_path)
    video_args = ["video", str(clip_path), "--no-publish", "--no-pictures"]
    runs: dict[str, list[tuple[float, float, float, str]]] = {"decode": [], "video": []}
    for repeat in range(settings.command_repeats):
        note(f"whole commands on {frames:,} frames, turn {repeat + 1} of {settings.command_repeats}: plain decoding")
        runs["decode"].append(timed_child(DECODE_CODE, [str(clip_path)], work_dir / "command-decode.log"))
        note(f"whole commands on {frames:,} frames, turn {repeat + 1} of {settings.command_repeats}: video")
        runs["video"].append(timed_child(CHILD_CODE, video_args, work_dir / "command-video.log"))
    decoded = {int(run[3].split()[0]) for run in runs["decode"]}
    if decoded != {frames}:
        raise SystemExit(f"plain decoding read {decoded} frames of {clip_path.name}, expected {frames}")
    calls = {sum(json.loads(line)["type"] in DECISION_TYPES for line in run[3].splitlines() if line.strip())
             for run in runs["video"]}
    if len(calls) != 1:
        raise SystemExit(f"the video command made {sorted(calls)} decisions in different runs")
    walls = {name: [run[0] for run in found] for name, found in runs.items()}
    cpus = {name: [run[1] / run[0] for run in found] for name, found in runs.items()}
    note("whole commands: wall s " + "; ".join(f"{name} {', '.join(f'{wall:.2f}' for wall in found)}"
                                             for name, found in walls.items()))
    return CommandTimes(frames, settings.command_repeats, statistics.median(walls["video"]),
                        statistics.median(walls["decode"]), max(run[2] for run in runs["video"]),
                        max(run[2] for run in runs["decode"]), calls.pop(),
                        statistics.median(cpus["video"]), statistics.median(cpus["decode"]))


# ---------------------------------------------------------------- report


def target_of(row: Throughput, by_name: dict[str, Throughput]) -> tuple[str, bool | None]:
    """The row's target in words and whether it is met (None: no target)."""
    if row.name == ROW_DETECT:
        return f">= {DETECT_TARGET_FPS:,.0f} frames/s", row.fps >= DETECT_TARGET_FPS
    if row.name == ROW_PIPELINE:
        return f">= {PIPELINE_TARGET_FPS:,.0f} frames/s", row.fps >= PIPELINE_TARGET_FPS
    if row.name == ROW_VIDEO:
        plain = by_name[ROW_DECODE]
        share = row.fps / plain.fps
        return (f">= {VIDEO_TARGET_SHARE:.0%} of plain decoding (>= {VIDEO_TARGET_SHARE * plain.fps:,.0f}); "
                f"is {share:.0%}"), share >= VIDEO_TARGET_SHARE
    return "", None


def verdict(met: bool | None) -> str:
    """Rich markup for a target check."""
    return "" if met is None else "[green]yes[/]" if met else "[bold red]NO[/]"


def report_table(rows: list[Throughput], command: CommandTimes, pairs: list[tuple[Peak, Peak]],
                 settings: Settings) -> Table:
    """The one table: throughput rows, the whole-command rows, then peak memory rows and their L / 2L ratios."""
    table = Table(title=f"Goal-line camera benchmark ({settings.name} run; frames/s are medians over repeats)",
                  title_justify="left")
    for column, justify in (("measure", "left"), ("frames", "right"), ("repeats", "right"), ("value", "right"),
                            ("x HoughCircles", "right"), ("cpu/wall", "right"), ("calls", "right"),
                            ("target", "left"), ("met", "left")):
        table.add_column(column, justify=justify)
    by_name = {row.name: row for row in rows}
    hough = by_name[ROW_HOUGH]
    for row in rows:
        target, met = target_of(row, by_name)
        table.add_row(row.name, f"{row.frames:,}", str(row.repeats), f"{row.fps:,.1f} frames/s",
                      f"{row.fps / hough.fps:,.1f}x", f"{row.cpu_share:.2f}",
                      "" if row.calls is None else str(row.calls), target, verdict(met))
    table.add_section()
    for name, seconds, share, calls, target, met in (
        (ROW_COMMAND, command.video_s, command.video_cpu_share, str(command.calls),
         f"<= {COMMAND_TARGET_RATIO:.2f}x plain decoding's time; is {command.ratio:.2f}x",
         command.ratio <= COMMAND_TARGET_RATIO),
        (ROW_COMMAND_DECODE, command.decode_s, command.decode_cpu_share, "", "", None),
    ):
        fps = command.frames / seconds
        table.add_row(name, f"{command.frames:,}", str(command.repeats), f"{fps:,.1f} frames/s ({seconds:.2f} s)",
                      f"{fps / hough.fps:,.1f}x", f"{share:.2f}", calls, target, verdict(met))
    for name, megabytes, limit in ((f"peak: {ROW_COMMAND}", command.video_peak_mb, MEMORY_LIMIT_MB),
                                   (f"peak: {ROW_COMMAND_DECODE}", command.decode_peak_mb, None)):
        table.add_row(name, f"{command.frames:,}", str(command.repeats), f"{megabytes:,.0f} MB", "", "", "",
                      "" if limit is None else f"< {limit:.0f} MB", verdict(None if limit is None else megabytes < limit))
    table.add_section()
    for short, long in pairs:
        for peak in (short, long):
            table.add_row(peak.name, f"{peak.frames:,}", "1", f"{peak.megabytes:,.0f} MB", "", "", "", "", "")
        ratio = long.megabytes / short.megabytes
        met = abs(ratio - 1) <= MEMORY_TOLERANCE and max(short.megabytes, long.megabytes) < MEMORY_LIMIT_MB
        table.add_row("  ratio 2L / L", "", "", f"{ratio:.3f}x", "", "", "",
                      f"within +-{MEMORY_TOLERANCE:.0%}, both < {MEMORY_LIMIT_MB:.0f} MB", verdict(met))
    return table


def machine_lines(settings: Settings) -> list[str]:
    """What the figures were measured on."""
    cpu_model = ""
    try:
        cpu_model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                          if line.startswith("model name")), "")
    except OSError:
        pass
    return [
        f"machine: {os.cpu_count()} CPUs ({cpu_model or platform.processor() or platform.machine()}), "
        f"{platform.system()} {platform.release()}",
        f"python {platform.python_version()}, OpenCV {cv2.__version__} (cv2.getNumThreads() = {cv2.getNumThreads()}), "
        f"numpy {np.__version__}",
        f"{settings.name} run: throughput at {BENCH_RESOLUTION[0]}x{BENCH_RESOLUTION[1]} on one core "
        f"(cv2.setNumThreads(1){PINNING_NOTE}); frames/s are medians over the repeats shown.",
        "whole-process rows: child processes on all CPUs, run by turns; wall time from start to exit "
        "(median), cpu/wall from the child's rusage; peak = the highest VmHWM of the repeats.",
        f"peak memory: VmHWM of child `python -m camera_sim` processes ({MEMORY_WORKERS} at a time), "
        f"MB = {BYTES_PER_MB:,} bytes.",
    ]


def print_profiles(console: Console, rig: Rig, frames: list[np.ndarray], render_count: int) -> None:
    """cProfile top 10 (cumulative) of one detect+decide pass and of rendering."""
    for title, action in (
        (f"detect+decide over {len(frames)} pre-rendered frames", lambda: judge_frames(rig.judge(), enumerate(frames))),
        (f"render of {render_count} frames", lambda: render_only(rig.camera, render_count)),
    ):
        profiler = cProfile.Profile()
        profiler.runcall(action)
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).strip_dirs().sort_stats("cumulative").print_stats(10)
        console.print(f"\n[bold]profile: {title}[/] (top 10 by cumulative time)")
        console.print(text.getvalue().strip(), markup=False, highlight=False)


def main(argv: list[str] | None = None) -> int:
    """Measure everything, print the machine, the table and (on request) the profiles."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: few frames, fewer repeats")
    parser.add_argument("--profile", action="store_true", help="also print cProfile top 10 of render and detect")
    args = parser.parse_args(argv)
    cv2.setNumThreads(1)
    settings = QUICK if args.quick else FULL
    console = Console()
    if not console.is_terminal:
        console = Console(width=200)
    for line in machine_lines(settings):
        console.print(line, highlight=False)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-camera-") as work:
        work_dir = Path(work)
        document, command_frames = command_scenario(load_scenario(DEMO_MATCH), COMMAND_CAMERA, settings.command_frames)
        command_path = write_scenario(document, work_dir / "command.yaml")
        command_dir = work_dir / "command-clip"
        # Memory first, the command clip rendered alongside: the children then run while this
        # process is still small; the command rows next, before the throughput section pins it.
        pairs = memory_rows(settings, work_dir, {"render-command-clip": ["render", str(command_path), "--out",
                                                                          str(command_dir)]})
        command = command_rows(settings, command_dir / f"{COMMAND_CAMERA}.mp4", command_frames, work_dir)
        rows, rig, frames = throughput_rows(settings, work_dir)
    console.print(report_table(rows, command, pairs, settings))
    console.print(f"total benchmark time {time.perf_counter() - started:.0f} s", highlight=False)
    if args.profile:
        print_profiles(console, rig, frames, len(frames))
    return 0


if __name__ == "__main__":
    sys.exit(main())
