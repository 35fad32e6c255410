"""Whatever a stranger puts on the consumer's queue, on a real RabbitMQ: each message is either
handled once (a valid event) or parked with a reason; the consumer never dies, never hangs, and
never loses the valid events around the bad ones.

Hypothesis makes FUZZ_EXAMPLES batches; each batch mixes bad messages (random bytes, wrong
content types, huge bodies, deep nesting, events with fields missing or of the wrong type) with
valid events, publishes them, and waits until every message is accounted for.
"""

from __future__ import annotations

import json
import threading
import time
import uuid

import pika
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from broker.events import CONTENT_TYPE, EXCHANGE
from broker.topology import consumer_queues, match_binding, retry_queue
from consumers.dedupe import HandledIds
from consumers.events import MAX_BODY_BYTES, InvalidEvent
from consumers.subscriber import REASON_HEADER, RetryPolicy, Subscription, consume, parse_message
from test_consumer_doors import BROKER_URL, goal_event, parked_from

FUZZ_EXAMPLES = 300
"""Batches tried (each of 1-6 bad messages and 1-3 valid events): about 1,500 messages a run."""
WAIT_S = 30.0
POLL_S = 0.02
DEEP_NESTING = 100_000
"""Far deeper than Python's recursion limit: the JSON parser must refuse it, not crash."""
WRONG_CONTENT_TYPES = ["text/plain", "application/xml", "application/octet-stream", "application/x-python-pickle",
                       "application/cloudevents-batch+json", "", "x" * 255]  # 255: AMQP short string
WRONG_VALUES = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
                         st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
                         st.lists(st.integers(), max_size=3),
                         st.dictionaries(st.text(max_size=5), st.integers(), max_size=3))


class FuzzedConsumer:
    """One consumer for the whole module, counting what it handled and what it parked."""

    def __init__(self, tmp_path):
        self.match_id = f"fuzz-{uuid.uuid4().hex[:12]}"
        self.queue = f"goalline.test.{self.match_id}"
        self.handled: list[str] = []
        self.parked: list[str] = []
        self.duplicates: list[str] = []
        self.stop = threading.Event()
        ready = threading.Event()
        subscription = Subscription(consumer_queues(self.queue, ((EXCHANGE, match_binding(self.match_id)),)),
                                    HandledIds(tmp_path / "fuzz.ids"))
        self.thread = threading.Thread(target=consume, daemon=True, kwargs={
            "url": BROKER_URL, "subscription": subscription, "handle": lambda event: self.handled.append(event.id),
            "retry": RetryPolicy(attempts=1), "on_ready": lambda *_: ready.set(), "stop": self.stop,
            "log": self._log})
        self.thread.start()
        assert ready.wait(WAIT_S)

    def _log(self, line: str) -> None:
        if line.startswith("parked message "):
            self.parked.append(line)
        elif line.startswith("duplicate of event "):
            self.duplicates.append(line)

    def accounted(self) -> int:
        """Messages that went through a door: handled, parked or dropped as a duplicate."""
        return len(self.handled) + len(self.parked) + len(self.duplicates)


def fresh_event(match_id: str, frame: int) -> dict:
    """A valid goal event with an id no other message of the run has."""
    event = goal_event(match_id, frame)
    event["id"] = str(uuid.uuid4())
    return event


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory):
    consumer = FuzzedConsumer(tmp_path_factory.mktemp("fuzz"))
    connection = pika.BlockingConnection(pika.URLParameters(BROKER_URL))
    channel = connection.channel()
    yield consumer, channel
    consumer.stop.set()
    consumer.thread.join(WAIT_S)
    channel.queue_delete(consumer.queue)
    channel.queue_delete(retry_queue(consumer.queue))
    connection.close()


def mutated_event(draw, match_id: str) -> bytes:
    """A valid goal event with one field removed, or given a value of a random type."""
    event = fresh_event(match_id, draw(st.integers(min_value=0, max_value=10**6)))
    where = draw(st.sampled_from([event, event["data"]]))
    key = draw(st.sampled_from(sorted(where)))
    if draw(st.booleans()):
        del where[key]
    else:
        where[key] = draw(WRONG_VALUES)
    return json.dumps(event, allow_nan=True).encode()


