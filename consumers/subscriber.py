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
between doubles a message at worst, which the duplicate door then drops. A copy the broker will
not take (its queue gone) leaves the original unacknowledged and reconnects, which declares the
queues again.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass

import pika
import pika.exceptions

from broker.connection import (
    CONNECT_ATTEMPTS,
    CONNECT_ERRORS,
    FOREVER,
    BrokerUnavailable,
    connect,
    redacted,
    retry_delays,
    unreachable,
)
from broker.events import CONTENT_TYPE
from broker.log_line import Log, log_to_stderr
from broker.publisher import PERSISTENT
from broker.topology import PARKING_EXCHANGE, RETRY_EXCHANGE, QueueSpec, TopologyReport, declare, retry_queue
from consumers.dedupe import HandledIds, RecordUnavailable
from consumers.events import CloudEvent, InvalidEvent, parse_event

PREFETCH = 100
"""Messages in flight to one consumer: enough to keep it busy, few to redeliver after a crash."""
POLL_S = 0.2
"""How often the consuming loop looks at its stop flag: a stop takes effect within this."""
ACCEPTED_CONTENT_TYPES = (CONTENT_TYPE, "application/json")
"""CONTRACT section 3 publishes application/cloudevents+json; plain JSON is accepted too. A
message without a content type is read as JSON."""
ATTEMPTS_HEADER = "x-goalline-attempts"
REASON_HEADER = "x-goalline-reason"
QUEUE_HEADER = "x-goalline-queue"
MAX_REASON_CHARS = 500
"""A reason header stays readable in the management UI; an exception's text may be long."""
MAX_LABEL_CHARS = 80
"""A stranger's message id or content type is shortened to this in log lines."""

Handler = Callable[[CloudEvent], None]


@dataclass(frozen=True)
class RetryPolicy:
    """How often a failing handler is called, and how long a message waits between calls."""

    attempts: int = 4
    """Handler calls at most, the first included; then the message is parked."""
    first_delay_s: float = 1.0
    """Wait before the second call: a hiccup (a web hook's 503) is usually over by then."""
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


class Unrecoverable(Exception):
    """Raised by a handler for a failure no retry can mend (a web hook answering 404): the message
    is parked at once, with this error as its reason."""


class OutputClosed(Exception):
    """The handler's output went away (a pipe closed): stop quietly, leave the rest queued."""


class ConsumingStopped(Exception):
    """The broker stopped this consumer (queue deleted, consumer cancelled, channel closed)."""


class _CopyRefused(Exception):
    """The broker would not take a retry or parking copy: the topology needs declaring again."""


def consume(url: str, subscription: Subscription, handle: Handler, retry: RetryPolicy = RetryPolicy(),
            on_ready: Callable[[str, TopologyReport], None] | None = None, stop: threading.Event | None = None,
            log: Log = log_to_stderr) -> None:
    """Deliver each event of the subscription to `handle` until SIGINT / SIGTERM or `stop` is set.

    BrokerUnavailable if the broker cannot be reached at the start (after the retries);
    RecordUnavailable if the record of handled events cannot be read or written. Once connected,
    a lost broker is waited for and reconnected to, with capped back-off.
    """
    stop = stop or threading.Event()
    restore = _stop_on_signals(stop)
    try:
        _Consumer(url, subscription, handle, retry, log).run(stop, on_ready)
    except OutputClosed:
        pass
    finally:
        restore()


