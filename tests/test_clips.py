"""`video` judges any clip OpenCV can decode (README, CONTRACT section 1): every container and
codec this OpenCV build writes, 640x480 to 1920x1080, 25 to 500 frames/s, colour or grey.

The clips are made here: a short scenario is rendered (`python -m camera_sim render`), its
frames are re-encoded with cv2.VideoWriter into another container, codec, size or colour, a
calibration (CONTRACT section 2) is written to match, and `video`'s calls are held against the
physics' truth in truth.json.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import cv2
import pytest
import yaml

from camera_sim.truth_check import FRAME_TOLERANCE

ROOT = Path(__file__).resolve().parents[1]
CLI_TIMEOUT_S = 120
BAD_INPUT = 2

RATE_FPS = 250
"""The rate of the clips of the codec, size and grey tests (the scenario's default)."""
SHOT = {
    "at": "23:41", "kind": "shot", "goal": "north", "label": "Drive from 8 m",
    "from_m": [2.0, -8.0, 0.11], "speed_mps": 27, "aim_m": [-2.6, 0.0, 1.2], "spin_radps": [0, 0, -8],
}
"""clean_goal.yaml's curler struck from 8 m instead of 16: the whole ball is over about 0.37 s
after the strike, so clips of 0.6 s hold the crossing and the ball at rest in the net."""
SHORT_S = 0.6
SHORT_AT_25_FPS_S = 1.0
"""At 25 frames/s, 0.6 s would be 15 frames: no more than the background learns from."""
CUT_KEEP_FRACTION = 0.85
"""A cut clip keeps this share of its bytes: the goal (at about 62 % of the clip) comes before the cut."""


# --- making clips ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    """One camera's clip from `render`, its calibration and the truth's one expected call."""

    clip: Path
    calibration: dict
    call: dict

    @property
    def fps(self) -> float:
        return float(self.calibration["fps"])


def render_short_goal(directory: Path, fps: float, resolution: tuple[int, int],
                      duration_s: float = SHORT_S) -> Rendered:
    """`python -m camera_sim render` of a one-camera scenario holding SHOT only."""
    scenario = {
        "name": "Short goal", "seed": 1,
        "match": {"id": "clips", "home": "Rovers", "away": "United", "kick_off": "2026-08-15T15:00:00Z"},
        "cameras": [{"id": "cam", "goal": "north", "fps": fps, "resolution_px": list(resolution)}],
        "timeline": [SHOT | {"duration_s": duration_s}],
    }
    path = directory / "scenario.yaml"
    path.write_text(yaml.safe_dump(scenario, sort_keys=False), encoding="utf-8")
    out = directory / "render"
    subprocess.run([sys.executable, "-m", "camera_sim", "render", str(path), "--out", str(out)],
                   cwd=ROOT, check=True, capture_output=True, timeout=CLI_TIMEOUT_S)
    (call,) = json.loads((out / "truth.json").read_text(encoding="utf-8"))["cameras"]["cam"]
    assert call["kind"] == "goal", call
    calibration = yaml.safe_load((out / "cam.calib.yaml").read_text(encoding="utf-8"))
    return Rendered(out / "cam.mp4", calibration, call)


def writer_or_skip(clip: Path, fourcc: str, fps: float, size: tuple[int, int], colour: bool = True) -> cv2.VideoWriter:
    """An open VideoWriter; H.264 only where this OpenCV build has an encoder for it (else skip)."""
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*fourcc), fps, size, colour)
    if not writer.isOpened():
        if fourcc in ("avc1", "H264"):
            pytest.skip(f"this OpenCV build ({cv2.__version__}) cannot write H.264 ({fourcc}) into {clip.suffix}")
        pytest.fail(f"OpenCV cannot write {fourcc} into {clip.suffix}")
    return writer


def reencode(source: Rendered, clip: Path, fourcc: str, *, fps: float | None = None, scale: float = 1.0,
             colour: bool = True) -> Path:
    """Every frame of `source` into `clip` (container from its suffix), resized by `scale`, at
    `fps` (default: the source's), grey if not `colour`; returns `clip`."""
    capture = cv2.VideoCapture(str(source.clip))
    width, height = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
    size = (round(width * scale), round(height * scale))
    writer = writer_or_skip(clip, fourcc, fps or source.fps, size, colour)
    written = 0
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        if size != (width, height):
            frame = cv2.resize(frame, size, interpolation=cv2.INTER_LINEAR)
        writer.write(frame if colour else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))
        written += 1
    writer.release()
    capture.release()
    assert written == source.call["last_frame"] + 1, "the source clip did not decode whole"
    return clip


