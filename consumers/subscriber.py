"""Consuming a queue: ack after handling, bounded retries with back-off, parking with a reason,
duplicates dropped, reconnection after a lost broker, clean stop.

Each message goes through one of four doors:
- handled: the handler returned; the id is recorded, then the message acknowledged;
- duplicate: the id was handled before (a redelivery, or an event published again): acknowledged
  without handling;
- retried: the handler raised; a copy waits in the queue's retry queue for the back-off delay and
  then comes back (the broker dead-letters it to this queue), up to `RetryPolicy.attempts` calls;
- parked: not a valid event, or the handler failed every time; a copy goes to the parking queue
  with the reason in its `x-goalline-reason` header.
A copy is published (with publisher confirms) before the original is acknowledged, so a crash in
between doubles a message at worst, which the duplicate door then drops.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass

import pika
import pika.exceptions

from broker.connection import (
    CONNECT_ATTEMPTS,
    CONNECT_ERRORS,
    PERMANENT_ERRORS,
    BrokerUnavailable,
    connect,
    redacted,
    retry_delays,
    unreachable,
)
from broker.events import CONTENT_TYPE
from broker.topology import PARKING_EXCHANGE, RETRY_EXCHANGE, QueueSpec, TopologyReport, declare, retry_queue
from consumers.dedupe import HandledIds
from consumers.events import CloudEvent, InvalidEvent, parse_event

PREFETCH = 100
"""Messages in flight to one consumer: enough to keep it busy, few to redeliver after a crash."""
POLL_S = 0.2
"""How often the consuming loop looks at its stop flag."""
ACCEPTED_CONTENT_TYPES = (CONTENT_TYPE, "application/json")
"""CONTRACT section 3 publishes application/cloudevents+json; plain JSON is accepted too. A
message without a content type is read as JSON."""
ATTEMPTS_HEADER = "x-goalline-attempts"
REASON_HEADER = "x-goalline-reason"
QUEUE_HEADER = "x-goalline-queue"
MAX_LABEL_CHARS = 80
"""A stranger's message id is shortened to this in log lines."""
RECONNECT_ATTEMPTS = 1_000_000_000
"""Once connected, a consumer never gives up on the broker; the delays are capped."""

Handler = Callable[[CloudEvent], None]
Log = Callable[[str], None]


@dataclass(frozen=True)
class RetryPolicy:
    """How often a failing handler is called, and how long a message waits between calls."""

    attempts: int = 4
    """Handler calls at most, the first included; then the message is parked."""
    first_delay_s: float = 1.0
    """Wait before the second call."""
    factor: float = 4.0
    """Each further wait is this many times the one before (1 s, 4 s, 16 s by default)."""

    def delay_s(self, failures: int) -> float:
        """The wait after the `failures`-th failed call."""
        return self.first_delay_s * self.factor ** (failures - 1)


@dataclass(frozen=True)
class Subscription:
    """A consumer's queues (its own and its retry queue) and the record of what it handled."""

    queues: list[QueueSpec]
    """The consumer's queue first, as broker.topology.consumer_queues makes them."""
    handled: HandledIds

    @property
    def queue(self) -> str:
        """The name of the queue consumed."""
        return self.queues[0].name


class _Stop(Exception):
    """Raised by the SIGTERM handler: leave the consuming loop as Ctrl+C does."""


class OutputClosed(Exception):
    """The handler's output went away (a pipe closed): stop quietly, leave the rest queued."""


def log_to_stderr(line: str) -> None:
    """The consumer's log: one line on stderr (stdout carries the notifications)."""
    print(line, file=sys.stderr, flush=True)


