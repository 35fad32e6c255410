"""The load command end to end, small: several camera processes, competing notifiers and an
archiver through the real broker; it must find nothing lost and nothing doubled."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LOAD_TIMEOUT_S = 300


@pytest.mark.skipif(shutil.which("rabbitmqctl") is None, reason="the load command makes a vhost with rabbitmqctl")
def test_a_small_load_loses_and_doubles_nothing_and_reports_its_figures():
    result = subprocess.run([sys.executable, "bench/load.py", "--scenario", "scenarios/clean_goal.yaml",
                             "--matches", "12", "--duration", "2", "--cameras", "2", "--notifiers", "2"],
                            cwd=ROOT, capture_output=True, text=True, timeout=LOAD_TIMEOUT_S)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "nothing lost, nothing doubled" in result.stdout
    for figure in ("events/s", "latency p99 ms", "deepest outbox", "peak memory per camera process"):
        assert figure in result.stdout
    assert re.search(r"events decided \(expected at each consumer\)\s*│\s*36\s*│", result.stdout), \
        "12 matches x 3 events expected at each consumer"