def write_calibration(clip: Path, source: Rendered, scale: float = 1.0, fps: float | None = None) -> Path:
    """The source's calibration for `clip` (its default path), its pixel points scaled with the
    frame (pixel centres: x' = (x + 0.5) * s - 0.5); `fps` only when given (else the container's)."""
    def scaled(point):
        return [(value + 0.5) * scale - 0.5 for value in point]

    calibration = {"goal_line": [scaled(p) for p in source.calibration["goal_line"]],
                   "goal_side": scaled(source.calibration["goal_side"]),
                   "ball_diameter_m": source.calibration["ball_diameter_m"]}
    if fps is not None:
        calibration["fps"] = fps
    path = clip.with_suffix(".calib.yaml")
    path.write_text(yaml.safe_dump(calibration, sort_keys=False), encoding="utf-8")
    return path


def container_fps(clip: Path) -> float:
    capture = cv2.VideoCapture(str(clip))
    fps = capture.get(cv2.CAP_PROP_FPS)
    capture.release()
    return fps


def first_frame(clip: Path):
    capture = cv2.VideoCapture(str(clip))
    ok, frame = capture.read()
    capture.release()
    assert ok, clip
    return frame


def cut(clip: Path, name: str, keep_fraction: float = CUT_KEEP_FRACTION) -> Path:
    """A copy of `clip` holding only the first `keep_fraction` of its bytes, with its calibration."""
    path = clip.with_name(name)
    data = clip.read_bytes()
    path.write_bytes(data[:int(len(data) * keep_fraction)])
    calibration = clip.with_suffix(".calib.yaml").read_text(encoding="utf-8")
    path.with_suffix(".calib.yaml").write_text(calibration, encoding="utf-8")
    return path


# --- judging clips ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Judged:
    result: subprocess.CompletedProcess
    events: list[dict]
    """What --events-out holds afterwards ([] if it was never written)."""


def judge(clip: Path) -> Judged:
    """`python -m camera_sim video CLIP --no-publish --events-out ...` (the default calibration path)."""
    events_out = clip.with_name(clip.name + ".events.jsonl")
    result = subprocess.run([sys.executable, "-m", "camera_sim", "video", str(clip), "--no-publish",
                             "--events-out", str(events_out)],
                            cwd=ROOT, capture_output=True, text=True, timeout=CLI_TIMEOUT_S)
    assert "Traceback" not in result.stderr, result.stderr
    lines = events_out.read_text(encoding="utf-8").splitlines() if events_out.exists() else []
    events = [json.loads(line) for line in lines]
    return Judged(result, events)


def calls_of(judged: Judged) -> list[dict]:
    assert judged.result.returncode == 0, judged.result.stderr
    return [event["data"] | {"kind": event["type"].removeprefix("goalline.")} for event in judged.events]


def assert_the_true_call(calls: list[dict], truth: dict) -> None:
    """One call, of the truth's kind, at the truth's frame within FRAME_TOLERANCE."""
    assert [call["kind"] for call in calls] == [truth["kind"]], calls
    assert abs(calls[0]["frame"] - truth["frame_index"]) <= FRAME_TOLERANCE, (calls[0]["frame"], truth["frame_index"])


# --- fixtures: each scenario rendered once ----------------------------------------------------


@pytest.fixture(scope="module")
def vga(tmp_path_factory) -> Rendered:
    """640x480 at 250 frames/s: the source of the codec, container, grey and cut clips."""
    return render_short_goal(tmp_path_factory.mktemp("vga"), RATE_FPS, (640, 480))


@pytest.fixture(scope="module")
def wide(tmp_path_factory) -> Rendered:
    """640x360 (16:9) at 250 frames/s: scaled by 3 it is 1920x1080."""
    return render_short_goal(tmp_path_factory.mktemp("wide"), RATE_FPS, (640, 360))


# --- containers and codecs -------------------------------------------------------------------


@pytest.mark.parametrize("suffix, fourcc", [
    (".mp4", "mp4v"), (".avi", "MJPG"), (".mkv", "MJPG"), (".avi", "XVID"), (".mkv", "XVID"),
    (".mp4", "avc1"), (".mkv", "H264"),
])
def test_a_640x480_clip_in_any_container_and_codec_gets_the_true_call(vga, tmp_path, suffix, fourcc):
    clip = reencode(vga, tmp_path / f"cam{suffix}", fourcc)
    write_calibration(clip, vga)
    assert_the_true_call(calls_of(judge(clip)), vga.call)


# --- sizes -----------------------------------------------------------------------------------