def consume(url: str, subscription: Subscription, handle: Handler, retry: RetryPolicy = RetryPolicy(),
            on_ready: Callable[[str, TopologyReport], None] | None = None, stop: threading.Event | None = None,
            log: Log = log_to_stderr) -> None:
    """Deliver each event of the subscription to `handle` until SIGINT / SIGTERM or `stop` is set.

    BrokerUnavailable if the broker cannot be reached at the start (after the retries); once
    connected, a lost broker is waited for and reconnected to, with capped back-off.
    """
    stop = stop or threading.Event()
    previous = _stop_on_sigterm()
    try:
        _consume_until_stopped(url, subscription, handle, retry, on_ready, stop, log)
    except (KeyboardInterrupt, _Stop, OutputClosed):
        pass
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _stop_on_sigterm():
    """SIGTERM stops the loop like Ctrl+C (only the main thread may set signal handlers)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _raise_stop)


def _raise_stop(*_signal) -> None:
    raise _Stop()


def _consume_until_stopped(url, subscription, handle, retry, on_ready, stop, log) -> None:
    """Connect, declare, consume; on a lost connection wait (capped back-off) and start again.
    Before the first success, CONNECT_ATTEMPTS failures in all end it with BrokerUnavailable."""
    ready_before, failures = False, 0
    delays = retry_delays(RECONNECT_ATTEMPTS)
    while not stop.is_set():
        connection = None
        try:
            connection = connect(url, attempts=1)
            report = declare(connection, subscription.queues)
            channel = _open_consuming_channel(connection, subscription, handle, retry, log)
            if ready_before:
                log(f"reconnected to {redacted(url)}; consuming {subscription.queue} again")
            elif on_ready:
                on_ready(subscription.queue, report)
            ready_before, failures, delays = True, 0, retry_delays(RECONNECT_ATTEMPTS)
            while not stop.is_set() and channel.is_open:
                connection.process_data_events(time_limit=POLL_S)
        except (BrokerUnavailable, pika.exceptions.AMQPError, *CONNECT_ERRORS) as error:
            failures += 1
            cause = error.cause if isinstance(error, BrokerUnavailable) else error
            permanent = error.permanent if isinstance(error, BrokerUnavailable) else isinstance(cause, PERMANENT_ERRORS)
            if not ready_before and (failures >= CONNECT_ATTEMPTS or permanent):
                raise unreachable(url, failures, cause) from None
            if failures == 1 and ready_before:
                log(f"warning: broker connection lost ({cause.__class__.__name__}); reconnecting")
            stop.wait(next(delays))
        finally:
            _close_quietly(connection)


def _open_consuming_channel(connection, subscription: Subscription, handle: Handler, retry: RetryPolicy, log: Log):
    channel = connection.channel()
    channel.confirm_delivery()  # copies to the retry and parking queues are confirmed before the ack
    channel.basic_qos(prefetch_count=PREFETCH)
    door = _Doors(channel, subscription, handle, retry, log)
    channel.basic_consume(subscription.queue, door.deliver)
    return channel


class _Doors:
    """The four ways out of the consumer for one message (see the module's docstring)."""

    def __init__(self, channel, subscription: Subscription, handle: Handler, retry: RetryPolicy, log: Log):
        self._channel, self._subscription, self._handle, self._retry, self._log = \
            channel, subscription, handle, retry, log

    def deliver(self, channel, method, properties, body: bytes) -> None:
        """Validate, drop a duplicate, hand to the handler, then ack; retry or park a failure."""
        try:
            event = parse_message(properties, body)
        except InvalidEvent as error:
            self._park(method, properties, body, str(error))
            return
        if event.id in self._subscription.handled:
            self._log(f"duplicate of event {_label(event.id)} dropped (handled before)")
            channel.basic_ack(method.delivery_tag)
            return
        try:
            self._handle(event)
        except BrokenPipeError:
            raise OutputClosed() from None  # unacknowledged: the message stays for the next consumer
        except Exception as error:  # a handler bug must not loop on one message: retry, then park
            self._retry_or_park(method, properties, body, f"{error.__class__.__name__}: {error}")
            return
        self._subscription.handled.add(event.id)
        channel.basic_ack(method.delivery_tag)

    def _retry_or_park(self, method, properties, body: bytes, error: str) -> None:
        failures = _failures(properties) + 1
        label = _label(properties.message_id or str(method.delivery_tag))
        if failures >= self._retry.attempts:
            self._park(method, properties, body, f"the handler failed {failures} times; last: {error}")
            return
        delay_s = self._retry.delay_s(failures)
        self._log(f"message {label}: the handler failed ({error}); retry {failures} in {delay_s:g} s")
        copy = _with_headers(properties, {ATTEMPTS_HEADER: failures, REASON_HEADER: error[:500]},
                             expiration=str(round(delay_s * 1000)))
        self._publish_then_ack(method, RETRY_EXCHANGE, retry_queue(self._subscription.queue), body, copy)

    def _park(self, method, properties, body: bytes, reason: str) -> None:
        self._log(f"parked message {_label(properties.message_id or str(method.delivery_tag))}: {reason}")
        copy = _with_headers(properties, {REASON_HEADER: reason[:500], QUEUE_HEADER: self._subscription.queue})
        self._publish_then_ack(method, PARKING_EXCHANGE, "", body, copy)

    def _publish_then_ack(self, method, exchange: str, key: str, body: bytes, properties) -> None:
        try:
            self._channel.basic_publish(exchange, key, body, properties, mandatory=True)
        except (pika.exceptions.UnroutableError, pika.exceptions.NackError):
            # the broker would not take the copy: let it dead-letter the original to the parking queue
            self._channel.basic_nack(method.delivery_tag, requeue=False)
            return
        self._channel.basic_ack(method.delivery_tag)


def parse_message(properties, body: bytes) -> CloudEvent:
    """The event in a message; InvalidEvent for a wrong content type or body."""
    content_type = properties.content_type
    if content_type is not None and content_type.split(";")[0].strip().lower() not in ACCEPTED_CONTENT_TYPES:
        raise InvalidEvent(f"content type {content_type[:MAX_LABEL_CHARS]!r} is not {CONTENT_TYPE}")
    return parse_event(body)


def _failures(properties) -> int:
    """Handler failures so far, from our header (a stranger's odd value counts as none)."""
    value = (properties.headers or {}).get(ATTEMPTS_HEADER)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _with_headers(properties, headers: dict, expiration: str | None = None) -> pika.BasicProperties:
    """A copy of the message's properties with `headers` added (and a per-message expiration)."""
    return pika.BasicProperties(content_type=properties.content_type, delivery_mode=2,
                                message_id=properties.message_id, timestamp=properties.timestamp,
                                headers={**(properties.headers or {}), **headers}, expiration=expiration)


def _label(text: str) -> str:
    """A message id fit for one log line (a stranger's may hold anything)."""
    return repr(text[:MAX_LABEL_CHARS]) if not text.isprintable() or len(text) > MAX_LABEL_CHARS else text


def _close_quietly(connection) -> None:
    """Close the connection if it is open; unacknowledged messages go back to the queue."""
    if connection is not None and connection.is_open:
        try:
            connection.close()
        except pika.exceptions.AMQPError:
            pass  # already going away
