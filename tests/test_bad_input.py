"""Bad input through the real CLI (CONTRACT section 1): exit 2, one line on stderr naming
the file and the field or line at fault, no traceback -- and never a wait for a broker."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
CLEAN_GOAL = REPO_ROOT / "scenarios" / "clean_goal.yaml"

BAD_INPUT = 2
CLI_TIMEOUT_S = 120
UNREACHABLE_BROKER = "amqp://guest:guest@127.0.0.1:1/%2F"
"""Nothing listens on port 1: a CLI that tried to connect would retry, then exit 3."""

CLIP_SIZE = (320, 240)
CLIP_FRAMES = 60
CLIP_FPS = 25
CLIP_KEEP_FRACTION = 0.6
"""A truncated clip keeps this share of the full clip's bytes."""
LINE_X = 160
BALL_RADIUS_PX = 10
BALL_STEP_PX = 6
VALID_CALIBRATION = {"goal_line": [[LINE_X, 0], [LINE_X, CLIP_SIZE[1]]], "goal_side": [LINE_X + 140, CLIP_SIZE[1] // 2]}


# --- helpers ---------------------------------------------------------------------------------


def run_cli(*args: str | Path) -> subprocess.CompletedProcess:
    """`python -m camera_sim ARGS` from the repository root, stdout and stderr captured."""
    return subprocess.run([sys.executable, "-m", "camera_sim", *map(str, args)], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=CLI_TIMEOUT_S)


def clean_goal() -> dict:
    return yaml.safe_load(CLEAN_GOAL.read_text(encoding="utf-8"))


def write_scenario(tmp_path: Path, change: Callable[[dict], None], name: str = "scenario.yaml") -> Path:
    """clean_goal.yaml with one thing changed by `change` (which edits the dict in place)."""
    document = copy.deepcopy(clean_goal())
    change(document)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def write_calibration(path: Path, text: str | None = None) -> Path:
    path.write_text(yaml.safe_dump(VALID_CALIBRATION) if text is None else text, encoding="utf-8")
    return path


def assert_bad_input(result: subprocess.CompletedProcess, path: Path, *fragments: str) -> str:
    """Exit 2, no traceback, exactly one line on stderr, naming `path` and holding every fragment."""
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    assert result.returncode == BAD_INPUT, f"exit {result.returncode}, stderr: {result.stderr!r}"
    lines = result.stderr.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}: {result.stderr!r}"
    line = lines[0]
    assert str(path) in line, line
    for fragment in fragments:
        assert fragment in line, line
    return line


def set_in(keys: tuple, value: object) -> Callable[[dict], None]:
    """A change that sets document[k1][k2]... = value."""
    def change(document: dict) -> None:
        target = document
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
    return change


def ball_frame(index: int) -> np.ndarray:
    """A grey pitch, a white line at LINE_X, a ball rolling right across it."""
    frame = np.full((CLIP_SIZE[1], CLIP_SIZE[0], 3), 60, np.uint8)
    frame[:, LINE_X - 4:LINE_X] = 255
    cv2.circle(frame, (20 + index * BALL_STEP_PX, CLIP_SIZE[1] // 2), BALL_RADIUS_PX, (210, 210, 210), -1)
    return frame


def frames_decoded(path: Path) -> int:
    capture = cv2.VideoCapture(str(path))
    count = 0
    while capture.read()[0]:
        count += 1
    capture.release()
    return count


@pytest.fixture
def full_clip(tmp_path: Path) -> Path:
    """A small real MJPG clip (AVI) that OpenCV reads back whole, with its default calibration."""
    path = tmp_path / "full.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), CLIP_FPS, CLIP_SIZE)
    assert writer.isOpened()
    for index in range(CLIP_FRAMES):
        writer.write(ball_frame(index))
    writer.release()
    assert frames_decoded(path) == CLIP_FRAMES
    write_calibration(path.with_suffix(".calib.yaml"))
    return path


@pytest.fixture
def truncated_clip(full_clip: Path) -> Path:
    """The full clip cut to CLIP_KEEP_FRACTION of its bytes, with the same calibration."""
    path = full_clip.with_name("cut.avi")
    data = full_clip.read_bytes()
    path.write_bytes(data[:int(len(data) * CLIP_KEEP_FRACTION)])
    write_calibration(path.with_suffix(".calib.yaml"))
    return path


# --- scenario --------------------------------------------------------------------------------


def test_missing_scenario_file(tmp_path):
    path = tmp_path / "nowhere.yaml"
    assert_bad_input(run_cli("run", path, "--no-publish"), path, "no such file")


def test_scenario_that_is_a_directory(tmp_path):
    assert_bad_input(run_cli("run", tmp_path, "--no-publish"), tmp_path, "directory")


def test_scenario_yaml_syntax_error_names_its_line(tmp_path):
    text = yaml.safe_dump(clean_goal(), sort_keys=False).replace("speed_mps: 27", "speed_mps: 27: 28")
    broken_line = next(n for n, line in enumerate(text.splitlines(), 1) if "27: 28" in line)
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    assert_bad_input(run_cli("run", path, "--no-publish"), path, f"line {broken_line}:", "invalid YAML")


def test_scenario_that_is_a_list_not_a_mapping(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text(yaml.safe_dump([clean_goal()]), encoding="utf-8")
    assert_bad_input(run_cli("run", path, "--no-publish"), path, "mapping")


def test_empty_scenario_file(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("", encoding="utf-8")
    assert_bad_input(run_cli("run", path, "--no-publish"), path, "mapping")


def test_scenario_unknown_field(tmp_path):
    path = write_scenario(tmp_path, set_in(("cameras", 0, "zoom"), 3))
    assert_bad_input(run_cli("run", path, "--no-publish"), path, "cameras[0].zoom:", "unknown field")


def test_scenario_wrong_type(tmp_path):
    path = write_scenario(tmp_path, set_in(("timeline", 0, "speed_mps"), "fast"))
    assert_bad_input(run_cli("run", path, "--no-publish"), path, "timeline[0].speed_mps:", "number")


def test_scenario_value_out_of_range(tmp_path):
    path = write_scenario(tmp_path, set_in(("timeline", 0, "speed_mps"), -3))
    assert_bad_input(run_cli("run", path, "--no-publish"), path, "timeline[0].speed_mps:", "greater than 0")


def test_scenario_missing_required_field(tmp_path):
    path = write_scenario(tmp_path, lambda document: document["match"].pop("id"))
    assert_bad_input(run_cli("run", path, "--no-publish"), path, "match.id:", "required")


def test_scenario_bad_match_clock(tmp_path):
    path = write_scenario(tmp_path, set_in(("timeline", 0, "at"), "12h30"))
    assert_bad_input(run_cli("run", path, "--no-publish"), path, "timeline[0].at:", "match clock")


def test_scenario_duplicate_camera_ids(tmp_path):
    path = write_scenario(tmp_path, lambda document: document["cameras"].append(dict(document["cameras"][0])))
    assert_bad_input(run_cli("run", path, "--no-publish"), path, "cameras[1].id", "already the id of cameras[0]")


def test_scenario_overlapping_incidents_at_one_goal(tmp_path):
    def second_shot_a_second_later(document: dict) -> None:
        document["timeline"].append(dict(document["timeline"][0], at="23:42"))  # the first lasts 1.6 s

    path = write_scenario(tmp_path, second_shot_a_second_later)
    assert_bad_input(run_cli("run", path, "--no-publish"), path, "timeline[1].at", "before timeline[0]")


def test_scenario_camera_resolution_too_small(tmp_path):
    path = write_scenario(tmp_path, set_in(("cameras", 0, "resolution_px"), [100, 100]))
    assert_bad_input(run_cli("run", path, "--no-publish"), path, "cameras[0].resolution_px:")


def test_scenario_camera_resolution_not_a_pair(tmp_path):
    path = write_scenario(tmp_path, set_in(("cameras", 0, "resolution_px"), "1080p"))
    assert_bad_input(run_cli("run", path, "--no-publish"), path, "cameras[0].resolution_px:")


def test_scenario_camera_placed_two_ways(tmp_path):
    def both(document: dict) -> None:
        document["cameras"][0].update(position_m=[10.0, -10.0, 8.0], distance_m=16.0)

    path = write_scenario(tmp_path, both)
    assert_bad_input(run_cli("run", path, "--no-publish"), path, "cameras[0]", "either position_m or")


def test_scenario_camera_lens_distortion_out_of_range(tmp_path):
    path = write_scenario(tmp_path, set_in(("cameras", 0, "distortion"), [3.0, 0.0, 0.0, 0.0]))
    assert_bad_input(run_cli("run", path, "--no-publish"), path, "cameras[0].distortion:")


def test_scenario_camera_in_the_stand_that_cannot_see_the_mouth(tmp_path):
    def looking_away(document: dict) -> None:
        document["cameras"].append({"id": "stand", "goal": "north", "position_m": [14.0, -12.0, 10.0],
                                    "look_at_m": [30.0, -12.0, 10.0]})

    path = write_scenario(tmp_path, looking_away)
    assert_bad_input(run_cli("run", path, "--no-publish"), path, "cameras[1].position_m", "cannot see the whole goal mouth")


# --- run: bad input is reported before any broker is tried -------------------------------------


def test_run_bad_scenario_fails_before_trying_the_broker(tmp_path):
    path = write_scenario(tmp_path, set_in(("timeline", 0, "speed_mps"), -3))
    result = run_cli("run", path, "--broker", UNREACHABLE_BROKER)
    assert_bad_input(result, path, "timeline[0].speed_mps:", "greater than 0")


def test_run_missing_scenario_fails_before_trying_the_broker(tmp_path):
    path = tmp_path / "nowhere.yaml"
    assert_bad_input(run_cli("run", path, "--broker", UNREACHABLE_BROKER), path, "no such file")


def test_video_bad_calibration_fails_before_trying_the_broker(full_clip, tmp_path):
    calib = write_calibration(tmp_path / "bad.calib.yaml", "goal_side: [300, 120]\n")
    result = run_cli("video", full_clip, "--calib", calib, "--broker", UNREACHABLE_BROKER)
    assert_bad_input(result, calib, "goal_line:", "required")


# --- calibration for video -------------------------------------------------------------------


def test_video_missing_default_calibration(full_clip):
    calib = full_clip.with_suffix(".calib.yaml")
    calib.unlink()
    assert_bad_input(run_cli("video", full_clip, "--no-publish"), calib, "no such file")


def test_video_missing_given_calibration(full_clip, tmp_path):
    calib = tmp_path / "nowhere.calib.yaml"
    assert_bad_input(run_cli("video", full_clip, "--calib", calib, "--no-publish"), calib, "no such file")


def test_video_calibration_yaml_syntax_error(full_clip, tmp_path):
    calib = write_calibration(tmp_path / "broken.calib.yaml", "goal_line: [[160, 0], [160, 240]]\ngoal_side: 300: 120\n")
    assert_bad_input(run_cli("video", full_clip, "--calib", calib, "--no-publish"), calib, "line 2:", "invalid YAML")


def test_video_calibration_without_goal_line(full_clip, tmp_path):
    calib = write_calibration(tmp_path / "no_line.calib.yaml", "goal_side: [300, 120]\n")
    assert_bad_input(run_cli("video", full_clip, "--calib", calib, "--no-publish"), calib, "goal_line:", "required")


def test_video_calibration_goal_line_points_identical(full_clip, tmp_path):
    calib = write_calibration(tmp_path / "point.calib.yaml", "goal_line: [[160, 0], [160, 0]]\ngoal_side: [300, 120]\n")
    assert_bad_input(run_cli("video", full_clip, "--calib", calib, "--no-publish"), calib, "goal_line", "apart")


def test_video_calibration_goal_side_on_the_line(full_clip, tmp_path):
    calib = write_calibration(tmp_path / "on_line.calib.yaml", "goal_line: [[160, 0], [160, 240]]\ngoal_side: [160, 120]\n")
    assert_bad_input(run_cli("video", full_clip, "--calib", calib, "--no-publish"), calib, "goal_side")


def test_video_calibration_coordinate_not_a_number(full_clip, tmp_path):
    calib = write_calibration(tmp_path / "text.calib.yaml", "goal_line: [[160, top], [160, 240]]\ngoal_side: [300, 120]\n")
    assert_bad_input(run_cli("video", full_clip, "--calib", calib, "--no-publish"), calib, "goal_line[0][1]:", "number")


def test_video_calibration_whose_line_misses_the_frame(full_clip, tmp_path):
    """The calibration of a larger clip: a line that cannot be crossed is bad input, not silence."""
    calib = write_calibration(tmp_path / "big.calib.yaml", "goal_line: [[1500, 0], [1500, 1079]]\ngoal_side: [1700, 500]\n")
    assert_bad_input(run_cli("video", full_clip, "--calib", calib, "--no-publish"), calib, "goal_line:", "outside")


def test_video_calibration_goal_line_not_a_pair_of_points(full_clip, tmp_path):
    calib = write_calibration(tmp_path / "word.calib.yaml", "goal_line: left\ngoal_side: [300, 120]\n")
    assert_bad_input(run_cli("video", full_clip, "--calib", calib, "--no-publish"), calib, "goal_line:")


def test_video_calibration_fps_not_a_number(full_clip, tmp_path):
    calib = write_calibration(tmp_path / "fps.calib.yaml", "goal_line: [[160, 0], [160, 240]]\ngoal_side: [300, 120]\nfps: fast\n")
    assert_bad_input(run_cli("video", full_clip, "--calib", calib, "--no-publish"), calib, "fps:", "number")


# --- clip for video --------------------------------------------------------------------------


def test_video_missing_clip(tmp_path):
    clip = tmp_path / "gone.mp4"
    write_calibration(clip.with_suffix(".calib.yaml"))
    assert_bad_input(run_cli("video", clip, "--no-publish"), clip, "no such file")


def test_video_missing_clip_without_calibration_names_the_clip(tmp_path):
    """The clip is what the user named: when it is missing, say so (not that its calibration is)."""
    clip = tmp_path / "gone.mp4"
    assert_bad_input(run_cli("video", clip, "--no-publish"), clip, "no such file")


def test_video_clip_of_random_bytes(tmp_path):
    clip = tmp_path / "x.mp4"
    clip.write_bytes(np.random.default_rng(7).integers(0, 256, 20_000, dtype=np.uint8).tobytes())
    write_calibration(clip.with_suffix(".calib.yaml"))
    assert_bad_input(run_cli("video", clip, "--no-publish"), clip)


def test_video_empty_clip(tmp_path):
    clip = tmp_path / "empty.mp4"
    clip.write_bytes(b"")
    write_calibration(clip.with_suffix(".calib.yaml"))
    assert_bad_input(run_cli("video", clip, "--no-publish"), clip)


def test_video_truncated_clip_exits_2_naming_file_and_frame(truncated_clip):
    result = run_cli("video", truncated_clip, "--no-publish")
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    assert result.returncode == BAD_INPUT, f"exit {result.returncode}, stderr: {result.stderr!r}"
    last = result.stderr.splitlines()[-1]
    assert re.match(rf"{re.escape(str(truncated_clip))}: frame \d+: ", last), last


def test_video_truncated_clip_writes_one_line_on_stderr(truncated_clip):
    assert_bad_input(run_cli("video", truncated_clip, "--no-publish"), truncated_clip, "frame ")


def test_video_truncated_clip_keeps_events_decided_before_the_cut(truncated_clip, tmp_path):
    events_out = tmp_path / "events.jsonl"
    result = run_cli("video", truncated_clip, "--no-publish", "--events-out", events_out)
    assert result.returncode == BAD_INPUT, result.stderr
    assert events_out.exists()
    events = [json.loads(line) for line in events_out.read_text(encoding="utf-8").splitlines()]
    # The whole ball is over the line from about frame (LINE_X + BALL_RADIUS_PX - 20) / BALL_STEP_PX = 25,
    # well before the cut (about frame 33): that goal was decided and must not be lost.
    assert "goalline.goal" in [event["type"] for event in events]
    assert all(event["data"]["frame"] < CLIP_FRAMES * CLIP_KEEP_FRACTION for event in events)
    assert events == [json.loads(line) for line in result.stdout.splitlines()]  # exactly as on stdout


# --- render, and one valid run ---------------------------------------------------------------


def test_render_bad_scenario(tmp_path):
    path = write_scenario(tmp_path, set_in(("timeline", 0, "speed_mps"), "fast"))
    out = tmp_path / "out"
    assert_bad_input(run_cli("render", path, "--out", out), path, "timeline[0].speed_mps:")
    assert not out.exists()  # nothing written for a scenario that is not valid


def test_valid_scenario_runs_without_publishing():
    result = run_cli("run", CLEAN_GOAL, "--no-publish")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


# --- values that parse but cannot be used, and command-line options ------------------------


def test_scenario_not_a_number_in_a_position(tmp_path):
    path = write_scenario(tmp_path, set_in(("timeline", 0, "from_m"), [float("nan"), -16.0, 0.11]))  # YAML .nan
    assert_bad_input(run_cli("run", path, "--no-publish"), path, "timeline[0].from_m[0]:", "finite")


def test_scenario_camera_looking_straight_down(tmp_path):
    path = write_scenario(tmp_path, set_in(("cameras", 0, "look_at_m"), [16.0, 0.0, 0.0]))
    assert_bad_input(run_cli("run", path, "--no-publish"), path, "cameras[0]", "look_at_m")


def test_scenario_negative_seed(tmp_path):
    path = write_scenario(tmp_path, set_in(("seed",), -1))
    assert_bad_input(run_cli("run", path, "--no-publish"), path, "seed:", "greater than or equal to 0")


def test_scenario_touch_after_the_incident_ends(tmp_path):
    path = write_scenario(tmp_path, set_in(("timeline", 0, "touches"), [{"after_s": 9.0, "velocity_mps": [0, -5, 1]}]))
    assert_bad_input(run_cli("run", path, "--no-publish"), path, "timeline[0]", "touches[0].after_s")


def test_calibration_not_a_number(full_clip, tmp_path):
    calib = write_calibration(tmp_path / "nan.calib.yaml", "goal_line: [[160, .nan], [160, 240]]\ngoal_side: [300, 120]\n")
    assert_bad_input(run_cli("video", full_clip, "--calib", calib, "--no-publish"), calib, "goal_line[0][1]:", "finite")


def test_events_out_in_a_folder_that_does_not_exist(tmp_path):
    events_out = tmp_path / "missing" / "events.jsonl"
    assert_bad_input(run_cli("run", CLEAN_GOAL, "--no-publish", "--events-out", events_out), events_out, "cannot write")


def test_match_id_that_would_break_routing_keys(full_clip):
    result = run_cli("video", full_clip, "--no-publish", "--match-id", "a.b#")
    assert result.returncode == BAD_INPUT and result.stderr.count("\n") == 1
    assert result.stderr.startswith("--match-id:")


def test_negative_seed_option_is_one_line():
    result = run_cli("run", CLEAN_GOAL, "--no-publish", "--seed", "-1")
    assert result.returncode == BAD_INPUT and result.stderr.count("\n") == 1 and "--seed" in result.stderr


# --- faults found by fuzzing (tests/test_fuzz_inputs.py) --------------------------------------------


ALIAS_BOMB_LEVELS = 9
ALIAS_BOMB_WIDTH = 10
"""10**9 leaves if anything expanded the aliases: hours and gigabytes, where sharing takes microseconds."""
ALIAS_BOMB_TIME_LIMIT_S = 30.0
"""The CLI's start-up included; expanding the bomb would take far longer."""
TOO_DEEP = 100_000
"""Nesting far past Python's recursion limit."""


def scenario_text_with_name(tmp_path: Path, name_yaml: str) -> tuple[Path, int]:
    """clean_goal.yaml with `name_yaml` written as the value of `name`; the file and that line's number."""
    text = yaml.safe_dump(clean_goal(), sort_keys=False)
    path = tmp_path / "scenario.yaml"
    path.write_text(text.replace("name: Clean goal", f"name: {name_yaml}"), encoding="utf-8")
    return path, next(n for n, line in enumerate(text.splitlines(), 1) if line.startswith("name:"))


@pytest.mark.parametrize("value, fragment", [
    pytest.param("2026-02-30", "day is out of range", id="a date no calendar has"),  # was ValueError
    pytest.param("!!bool maybe", "maybe", id="a tag its value does not fit"),  # was KeyError
    pytest.param("9" * 5000, "digits", id="an integer too long for Python"),  # was ValueError
])
def test_scenario_value_yaml_cannot_build_names_its_line(tmp_path, value, fragment):
    path, line = scenario_text_with_name(tmp_path, value)
    assert_bad_input(run_cli("run", path, "--no-publish"), path, f"line {line}:", "cannot read this value", fragment)


def test_scenario_nested_too_deeply_names_its_line(tmp_path):
    """Was a RecursionError traceback from PyYAML's recursive composer."""
    path, line = scenario_text_with_name(tmp_path, "[" * TOO_DEEP + "]" * TOO_DEEP)
    assert_bad_input(run_cli("run", path, "--no-publish"), path, f"line {line}:", "nested deeper than")


def test_scenario_control_character_is_reported_in_one_line_with_its_line(tmp_path):
    """Was PyYAML's two-line message ('... position N')."""
    path, line = scenario_text_with_name(tmp_path, "Clean\x00goal")
    assert_bad_input(run_cli("run", path, "--no-publish"), path, f"line {line}:", "#x0000")


def test_scenario_key_with_a_line_break_is_named_in_one_line(tmp_path):
    """The file's own text is quoted in the error: its line breaks must not split the line."""
    path = write_scenario(tmp_path, set_in(("match", "two\nlines"), 1))
    assert_bad_input(run_cli("run", path, "--no-publish"), path, "match.two\\nlines:", "unknown field")


def test_scenario_empty_key_is_named(tmp_path):
    path = write_scenario(tmp_path, set_in(("match", ""), 1))
    assert_bad_input(run_cli("run", path, "--no-publish"), path, "match.'':", "unknown field")


def test_scenario_alias_bomb_as_an_incident_kind_is_refused_at_once(tmp_path):
    """pydantic quoted the kind in its error, expanding all 10**9 leaves: the run never ended."""
    levels = ["&l0 [" + ", ".join(["lol"] * ALIAS_BOMB_WIDTH) + "]"]
    levels += [f"&l{n} [" + ", ".join([f"*l{n - 1}"] * ALIAS_BOMB_WIDTH) + "]" for n in range(1, ALIAS_BOMB_LEVELS + 1)]
    text = yaml.safe_dump(clean_goal(), sort_keys=False).replace("kind: shot", f"kind: [{', '.join(levels)}]")
    path = tmp_path / "bomb.yaml"
    path.write_text(text, encoding="utf-8")
    started = time.monotonic()
    result = run_cli("run", path, "--no-publish")
    assert time.monotonic() - started < ALIAS_BOMB_TIME_LIMIT_S
    assert_bad_input(result, path, "timeline[0]:", "kind must be 'shot' or 'path'")


def test_video_calibration_too_large_to_compute_with(full_clip, tmp_path):
    """Points near the largest float: their distance overflows. Was accepted, then reported as a line
    'outside the frame'."""
    calib = write_calibration(tmp_path / "far.calib.yaml", "goal_line: [[-1e308, 0], [1e308, 240]]\ngoal_side: [300, 120]\n")
    assert_bad_input(run_cli("video", full_clip, "--calib", calib, "--no-publish"), calib, "goal_line:", "too large")


def test_scenario_key_given_twice_is_refused_naming_both_lines(tmp_path):
    """The second copy used to win silently: a pasted block could replace a whole incident's settings."""
    text = yaml.safe_dump(clean_goal(), sort_keys=False)
    text = text.replace("match:\n", "match:\n  home: Typo FC\n", 1)
    path = tmp_path / "twice.yaml"
    path.write_text(text, encoding="utf-8")
    first = text.splitlines().index("  home: Typo FC") + 1
    assert_bad_input(run_cli("run", path, "--no-publish"), path, "duplicate key 'home'", f"first on line {first}")
