"""Nothing lost, nothing doubled: a match played through a real RabbitMQ while something fails.

Each fault test plays the demo match (9 events over about 10 s) under a match id of its own,
with two consumers following it: the notifier (`notify --match ID --show-ids`) and the archiver
(`log FILE --match ID`). The fault strikes once the camera has decided its first events. At the
end every consumer must have seen every event the camera decided exactly once (by id), and the
camera's outbox must be empty.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pika
import pytest
import yaml

from broker.topology import archive_queue, notify_queue, retry_queue

ROOT = Path(__file__).resolve().parents[1]
BROKER_URL = "amqp://guest:guest@localhost:5672/%2F"
DEMO_EVENTS = 9
"""The demo match: kick-off, 7 decisions, full time."""
EVENTS_BEFORE_FAULT = 2
"""The fault strikes once the camera has decided this many events: mid-match, not before it."""
WAIT_S = 90.0
"""Longest wait for a process or for the consumers to catch up (a broker restart takes ~10 s)."""
POLL_S = 0.1
BROKER_DOWN_S = 3.0
"""How long the broker stays stopped: long enough for decisions to pile up in the outbox."""
CONSUMER_DOWN_S = 2.0
QUIET_S = 1.0
"""After the last expected event, a moment more to catch a doubled one."""

needs_rabbitmqctl = pytest.mark.skipif(shutil.which("rabbitmqctl") is None, reason="needs rabbitmqctl")


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=WAIT_S)


class Process:
    """A command of the project in a subprocess, its output lines collected as they come."""

    def __init__(self, *args: str):
        self.args = args
        self.process = subprocess.Popen([sys.executable, "-m", *args], cwd=ROOT, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
        self.out: list[str] = []
        self.err: list[str] = []
        for stream, lines in ((self.process.stdout, self.out), (self.process.stderr, self.err)):
            threading.Thread(target=lambda source=stream, into=lines: into.extend(iter(source.readline, "")),
                             daemon=True).start()

    def wait_for(self, condition, timeout_s: float = WAIT_S) -> bool:
        deadline = time.monotonic() + timeout_s
        while not condition():
            if time.monotonic() > deadline:
                return False
            time.sleep(POLL_S)
        return True

    def finish(self) -> int:
        status = self.process.wait(timeout=WAIT_S)
        time.sleep(POLL_S)  # the reader threads take the last lines
        return status

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.finish()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=WAIT_S)


class Match:
    """The demo match under a new id, its camera runs and its two consumers."""

    def __init__(self, tmp_path: Path):
        self.id = f"fault-{uuid.uuid4().hex[:12]}"
        document = yaml.safe_load((ROOT / "scenarios" / "demo_match.yaml").read_text())
        document["match"]["id"] = self.id
        self.scenario = tmp_path / f"{self.id}.yaml"
        self.scenario.write_text(yaml.safe_dump(document))
        self.state = tmp_path / "camera-state"
        self.archive = tmp_path / "archive.jsonl"
        self.consumer_state = tmp_path / "consumer-state"
        self.notifier = self.start_notifier()
        self.archiver = self.start_archiver()

    def start_notifier(self) -> Process:
        return self._consumer("notify", "--match", self.id, "--show-ids")

    def start_archiver(self) -> Process:
        return self._consumer("log", str(self.archive), "--match", self.id)

    def _consumer(self, *args: str) -> Process:
        consumer = Process("consumers", *args, "--broker", BROKER_URL, "--state-dir", str(self.consumer_state))
        assert consumer.wait_for(lambda: any("listening on" in line for line in consumer.err)), consumer.err
        return consumer

    def start_camera(self, events_out: Path) -> Process:
        return Process("camera_sim", "run", str(self.scenario), "--broker", BROKER_URL, "--state-dir", str(self.state),
                       "--events-out", str(events_out))

    def notified_ids(self) -> list[str]:
        found = (re.search(r"\[([0-9a-f-]{36})\]$", line.strip()) for line in self.notifier.out)
        return [match.group(1) for match in found if match]

    def archived_ids(self) -> list[str]:
        if not self.archive.exists():
            return []
        return [json.loads(line)["id"] for line in self.archive.read_text().splitlines()]

    def outbox_depth(self) -> int:
        with sqlite3.connect(self.state / "outbox.sqlite3") as database:
            return database.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]

    def assert_every_event_exactly_once(self, decided: list[str]) -> None:
        """Wait for both consumers to have every decided event, then check none came twice."""
        assert len(decided) == DEMO_EVENTS and len(set(decided)) == DEMO_EVENTS
        for name, seen in (("notifier", self.notified_ids), ("archiver", self.archived_ids)):
            assert self.notifier.wait_for(lambda seen=seen: set(decided) <= set(seen())), \
                (name, sorted(set(decided) - set(seen())), self.notifier.err, self.archiver.err)
        time.sleep(QUIET_S)
        for consumer in (self.notifier, self.archiver):
            assert consumer.stop() == 0 and "Traceback" not in "".join(consumer.err), consumer.err
        assert sorted(self.notified_ids()) == sorted(decided), "the notifier saw an event twice"
        assert sorted(self.archived_ids()) == sorted(decided), "the archiver saw an event twice"
        assert self.outbox_depth() == 0

    def clean_up(self) -> None:
        for consumer in (self.notifier, self.archiver):
            if consumer.process.poll() is None:
                consumer.kill()
        connection = pika.BlockingConnection(pika.URLParameters(BROKER_URL))
        channel = connection.channel()
        for queue in (notify_queue(self.id), archive_queue(self.id)):
            channel.queue_delete(queue)
            channel.queue_delete(retry_queue(queue))
        connection.close()


@pytest.fixture
def match(tmp_path):
    played = Match(tmp_path)
    yield played
    played.clean_up()


def decided_ids(events_out: Path) -> list[str]:
    return [json.loads(line)["id"] for line in events_out.read_text().splitlines()]


def play_with_fault(match: Match, tmp_path: Path, fault) -> list[str]:
    """Run the camera, strike with `fault()` mid-match, let it finish (exit 0); the decided ids."""
    events_out = tmp_path / "events.jsonl"
    camera = match.start_camera(events_out)
    assert camera.wait_for(lambda: len(camera.out) >= EVENTS_BEFORE_FAULT), camera.err
    assert camera.process.poll() is None, "the match ended before the fault"
    fault()
    assert camera.finish() == 0, camera.err
    assert "Traceback" not in "".join(camera.err)
    return decided_ids(events_out)


@needs_rabbitmqctl
def test_the_broker_stopped_mid_match_and_started_again_loses_and_doubles_nothing(match, tmp_path):
    def stop_and_start_the_broker():
        rabbitmqctl("stop_app")
        try:
            time.sleep(BROKER_DOWN_S)
        finally:
            rabbitmqctl("start_app")
            rabbitmqctl("await_startup")

    decided = play_with_fault(match, tmp_path, stop_and_start_the_broker)
    match.assert_every_event_exactly_once(decided)


@needs_rabbitmqctl
def test_connections_closed_by_the_broker_mid_publish_lose_and_double_nothing(match, tmp_path):
    def close_every_connection():
        rabbitmqctl("close_all_connections", "closed by a test")

    decided = play_with_fault(match, tmp_path, close_every_connection)
    match.assert_every_event_exactly_once(decided)


def test_the_camera_killed_mid_match_and_started_again_loses_and_doubles_nothing(match, tmp_path):
    killed = match.start_camera(tmp_path / "killed.jsonl")
    assert killed.wait_for(lambda: len(killed.out) >= EVENTS_BEFORE_FAULT), killed.err
    killed.kill()
    events_out = tmp_path / "events.jsonl"
    again = match.start_camera(events_out)
    assert again.finish() == 0, again.err
    decided = decided_ids(events_out)
    assert set(decided_ids(tmp_path / "killed.jsonl")) <= set(decided), "the same decisions, the same ids"
    match.assert_every_event_exactly_once(decided)


def test_consumers_killed_mid_stream_and_started_again_lose_and_double_nothing(match, tmp_path):
    def kill_and_restart_the_consumers():
        match.notifier.kill()
        match.archiver.kill()
        time.sleep(CONSUMER_DOWN_S)  # events go on arriving meanwhile: they wait in the queues
        earlier_lines = match.notifier.out
        match.notifier = match.start_notifier()
        match.notifier.out[:0] = earlier_lines  # what the killed notifier printed counts too
        match.archiver = match.start_archiver()

    decided = play_with_fault(match, tmp_path, kill_and_restart_the_consumers)
    match.assert_every_event_exactly_once(decided)


def test_wrong_credentials_are_not_retried_and_the_cause_is_named():
    started = time.monotonic()
    camera = Process("camera_sim", "run", "scenarios/clean_goal.yaml", "--broker",
                     "amqp://guest:wrong@localhost:5672/%2F")
    assert camera.finish() == 3
    lines = [line for line in camera.err if line.strip()]
    assert len(lines) == 1 and "after 1 attempt" in lines[0] and "AuthenticationError" in lines[0], lines
    assert time.monotonic() - started < WAIT_S
