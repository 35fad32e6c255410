"""`run` publishes its events through a real RabbitMQ (localhost:5672, guest/guest)."""

from __future__ import annotations

import json
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


def test_an_unreachable_broker_exits_3_with_one_line_naming_the_url_without_its_password():
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "camera_sim", "run", "scenarios/clean_goal.yaml",
                             "--broker", UNREACHABLE_URL], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 3
    assert time.monotonic() - started < MAX_UNREACHABLE_S
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "127.0.0.1:1" in lines[0] and "secret" not in lines[0]
