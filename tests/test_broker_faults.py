"""When the broker refuses or goes away: exit 3 and one line, never a traceback or a hang."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pika
import pytest

from broker.topology import notify_queue

ROOT = Path(__file__).resolve().parents[1]
BROKER_URL = "amqp://guest:guest@localhost:5672/%2F"
BROKER_GONE = 3
DEADLINE_S = 60.0
RUNNING_BEFORE_CLOSE_S = 2.0
"""The demo match takes several seconds: close the connections while it is publishing."""

needs_rabbitmqctl = pytest.mark.skipif(shutil.which("rabbitmqctl") is None, reason="needs rabbitmqctl")


def close_all_connections() -> None:
    subprocess.run(["rabbitmqctl", "-q", "close_all_connections", "closed by a test"], check=True,
                   capture_output=True)


def start(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", *args], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def assert_one_line_exit_3(process: subprocess.Popen, *fragments: str) -> None:
    _, err = process.communicate(timeout=DEADLINE_S)
    assert process.returncode == BROKER_GONE, err
    lines = [line for line in err.splitlines() if not line.startswith("listening on")]
    assert len(lines) == 1 and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in lines[0]


@needs_rabbitmqctl
def test_a_connection_closed_by_the_broker_mid_run_ends_the_camera_with_exit_3():
    camera = start("camera_sim", "run", "scenarios/demo_match.yaml", "--broker", BROKER_URL)
    time.sleep(RUNNING_BEFORE_CLOSE_S)
    assert camera.poll() is None, "the run ended before the broker could be taken away"
    close_all_connections()
    assert_one_line_exit_3(camera, "broker connection lost")


@needs_rabbitmqctl
def test_a_connection_closed_by_the_broker_ends_the_notifier_with_exit_3():
    match_id = f"fault-{uuid.uuid4().hex[:12]}"  # a queue of its own: nothing else to print meanwhile
    notifier = start("consumers", "notify", "--broker", BROKER_URL, "--match", match_id)
    time.sleep(RUNNING_BEFORE_CLOSE_S)
    close_all_connections()
    assert_one_line_exit_3(notifier, "went away")
    connection = pika.BlockingConnection(pika.URLParameters(BROKER_URL))
    connection.channel().queue_delete(notify_queue(match_id))
    connection.close()


def test_wrong_credentials_are_not_retried_and_the_cause_is_named():
    started = time.monotonic()
    camera = start("camera_sim", "run", "scenarios/clean_goal.yaml", "--broker", "amqp://guest:wrong@localhost:5672/%2F")
    assert_one_line_exit_3(camera, "after 1 attempt", "AuthenticationError")
    assert time.monotonic() - started < DEADLINE_S
