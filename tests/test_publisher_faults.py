"""The publisher when the broker takes an event but will not keep it: a refusal (nack) and an
unroutable event (returned). Each runs in a vhost of its own, so the test may break the topology."""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from datetime import datetime, timezone

import pika
import pytest

from broker.events import cloud_event
from broker.outbox import open_outbox
from broker.publisher import NACK_RETRY_DELAY_S, OutboxPublisher
from broker.topology import NOTIFY_QUEUE, notify_queue

WAIT_S = 20.0
REFUSED_FOR_S = 2.5
"""How long the broker keeps refusing: long enough for two re-offers at NACK_RETRY_DELAY_S."""

pytestmark = pytest.mark.skipif(shutil.which("rabbitmqctl") is None, reason="makes a vhost with rabbitmqctl")


@pytest.fixture
def vhost_url():
    name = f"goalline-test-{uuid.uuid4().hex[:8]}"
    subprocess.run(["rabbitmqctl", "-q", "add_vhost", name], check=True, capture_output=True)
    subprocess.run(["rabbitmqctl", "-q", "set_permissions", "-p", name, "guest", ".*", ".*", ".*"], check=True,
                   capture_output=True)
    yield f"amqp://guest:guest@localhost:5672/{name}"
    subprocess.run(["rabbitmqctl", "-q", "delete_vhost", name], capture_output=True)


def goal(match_id: str) -> tuple[dict, bytes]:
    data = {"match_id": match_id, "camera_id": "north-gl", "frame": 7, "video_time_s": 0.028, "margin_m": 0.02}
    event = cloud_event("goal", match_id, "/test", datetime.now(timezone.utc), data, (match_id, "goal"))
    return event, b'{"test": true}'


def test_an_event_the_broker_refuses_is_offered_again_after_a_pause_until_it_is_taken(vhost_url, tmp_path):
    said: list[str] = []
    publisher = OutboxPublisher(vhost_url, open_outbox(tmp_path), ("m1",), log=said.append)
    connection = pika.BlockingConnection(pika.URLParameters(vhost_url))
    channel = connection.channel()
    refusing = channel.queue_declare("goalline.test.full", arguments={"x-max-length": 0,
                                                                       "x-overflow": "reject-publish"}).method.queue
    channel.queue_bind(refusing, "goalline.events", "match.m1.*")  # every event for m1 is now nacked
    event, body = goal("m1")
    publisher.publish(event, body)
    time.sleep(REFUSED_FOR_S)
    refusals = sum("refused" in line for line in said)
    assert 1 <= refusals <= REFUSED_FOR_S / NACK_RETRY_DELAY_S + 1, f"a pause between offers, not a loop: {said}"
    assert publisher.waiting == 1
    channel.queue_delete(refusing)
    publisher.close(timeout_s=WAIT_S)
    # The other queues took a copy at each offer (the broker nacks if any queue refuses): the same
    # id each time, which consumers recognise as one event.
    copies = []
    while (message := channel.basic_get(notify_queue("m1"), auto_ack=True))[0] is not None:
        copies.append(message[1].message_id)
    assert len(copies) >= refusals + 1 and set(copies) == {event["id"]}
    connection.close()


def test_an_event_no_queue_takes_is_kept_and_published_again_once_the_queues_are_declared_again(vhost_url, tmp_path):
    said: list[str] = []
    publisher = OutboxPublisher(vhost_url, open_outbox(tmp_path), log=said.append)
    connection = pika.BlockingConnection(pika.URLParameters(vhost_url))
    channel = connection.channel()
    channel.queue_delete(NOTIFY_QUEUE)  # an operator cleans up: no queue is bound any more
    event, body = goal("m2")
    publisher.publish(event, body)
    publisher.close(timeout_s=WAIT_S)
    assert any("no queue was bound" in line for line in said), said
    method, properties, _ = channel.basic_get(NOTIFY_QUEUE, auto_ack=True)
    assert method is not None and properties.message_id == event["id"]
    connection.close()