@st.composite
def bad_message(draw, match_id: str) -> tuple[bytes, str | None]:
    """(body, content type) of a message a stranger might send."""
    kind = draw(st.sampled_from(["bytes", "json", "deep", "huge", "mutated", "content_type"]))
    if kind == "bytes":
        return draw(st.binary(max_size=2_000)), draw(st.sampled_from([None, CONTENT_TYPE]))
    if kind == "json":
        leaves = st.none() | st.booleans() | st.floats() | st.text(max_size=20)
        value = draw(st.recursive(leaves, lambda inner: st.lists(inner, max_size=4)
                                  | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=20))
        return json.dumps(value).encode(), CONTENT_TYPE
    if kind == "deep":
        opener = draw(st.sampled_from(["[", '{"a":']))
        closer = "]" if opener == "[" else "}"
        return (opener * DEEP_NESTING + "1" + closer * DEEP_NESTING).encode(), CONTENT_TYPE
    if kind == "huge":
        padding = "x" * (MAX_BODY_BYTES + draw(st.integers(min_value=1, max_value=500_000)))
        event = fresh_event(match_id, 1)
        event["data"]["padding"] = padding
        return json.dumps(event).encode(), CONTENT_TYPE
    if kind == "mutated":
        return mutated_event(draw, match_id), CONTENT_TYPE
    return json.dumps(fresh_event(match_id, 2)).encode(), draw(st.sampled_from(WRONG_CONTENT_TYPES))


def expected_door(body: bytes, content_type: str | None) -> str:
    """'handled' or 'parked', by the consumer's own reading of the message."""
    try:
        parse_message(pika.BasicProperties(content_type=content_type), body)
    except InvalidEvent:
        return "parked"
    return "handled"


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.data_too_large,
                                 HealthCheck.too_slow, HealthCheck.large_base_example])
@given(data=st.data())
def test_every_message_is_handled_once_or_parked_with_a_reason_and_no_valid_event_is_lost(fuzzed, data):
    consumer, channel = fuzzed
    bad = data.draw(st.lists(bad_message(consumer.match_id), min_size=1, max_size=6))
    valid = [fresh_event(consumer.match_id, frame) for frame in range(data.draw(st.integers(min_value=1, max_value=3)))]
    messages = [(body, content_type) for body, content_type in bad] + [(json.dumps(event).encode(), CONTENT_TYPE)
                                                                      for event in valid]
    messages = data.draw(st.permutations(messages))
    handled_before, parked_before, accounted_before = len(consumer.handled), len(consumer.parked), consumer.accounted()
    for body, content_type in messages:
        channel.basic_publish(EXCHANGE, f"match.{consumer.match_id}.goal", body,
                              pika.BasicProperties(content_type=content_type, message_id=uuid.uuid4().hex,
                                                   delivery_mode=2))
    deadline = time.monotonic() + WAIT_S
    while consumer.accounted() - accounted_before < len(messages):
        assert consumer.thread.is_alive(), "the consumer died"
        assert time.monotonic() < deadline, "the consumer hung"
        time.sleep(POLL_S)
    new_handled = consumer.handled[handled_before:]
    assert {event["id"] for event in valid} <= set(new_handled), "a valid event was lost"
    assert len(new_handled) == len(set(new_handled)), "an event was handled twice"
    should_park = sum(expected_door(body, content_type) == "parked" for body, content_type in messages)
    assert len(consumer.parked) - parked_before == should_park
    assert all(line.split(": ", 1)[1].strip() for line in consumer.parked[parked_before:]), "a reason is empty"


def test_every_fuzzed_message_that_was_parked_is_in_the_parking_queue_with_its_reason(fuzzed):
    consumer, channel = fuzzed
    reasons = [properties.headers[REASON_HEADER] for properties, _ in parked_from(channel, consumer.queue)]
    assert len(reasons) == len(consumer.parked) > 0
    assert all(reason.strip() for reason in reasons)
