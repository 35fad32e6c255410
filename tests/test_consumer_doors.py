"""The consumer's four doors, on a real queue: handled once, duplicate dropped, retried with
back-off, parked with a reason. The consumer runs in a thread of the test with a handler of the
test's, so a handler can be made to fail on purpose."""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import datetime, timezone

import pika
import pytest

from broker.events import CONTENT_TYPE, EXCHANGE, cloud_event, routing_key
from broker.topology import PARKING_QUEUE, consumer_queues, match_binding, retry_queue
from consumers.dedupe import HandledIds
from consumers.subscriber import ATTEMPTS_HEADER, QUEUE_HEADER, REASON_HEADER, RetryPolicy, Subscription, consume

BROKER_URL = "amqp://guest:guest@localhost:5672/%2F"
FAST_RETRY = RetryPolicy(attempts=3, first_delay_s=0.1, factor=2.0)
"""Three handler calls 0.1 s and 0.2 s apart: the back-off of the real policy, shortened for a test."""
WAIT_S = 30.0
POLL_S = 0.05
QUIET_S = 0.5
"""After the expected handling, a moment more to catch a doubled one."""


def goal_event(match_id: str, frame: int) -> dict:
    data = {"match_id": match_id, "camera_id": "north-gl", "frame": frame, "video_time_s": frame / 250,
            "margin_m": 0.05}
    return cloud_event("goal", match_id, f"/goalline/matches/{match_id}", datetime.now(timezone.utc), data,
                       (match_id, "north-gl", "goal", frame))


class RunningConsumer:
    """consume() on a queue of the test's own, in a thread, recording what the handler got."""

    def __init__(self, tmp_path, handler=None, retry: RetryPolicy = FAST_RETRY, match_id: str | None = None):
        self.match_id = match_id or f"doors-{uuid.uuid4().hex[:12]}"
        self.queue = f"goalline.test.{self.match_id}"
        self.handled: list[str] = []
        self.log: list[str] = []
        self._handler = handler or (lambda event: None)
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._record = tmp_path / f"{self.queue}.ids"
        self.subscription = Subscription(consumer_queues(self.queue, ((EXCHANGE, match_binding(self.match_id)),)),
                                         HandledIds(self._record))
        self._thread = threading.Thread(target=consume, daemon=True, kwargs={
            "url": BROKER_URL, "subscription": self.subscription, "handle": self._handle, "retry": retry,
            "on_ready": lambda *_: self._ready.set(), "stop": self._stop, "log": self.log.append})
        self._thread.start()
        assert self._ready.wait(WAIT_S), self.log

    def _handle(self, event) -> None:
        self._handler(event)
        self.handled.append(event.id)

    def wait_for(self, condition) -> bool:
        deadline = time.monotonic() + WAIT_S
        while not condition():
            if time.monotonic() > deadline:
                return False
            time.sleep(POLL_S)
        time.sleep(QUIET_S)
        return True

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(WAIT_S)
        self.subscription.handled.close()


@pytest.fixture
def channel():
    connection = pika.BlockingConnection(pika.URLParameters(BROKER_URL))
    yield connection.channel()
    connection.close()


@pytest.fixture
def consumers(channel):
    started: list[RunningConsumer] = []
    yield started
    for consumer in started:
        consumer.stop()
        channel.queue_delete(consumer.queue)
        channel.queue_delete(retry_queue(consumer.queue))


def publish(channel, event: dict, **properties) -> None:
    properties = {"content_type": CONTENT_TYPE, "delivery_mode": 2, "message_id": event["id"], **properties}
    channel.basic_publish(EXCHANGE, routing_key(event["subject"], event["type"].removeprefix("goalline.")),
                          json.dumps(event).encode(),
                          pika.BasicProperties(**properties))


def parked_from(channel, queue: str) -> list[tuple]:
    """Messages in the parking queue that came from `queue` (others are left there)."""
    ours, others = [], []
    while (message := channel.basic_get(PARKING_QUEUE))[0] is not None:
        method, properties, body = message
        if (properties.headers or {}).get(QUEUE_HEADER) == queue:
            ours.append((properties, body))
            channel.basic_ack(method.delivery_tag)
        else:
            others.append(method.delivery_tag)
    for tag in others:
        channel.basic_nack(tag, requeue=True)
    return ours


