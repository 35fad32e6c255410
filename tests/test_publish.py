"""`run` publishes its events through a real RabbitMQ (localhost:5672, guest/guest)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pika
import pytest

from broker.events import CONTENT_TYPE, EXCHANGE

ROOT = Path(__file__).resolve().parents[1]
BROKER_URL = "amqp://guest:guest@localhost:5672/%2F"
UNREACHABLE_URL = "amqp://guest:secret@127.0.0.1:1/%2F"
MAX_UNREACHABLE_S = 30.0


@pytest.fixture
def bound_queue():
    """An exclusive queue bound to every event of the clean-goal match."""
    connection = pika.BlockingConnection(pika.URLParameters(BROKER_URL))
    channel = connection.channel()
    channel.exchange_declare(EXCHANGE, exchange_type="topic", durable=True)
    queue = channel.queue_declare(f"test.publish.{uuid.uuid4().hex}", exclusive=True).method.queue
    channel.queue_bind(queue, EXCHANGE, routing_key="match.clean-goal.*")
    yield channel, queue
    connection.close()


def drain(channel, queue: str) -> list[tuple]:
    messages = []
    while (message := channel.basic_get(queue, auto_ack=True))[0] is not None:
        messages.append(message)
    return messages


def test_run_publishes_each_event_with_the_contract_properties(bound_queue, tmp_path):
    channel, queue = bound_queue
    events_out = tmp_path / "events.jsonl"
    result = subprocess.run([sys.executable, "-m", "camera_sim", "run", "scenarios/clean_goal.yaml",
                             "--broker", BROKER_URL, "--events-out", str(events_out)],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    lines = events_out.read_text().splitlines()
    written = [json.loads(line) for line in lines]
    received = drain(channel, queue)
    assert [body.decode() for _, _, body in received] == lines  # exactly as written, byte for byte
    assert [event["type"] for event in written] == ["goalline.match_started", "goalline.goal", "goalline.match_ended"]
    for (method, properties, _), event in zip(received, written):
        assert method.routing_key == f"match.clean-goal.{event['type'].removeprefix('goalline.')}"
        assert properties.content_type == CONTENT_TYPE
        assert properties.delivery_mode == 2
        assert properties.message_id == event["id"]
        assert properties.headers == {"home": "Rovers", "away": "United"}  # for the teams' headers exchange


def test_an_unreachable_broker_keeps_the_events_in_the_outbox_and_exits_3_naming_the_url_without_its_password(
        own_state_dir):
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "camera_sim", "run", "scenarios/clean_goal.yaml",
                             "--broker", UNREACHABLE_URL, "--flush-timeout", "0"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 3
    assert time.monotonic() - started < MAX_UNREACHABLE_S
    decided = [json.loads(line)["id"] for line in result.stdout.splitlines()]
    assert len(decided) == 3, "the camera decides on without a broker"
    assert waiting_ids(own_state_dir) == decided
    last = result.stderr.splitlines()[-1]
    assert "127.0.0.1:1" in last and "3 events" in last and "outbox" in last
    assert "secret" not in result.stderr and "Traceback" not in result.stderr


def test_events_left_in_the_outbox_are_published_by_the_next_run(own_state_dir, bound_queue):
    channel, queue = bound_queue
    first = subprocess.run([sys.executable, "-m", "camera_sim", "run", "scenarios/clean_goal.yaml",
                            "--broker", UNREACHABLE_URL, "--flush-timeout", "0"],
                            cwd=ROOT, capture_output=True, text=True)
    assert first.returncode == 3 and len(waiting_ids(own_state_dir)) == 3
    second = subprocess.run([sys.executable, "-m", "camera_sim", "render", "scenarios/clean_goal.yaml", "--out",
                             str(own_state_dir / "clip")], cwd=ROOT, capture_output=True, text=True)
    assert second.returncode == 0
    video = subprocess.run([sys.executable, "-m", "camera_sim", "video", str(own_state_dir / "clip" / "north-gl.mp4"),
                            "--match-id", "other-match", "--broker", BROKER_URL],
                           cwd=ROOT, capture_output=True, text=True)
    assert video.returncode == 0, video.stderr
    assert "3 events of an earlier run" in video.stderr
    published = {message[1].message_id for message in drain(channel, queue)}
    assert published == {json.loads(line)["id"] for line in first.stdout.splitlines()}
    assert waiting_ids(own_state_dir) == []


def test_a_reader_of_stdout_that_goes_away_ends_stdout_not_the_match(own_state_dir, bound_queue):
    channel, queue = bound_queue
    camera = subprocess.Popen([sys.executable, "-m", "camera_sim", "run", "scenarios/clean_goal.yaml",
                               "--broker", BROKER_URL], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    camera.stdout.readline()  # the kick-off, then the reader leaves (as `| head -1` does)
    camera.stdout.close()
    _, err = camera.communicate(timeout=MAX_UNREACHABLE_S)
    assert camera.returncode == 0 and b"Traceback" not in err and b"BrokenPipe" not in err, err
    assert len(drain(channel, queue)) == 3, "every event still published"


def waiting_ids(state_dir: Path) -> list[str]:
    """The ids in a state folder's outbox, oldest first."""
    with sqlite3.connect(state_dir / "outbox.sqlite3") as database:
        return [row[0] for row in database.execute("SELECT event_id FROM outbox ORDER BY seq")]
