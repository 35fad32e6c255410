"""The commands' behaviour beyond decisions: pacing, seeds, what goes to stdout."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CLEAN_GOAL = "scenarios/clean_goal.yaml"
TWO_SHOTS_APART_S = 6.0
"""Two short incidents 6 s apart on the match clock: at match pace the run waits out the gap."""


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "camera_sim", *args], cwd=ROOT, capture_output=True, text=True)


def two_rolls_apart(tmp_path: Path) -> Path:
    document = yaml.safe_load((ROOT / CLEAN_GOAL).read_text())
    roll = {"kind": "path", "goal": "north", "waypoints": [{"t_s": 0.0, "at_m": [0.0, -3.0, 0.11]},
                                                           {"t_s": 0.2, "at_m": [0.0, -2.0, 0.11]}]}
    document["timeline"] = [dict(roll, at="10:00"), dict(roll, at=f"10:{TWO_SHOTS_APART_S:02.0f}")]
    path = tmp_path / "two_rolls.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def timed_run(*args: str) -> tuple[float, subprocess.CompletedProcess]:
    started = time.monotonic()
    result = run(*args)
    return time.monotonic() - started, result


def test_realtime_waits_out_the_match_clock_between_incidents(tmp_path):
    scenario = str(two_rolls_apart(tmp_path))
    as_fast_as_it_can, fast = timed_run("run", scenario, "--no-publish")
    at_match_pace, paced = timed_run("run", scenario, "--no-publish", "--realtime")
    assert fast.returncode == paced.returncode == 0, paced.stderr
    assert as_fast_as_it_can < TWO_SHOTS_APART_S <= at_match_pace


def test_stdout_carries_exactly_the_events_written_to_events_out(tmp_path):
    events_out = tmp_path / "events.jsonl"
    result = run("run", CLEAN_GOAL, "--no-publish", "--events-out", str(events_out))
    assert result.returncode == 0, result.stderr
    assert result.stdout == events_out.read_text()
    kinds = [json.loads(line)["type"] for line in result.stdout.splitlines()]
    assert kinds == ["goalline.match_started", "goalline.goal", "goalline.match_ended"]


def test_the_summary_goes_to_stderr_with_the_truth_beside_each_decision():
    result = run("run", CLEAN_GOAL, "--no-publish")
    assert "Curler into the far corner" in result.stderr
    assert "yes" in result.stderr and "NO" not in result.stderr


def test_another_seed_changes_the_pixels_not_the_decision(tmp_path):
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    assert run("run", CLEAN_GOAL, "--no-publish", "--seed", "1", "--events-out", str(first)).returncode == 0
    assert run("run", CLEAN_GOAL, "--no-publish", "--seed", "99", "--events-out", str(second)).returncode == 0
    one, other = (json.loads(path.read_text().splitlines()[1])["data"] for path in (first, second))
    assert one["frame"] == other["frame"]
    measured = ("margin_px", "ball_radius_px", "crossing_video_time_s")
    assert [one[k] for k in measured] != [other[k] for k in measured]  # other noise, other sub-pixel fit