def test_a_1920x1080_clip_gets_the_true_call_with_its_scaled_calibration(wide, tmp_path):
    clip = reencode(wide, tmp_path / "cam.mp4", "mp4v", scale=3.0)
    assert first_frame(clip).shape[:2] == (1080, 1920)
    write_calibration(clip, wide, scale=3.0)
    assert_the_true_call(calls_of(judge(clip)), wide.call)


# --- frame rates -----------------------------------------------------------------------------


@pytest.mark.parametrize("fps, duration_s, suffix, fourcc", [
    (25, SHORT_AT_25_FPS_S, ".avi", "MJPG"),
    (500, SHORT_S, ".mkv", "XVID"),
])
def test_the_container_frame_rate_from_25_to_500_fps_times_the_true_call(tmp_path, fps, duration_s, suffix, fourcc):
    """No fps in the calibration: the container's rate turns frames into video times."""
    rendered = render_short_goal(tmp_path, fps, (640, 480), duration_s)
    clip = reencode(rendered, tmp_path / f"cam{suffix}", fourcc)
    assert container_fps(clip) == pytest.approx(fps)
    write_calibration(clip, rendered)
    calls = calls_of(judge(clip))
    assert_the_true_call(calls, rendered.call)
    assert calls[0]["video_time_s"] == pytest.approx(calls[0]["frame"] / fps, abs=1e-3)


def test_the_calibration_fps_overrides_the_container_frame_rate(vga, tmp_path):
    """250 frames/s filmed, the container says 25: the calibration's fps: 250 is what counts."""
    clip = reencode(vga, tmp_path / "cam.avi", "MJPG", fps=25)
    assert container_fps(clip) == pytest.approx(25)
    write_calibration(clip, vga, fps=RATE_FPS)
    calls = calls_of(judge(clip))
    assert_the_true_call(calls, vga.call)
    assert calls[0]["video_time_s"] == pytest.approx(calls[0]["frame"] / RATE_FPS, abs=1e-3)
    assert calls[0]["crossing_video_time_s"] == pytest.approx(vga.call["crossings_s"][0], abs=1 / RATE_FPS)


# --- grey ------------------------------------------------------------------------------------


def test_a_grey_clip_gets_the_true_call(vga, tmp_path):
    clip = reencode(vga, tmp_path / "cam.avi", "MJPG", colour=False)
    frame = first_frame(clip).astype(int)
    assert (frame[..., 0] == frame[..., 1]).all() and (frame[..., 1] == frame[..., 2]).all(), "not a grey clip"
    write_calibration(clip, vga)
    assert_the_true_call(calls_of(judge(clip)), vga.call)


# --- clips cut short (tests/test_bad_input.py has the MJPG .avi of a synthetic ball) ---------


@pytest.fixture(scope="module", params=[(".mkv", "MJPG"), (".avi", "XVID")], ids=lambda p: f"{p[0][1:]}-{p[1]}")
def cut_after_the_goal(request, vga, tmp_path_factory) -> tuple[Path, Judged]:
    """The clip cut at CUT_KEEP_FRACTION of its bytes (after the goal), and `video`'s run on it."""
    suffix, fourcc = request.param
    whole = reencode(vga, tmp_path_factory.mktemp("cut") / f"whole{suffix}", fourcc)
    write_calibration(whole, vga)
    clip = cut(whole, f"cut{suffix}")
    return clip, judge(clip)


def test_a_clip_cut_short_exits_2_with_one_line_naming_the_file_and_the_frame(cut_after_the_goal):
    clip, judged = cut_after_the_goal
    assert judged.result.returncode == BAD_INPUT, judged.result.stderr
    lines = judged.result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert re.match(rf"{re.escape(str(clip))}: frame \d+: ", lines[0]), lines[0]


def test_a_clip_cut_short_keeps_the_goal_decided_before_the_cut(cut_after_the_goal, vga):
    clip, judged = cut_after_the_goal
    cut_at_frame = int(re.search(r": frame (\d+): ", judged.result.stderr).group(1))
    assert vga.call["frame_index"] + FRAME_TOLERANCE < cut_at_frame, "the cut came before the goal"
    calls = [event["data"] | {"kind": event["type"].removeprefix("goalline.")} for event in judged.events]
    assert_the_true_call(calls, vga.call)


def test_an_mp4_cut_short_is_bad_input_naming_the_file(vga, tmp_path):
    """OpenCV writes the .mp4 index (moov) last: a cut .mp4 has no decodable frame at all."""
    whole = reencode(vga, tmp_path / "whole.mp4", "mp4v")
    write_calibration(whole, vga)
    clip = cut(whole, "cut.mp4")
    result = judge(clip).result
    assert result.returncode == BAD_INPUT, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{clip}: "), lines
