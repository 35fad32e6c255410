"""The notifier behind a real RabbitMQ: every event once, any starting order, per-match routing,
bad messages parked, clean stops."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pika
import pytest
import yaml

from broker.events import EXCHANGE
from broker.topology import PARKING_QUEUE, notify_queue, retry_queue, team_queue

ROOT = Path(__file__).resolve().parents[1]
BROKER_URL = "amqp://guest:guest@localhost:5672/%2F"
WAIT_S = 30.0
"""Longest wait for a notifier to be ready or for its lines to arrive (it is usually ~0.2 s)."""
POLL_S = 0.05
QUIET_S = 0.5
"""After the expected lines, a short look for any extra (doubled) line."""
STOP_WAIT_S = 10.0


def scenario_for_new_match(tmp_path: Path, away: str | None = None) -> tuple[Path, str]:
    """The clean goal under a match id no other test uses (its own notifier queue); `away`
    renames the away team."""
    match_id = f"test-{uuid.uuid4().hex[:12]}"
    document = yaml.safe_load((ROOT / "scenarios" / "clean_goal.yaml").read_text())
    document["match"]["id"] = match_id
    if away:
        document["match"]["away"] = away
    path = tmp_path / f"{match_id}.yaml"
    path.write_text(yaml.safe_dump(document))
    return path, match_id


class Notifier:
    """`python -m consumers notify` in a subprocess, its output lines collected as they come."""

    def __init__(self, *args: str):
        self.process = subprocess.Popen([sys.executable, "-m", "consumers", "notify", "--broker", BROKER_URL, *args],
                                        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.out: list[str] = []
        self.err: list[str] = []
        for stream, lines in ((self.process.stdout, self.out), (self.process.stderr, self.err)):
            threading.Thread(target=lambda source=stream, into=lines: into.extend(iter(source.readline, "")), daemon=True).start()
        assert self.wait_for(lambda: any("listening on" in line for line in self.err)), self.err

    def wait_for(self, condition, timeout_s: float = WAIT_S) -> bool:
        deadline = time.monotonic() + timeout_s
        while not condition():
            if time.monotonic() > deadline:
                return False
            time.sleep(POLL_S)
        return True

    def stop(self) -> tuple[int, str, str]:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=STOP_WAIT_S)
        time.sleep(POLL_S)  # the reader threads take the last lines
        return self.process.returncode, "".join(self.out), "".join(self.err)


def run_scenario(path: Path, events_out: Path) -> list[dict]:
    result = subprocess.run([sys.executable, "-m", "camera_sim", "run", str(path), "--broker", BROKER_URL,
                             "--events-out", str(events_out)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in events_out.read_text().splitlines()]


@pytest.fixture
def channel():
    connection = pika.BlockingConnection(pika.URLParameters(BROKER_URL))
    yield connection.channel()
    connection.close()


def delete_match_queue(channel, match_id: str) -> None:
    channel.queue_delete(notify_queue(match_id))
    channel.queue_delete(retry_queue(notify_queue(match_id)))


def expected_lines(events: list[dict]) -> list[str]:
    headline = {"goalline.match_started": "KICK-OFF", "goalline.goal": "GOAL",
                "goalline.no_goal": "NO GOAL", "goalline.match_ended": "FULL TIME"}
    return [headline[event["type"]] for event in events]


def settle(notifier: Notifier, expected: int) -> None:
    """Wait for the expected number of lines, then a moment more to catch a doubled one."""
    assert notifier.wait_for(lambda: len(notifier.out) >= expected), notifier.out
    time.sleep(QUIET_S)


def headlines(stdout: str) -> list[str]:
    return [line[:9].strip() for line in stdout.splitlines()]


def test_a_notifier_started_first_shows_every_event_once(tmp_path, channel):
    path, match_id = scenario_for_new_match(tmp_path)
    notifier = Notifier("--match", match_id)
    events = run_scenario(path, tmp_path / "events.jsonl")
    settle(notifier, len(events))
    status, out, err = notifier.stop()
    delete_match_queue(channel, match_id)
    assert status == 0 and "Traceback" not in err
    assert headlines(out) == expected_lines(events)
    assert "Rovers 1-0 United" in out and "over the line" in out


def test_a_notifier_started_after_the_match_still_gets_every_event(tmp_path, channel):
    path, match_id = scenario_for_new_match(tmp_path)
    events = run_scenario(path, tmp_path / "events.jsonl")
    notifier = Notifier("--match", match_id)
    settle(notifier, len(events))
    status, out, _ = notifier.stop()
    delete_match_queue(channel, match_id)
    assert status == 0
    assert headlines(out) == expected_lines(events)


def test_following_one_match_shows_none_of_another(tmp_path, channel):
    followed, followed_id = scenario_for_new_match(tmp_path)
    other, other_id = scenario_for_new_match(tmp_path)
    notifier = Notifier("--match", followed_id)
    run_scenario(other, tmp_path / "other.jsonl")
    events = run_scenario(followed, tmp_path / "followed.jsonl")
    settle(notifier, len(events))
    _, out, _ = notifier.stop()
    for match_id in (followed_id, other_id):
        delete_match_queue(channel, match_id)
    assert followed_id in out and other_id not in out
    assert headlines(out) == expected_lines(events)


def test_a_malformed_message_is_parked_and_the_next_event_still_shown(tmp_path, channel):
    path, match_id = scenario_for_new_match(tmp_path)
    notifier = Notifier("--match", match_id)
    marker = f"not-an-event-{uuid.uuid4().hex}"
    channel.basic_publish(EXCHANGE, f"match.{match_id}.goal", marker.encode(),
                          pika.BasicProperties(message_id=marker))
    events = run_scenario(path, tmp_path / "events.jsonl")
    settle(notifier, len(events))
    _, out, err = notifier.stop()
    delete_match_queue(channel, match_id)
    assert err.count(marker) == 1 and "not JSON" in err
    assert headlines(out) == expected_lines(events)
    parked = []
    while (message := channel.basic_get(PARKING_QUEUE, auto_ack=True))[0] is not None:
        parked.append(message[2])
    assert marker.encode() in parked


def test_an_unreachable_broker_makes_the_notifier_exit_3_with_one_line():
    result = subprocess.run([sys.executable, "-m", "consumers", "notify", "--broker", "amqp://u:pw@127.0.0.1:1/%2F"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60, env=os.environ.copy())
    assert result.returncode == 3
    assert len(result.stderr.splitlines()) == 1 and "127.0.0.1:1" in result.stderr and "pw" not in result.stderr


def test_without_a_broker_the_same_notifier_reads_the_camera_through_a_pipe():
    camera = subprocess.Popen([sys.executable, "-m", "camera_sim", "run", "scenarios/clean_goal.yaml", "--no-publish"],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    notifier = subprocess.run([sys.executable, "-m", "consumers", "notify", "--events-in", "-"], cwd=ROOT,
                              stdin=camera.stdout, capture_output=True, text=True, timeout=120)
    camera.wait()
    assert notifier.returncode == 0 and camera.returncode == 0
    assert headlines(notifier.stdout) == ["KICK-OFF", "GOAL", "FULL TIME"]


def test_following_a_team_shows_its_matches_home_or_away_and_no_other(tmp_path, channel):
    team = f"Team {uuid.uuid4().hex[:8]}"  # a team of the test's own: its queue is new
    away_game, away_id = scenario_for_new_match(tmp_path, away=team)
    other_game, other_id = scenario_for_new_match(tmp_path)
    notifier = Notifier("--team", team)
    run_scenario(other_game, tmp_path / "other.jsonl")
    events = run_scenario(away_game, tmp_path / "away.jsonl")
    settle(notifier, len(events))
    _, out, _ = notifier.stop()
    for match_id in (away_id, other_id):
        delete_match_queue(channel, match_id)
    channel.queue_delete(team_queue(team))
    channel.queue_delete(retry_queue(team_queue(team)))
    assert headlines(out) == expected_lines(events)
    assert team in out and other_id not in out