def _stop_on_signals(stop: threading.Event) -> Callable[[], None]:
    """SIGINT and SIGTERM set `stop` (the loop sees it within POLL_S): never an exception in the
    middle of a handler or of pika. Only the main thread may set signal handlers."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = {number: signal.signal(number, lambda *_: stop.set()) for number in (signal.SIGINT, signal.SIGTERM)}
    return lambda: [signal.signal(number, handler) for number, handler in previous.items()]


class _Consumer:
    """One subscription's consuming loop: connect, declare, consume; reconnect when lost."""

    def __init__(self, url: str, subscription: Subscription, handle: Handler, retry: RetryPolicy, log: Log):
        self.url, self.subscription, self.handle, self.retry, self.log = url, subscription, handle, retry, log
        self.ready_before = self.ready_now = self.cancelled = False

    def run(self, stop: threading.Event, on_ready) -> None:
        """Until `stop`: each connection consumed until it fails, then back-off and again."""
        delays, failures = retry_delays(FOREVER), 0
        while not stop.is_set():
            try:
                self._consume_one_connection(stop, on_ready)
                return
            except (BrokerUnavailable, ConsumingStopped, _CopyRefused, pika.exceptions.AMQPError,
                    *CONNECT_ERRORS) as error:
                if self.ready_now:  # it consumed since the last failure: a fresh count and back-off
                    delays, failures = retry_delays(FOREVER), 0
                failures = self._count_failure(error, failures)
            stop.wait(next(delays))

    def _count_failure(self, error: Exception, failures: int) -> int:
        """Log the first failure of a run of them; stop for good before the first success when
        the cause is permanent or the attempts are used up."""
        cause = error.cause if isinstance(error, BrokerUnavailable) and error.cause else error
        permanent = isinstance(error, BrokerUnavailable) and error.permanent
        if not self.ready_before and (permanent or failures + 1 >= CONNECT_ATTEMPTS):
            raise unreachable(self.url, failures + 1, cause) from None
        if self.ready_before and failures == 0:
            self.log(f"warning: broker connection lost ({cause.__class__.__name__}: {cause}); reconnecting")
        return failures + 1

    def _consume_one_connection(self, stop: threading.Event, on_ready) -> None:
        self.ready_now = False
        connection = connect(self.url, attempts=1)
        try:
            report = declare(connection, self.subscription.queues)
            channel = self._open_channel(connection)
            if self.ready_before:
                self.log(f"reconnected to {redacted(self.url)}; consuming {self.subscription.queue} again")
            elif on_ready:
                on_ready(self.subscription.queue, report)
            self.ready_before = self.ready_now = True
            while not stop.is_set():
                connection.process_data_events(time_limit=POLL_S)
                if not channel.is_open or self.cancelled:
                    raise ConsumingStopped("the broker closed the channel or cancelled the consumer")
        finally:
            _close_quietly(connection)

    def _open_channel(self, connection):
        channel = connection.channel()
        channel.confirm_delivery()  # copies to the retry and parking queues are confirmed before the ack
        channel.basic_qos(prefetch_count=PREFETCH)
        self.cancelled = False
        channel.add_on_cancel_callback(self._on_cancelled)
        doors = _Doors(channel, self.subscription, self.handle, self.retry, self.log)
        channel.basic_consume(self.subscription.queue, doors.deliver)
        return channel


    def _on_cancelled(self, _frame) -> None:
        """The broker cancelled the consumer (its queue deleted, a node gone): consume afresh."""
        self.cancelled = True


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
        except RecordUnavailable:
            raise  # the handler's own record (an archive) cannot be written: stop, exit 2
        except Unrecoverable as error:
            self._park(method, properties, body, f"{error} (not retried)")
            return
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
        copy = _with_headers(properties, {ATTEMPTS_HEADER: failures, REASON_HEADER: error[:MAX_REASON_CHARS]},
                             expiration=str(round(delay_s * 1000)))
        self._publish_then_ack(method, RETRY_EXCHANGE, retry_queue(self._subscription.queue), body, copy)

    def _park(self, method, properties, body: bytes, reason: str) -> None:
        self._log(f"parked message {_label(properties.message_id or str(method.delivery_tag))}: {reason}")
        copy = _with_headers(properties, {REASON_HEADER: reason[:MAX_REASON_CHARS],
                                          QUEUE_HEADER: self._subscription.queue})
        self._publish_then_ack(method, PARKING_EXCHANGE, "", body, copy)

    def _publish_then_ack(self, method, exchange: str, key: str, body: bytes, properties) -> None:
        try:
            self._channel.basic_publish(exchange, key, body, properties, mandatory=True)
        except (pika.exceptions.UnroutableError, pika.exceptions.NackError) as error:
            raise _CopyRefused(f"the broker would not take a copy for {exchange} ({error.__class__.__name__})") \
                from None  # the original stays unacknowledged and comes back after the reconnect
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
    return pika.BasicProperties(content_type=properties.content_type, delivery_mode=PERSISTENT,
                                message_id=properties.message_id, correlation_id=properties.correlation_id,
                                timestamp=properties.timestamp, type=properties.type, app_id=properties.app_id,
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