def test_each_event_is_handled_once_even_when_delivered_twice(tmp_path, channel, consumers):
    consumer = RunningConsumer(tmp_path)
    consumers.append(consumer)
    events = [goal_event(consumer.match_id, frame) for frame in (10, 20, 30)]
    for event in events + events[:2]:
        publish(channel, event)
    assert consumer.wait_for(lambda: len(consumer.handled) >= 3)
    assert consumer.handled == [event["id"] for event in events]
    assert sum("duplicate" in line for line in consumer.log) == 2


def test_what_was_handled_before_a_restart_is_not_handled_again(tmp_path, channel, consumers):
    first = RunningConsumer(tmp_path)
    consumers.append(first)
    event = goal_event(first.match_id, 10)
    publish(channel, event)
    assert first.wait_for(lambda: first.handled == [event["id"]])
    first.stop()
    consumers.remove(first)
    again = RunningConsumer(tmp_path, match_id=first.match_id)  # the same queue and record
    consumers.append(again)
    publish(channel, event)
    later = goal_event(first.match_id, 20)
    publish(channel, later)
    assert again.wait_for(lambda: again.handled == [later["id"]])
    assert any("duplicate" in line for line in again.log)


def test_a_handler_that_fails_once_is_retried_after_a_pause_and_the_event_handled_once(tmp_path, channel, consumers):
    calls: list[float] = []

    def fails_the_first_time(event):
        calls.append(time.monotonic())
        if len(calls) == 1:
            raise ConnectionError("the notification service hiccupped")

    consumer = RunningConsumer(tmp_path, fails_the_first_time)
    consumers.append(consumer)
    event = goal_event(consumer.match_id, 10)
    publish(channel, event)
    assert consumer.wait_for(lambda: consumer.handled == [event["id"]])
    assert len(calls) == 2 and calls[1] - calls[0] >= FAST_RETRY.first_delay_s
    assert any("retry 1 in 0.1 s" in line for line in consumer.log)


def test_an_event_the_handler_always_fails_on_is_parked_with_the_reason_and_the_others_handled(
        tmp_path, channel, consumers):
    consumer = RunningConsumer(tmp_path, lambda event: _fail_on_frame(event, 20))
    consumers.append(consumer)
    events = [goal_event(consumer.match_id, frame) for frame in (10, 20, 30)]
    for event in events:
        publish(channel, event)
    assert consumer.wait_for(lambda: len(consumer.handled) >= 2 and any("parked" in line for line in consumer.log))
    assert consumer.handled == [events[0]["id"], events[2]["id"]]
    parked = parked_from(channel, consumer.queue)
    assert len(parked) == 1
    properties, body = parked[0]
    assert properties.message_id == events[1]["id"] and json.loads(body) == events[1]
    reason = properties.headers[REASON_HEADER]
    assert f"failed {FAST_RETRY.attempts} times" in reason and "frame 20 is cursed" in reason
    assert properties.headers[ATTEMPTS_HEADER] == FAST_RETRY.attempts - 1


def _fail_on_frame(event, frame: int) -> None:
    if event.data["frame"] == frame:
        raise ValueError(f"frame {frame} is cursed")


def test_a_message_of_another_content_type_is_parked_unhandled_with_the_reason(tmp_path, channel, consumers):
    consumer = RunningConsumer(tmp_path)
    consumers.append(consumer)
    stranger, event = goal_event(consumer.match_id, 10), goal_event(consumer.match_id, 20)
    publish(channel, stranger, content_type="application/x-python-pickle")
    publish(channel, event)
    assert consumer.wait_for(lambda: consumer.handled == [event["id"]])
    parked = parked_from(channel, consumer.queue)
    assert [properties.message_id for properties, _ in parked] == [stranger["id"]]
    assert "content type 'application/x-python-pickle'" in parked[0][0].headers[REASON_HEADER]


def test_a_consumer_whose_queue_is_deleted_declares_it_again_and_goes_on(tmp_path, channel, consumers):
    consumer = RunningConsumer(tmp_path)
    consumers.append(consumer)
    channel.queue_delete(consumer.queue)  # the broker cancels the consumer
    assert consumer.wait_for(lambda: any("reconnected" in line for line in consumer.log)), consumer.log
    event = goal_event(consumer.match_id, 10)
    publish(channel, event)
    assert consumer.wait_for(lambda: consumer.handled == [event["id"]])
