"""Publishing events to RabbitMQ: publisher confirms, without one round trip per event.

Following pika's asynchronous publisher example: a SelectConnection runs its I/O loop in a
thread of its own, so heartbeats are answered while the caller renders and judges frames;
`publish` hands each message to that loop and returns at once; confirms arrive in the loop and
are counted; `flush` waits until the broker has confirmed everything (an event counts as sent
only then). Errors split into "retry" (connecting, with capped back-off) and "stop" (a lost
connection or a refused message mid-run: BrokerUnavailable, exit 3).
"""

from __future__ import annotations

import functools
import sys
import threading
import time

import pika
import pika.exceptions
from pika.spec import Basic

from broker.connection import (
    CONNECT_ATTEMPTS,
    PERMANENT_ERRORS,
    STACK_TIMEOUT_S,
    BrokerUnavailable,
    connection_parameters,
    redacted,
    retry_delays,
    unreachable,
)
from broker.events import CONTENT_TYPE, EXCHANGE, kind_of, routing_key
from broker.topology import publisher_steps

PERSISTENT = 2
"""AMQP delivery_mode 2: the broker writes the message to disk."""
MAX_IN_FLIGHT = 5_000
"""Unconfirmed messages allowed before `publish` waits: bounds memory if the broker slows down."""
FLUSH_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
READY_TIMEOUT_S = CONNECT_ATTEMPTS * (STACK_TIMEOUT_S + 5.0)
"""The longest the constructor waits for a connection and the topology (each attempt plus its back-off)."""


class ConfirmingPublisher:
    """Publishes persistent events on a background I/O loop and tracks the broker's confirms.

    url: AMQP URL; match_ids: matches whose per-match notifier queues to declare up front.
    """

    def __init__(self, url: str, match_ids: tuple[str, ...] = ()):
        self._url, self._match_ids = url, match_ids
        self._connection: pika.SelectConnection | None = None
        self._channel = None
        self._ready = threading.Event()
        self._state = threading.Condition()
        self._published = 0
        self._unconfirmed: set[int] = set()
        self._failure: str | None = None
        self._last_error: BaseException | None = None
        self._permanent = False
        self._closing = False
        self._warned_unroutable = False
        self._thread = threading.Thread(target=self._run, name="amqp-publisher", daemon=True)
        self._thread.start()
        if not self._ready.wait(READY_TIMEOUT_S):
            self._fail(f"broker {redacted(url)} did not answer within {READY_TIMEOUT_S:.0f} s")
        self._raise_if_failed()

    # ---- the caller's side -------------------------------------------------------------

    def publish(self, event: dict, body: bytes) -> None:
        """Hand `body` (the serialised event) to the broker; returns before the confirm."""
        properties = pika.BasicProperties(content_type=CONTENT_TYPE, delivery_mode=PERSISTENT, message_id=event["id"])
        key = routing_key(event["subject"], kind_of(event))
        with self._state:
            self._state.wait_for(lambda: len(self._unconfirmed) < MAX_IN_FLIGHT or self._failure)
            self._raise_if_failed()
            self._published += 1
            self._unconfirmed.add(self._published)  # the broker numbers confirms 1, 2, ... per channel
        self._connection.ioloop.add_callback_threadsafe(functools.partial(self._send, key, body, properties))

    def flush(self, timeout_s: float = FLUSH_TIMEOUT_S) -> None:
        """Wait until every published event is confirmed; BrokerUnavailable if that fails."""
        with self._state:
            done = self._state.wait_for(lambda: not self._unconfirmed or self._failure, timeout_s)
            self._raise_if_failed()
            if not done:
                raise BrokerUnavailable(f"broker {redacted(self._url)} did not confirm {len(self._unconfirmed)} events")

    def close(self) -> None:
        """Flush, then close the connection and end the I/O thread."""
        try:
            self.flush()
        finally:
            if self._thread.is_alive():
                self._connection.ioloop.add_callback_threadsafe(self._shutdown)
            self._thread.join(timeout=STOP_TIMEOUT_S)

    def _raise_if_failed(self) -> None:
        if self._failure:
            raise BrokerUnavailable(self._failure)

    # ---- the I/O loop's side: one small callback per step -----------------------------

    def _run(self) -> None:
        """Connect (retrying with back-off) and run the I/O loop; never ends in a traceback."""
        try:
            self._connect_and_loop()
        except Exception as error:  # a pika error inside the loop: one line for the caller, not a traceback
            self._fail(f"broker connection failed ({error.__class__.__name__})")
        finally:
            self._ready.set()

    def _connect_and_loop(self) -> None:
        delays = retry_delays()
        for attempt in range(1, CONNECT_ATTEMPTS + 1):
            try:
                parameters = connection_parameters(self._url)
            except ValueError as error:
                self._fail(str(unreachable(self._url, attempt, error)))
                return
            self._connection = pika.SelectConnection(parameters, on_open_callback=self._on_open,
                                                     on_open_error_callback=self._on_open_error,
                                                     on_close_callback=self._on_closed)
            self._connection.ioloop.start()
            if self._ready.is_set() or self._failure:
                return
            if self._permanent:
                break
            delay = next(delays, None)
            if delay is not None:
                time.sleep(delay)
        self._fail(str(unreachable(self._url, attempt, self._last_error)))

    def _on_open(self, connection) -> None:
        connection.channel(on_open_callback=self._on_channel)

    def _on_open_error(self, connection, error) -> None:
        self._last_error = error
        self._permanent = isinstance(error, PERMANENT_ERRORS)
        connection.ioloop.stop()

    def _on_channel(self, channel) -> None:
        self._channel = channel
        channel.add_on_return_callback(self._on_return)
        channel.add_on_close_callback(self._on_channel_closed)
        channel.confirm_delivery(self._on_confirm, callback=lambda _frame: self._declare(publisher_steps(self._match_ids)))

    def _declare(self, steps) -> None:
        """Run the topology's declarations one after the other, then let publishing begin."""
        if not steps:
            self._ready.set()
            return
        (method, arguments), rest = steps[0], steps[1:]
        getattr(self._channel, method)(callback=lambda _frame: self._declare(rest), **arguments)

    def _send(self, key: str, body: bytes, properties) -> None:
        """Loop side of `publish`: a channel closed meanwhile makes a failure, not an exception."""
        if self._channel is None or not self._channel.is_open:
            self._fail(f"broker {redacted(self._url)} channel closed before an event could be published")
            return
        self._channel.basic_publish(EXCHANGE, key, body, properties, mandatory=True)

    def _shutdown(self) -> None:
        """Loop side of `close`."""
        self._closing = True
        if self._connection.is_open:
            self._connection.close()
        elif not self._connection.is_closing:
            self._connection.ioloop.stop()

    def _on_confirm(self, frame) -> None:
        method = frame.method
        with self._state:
            if method.multiple:
                done = {tag for tag in self._unconfirmed if tag <= method.delivery_tag}
            else:
                done = {method.delivery_tag}
            self._unconfirmed -= done
            if isinstance(method, Basic.Nack):
                self._failure = f"broker {redacted(self._url)} refused {len(done)} event(s)"
            self._state.notify_all()

    def _on_return(self, channel, method, properties, body) -> None:
        if not self._warned_unroutable:
            print(f"warning: no queue is bound for {method.routing_key}: the broker dropped the event",
                  file=sys.stderr, flush=True)
            self._warned_unroutable = True

    def _on_channel_closed(self, channel, reason) -> None:
        if self._closing:
            return
        if self._ready.is_set():
            self._fail(f"broker connection lost while publishing ({reason.__class__.__name__})")
        else:  # refused during the declarations (e.g. a queue declared elsewhere with other arguments)
            self._fail(f"broker {redacted(self._url)} refused the topology ({reason})")
        if self._connection.is_open:
            self._connection.close()

    def _on_closed(self, connection, reason) -> None:
        if not self._closing and self._ready.is_set():
            self._fail(f"broker connection lost while publishing ({reason.__class__.__name__})")
        connection.ioloop.stop()

    def _fail(self, message: str) -> None:
        with self._state:
            self._failure = self._failure or message
            self._state.notify_all()


def connect_publisher(url: str, match_ids: tuple[str, ...] = ()) -> ConfirmingPublisher:
    """A confirming publisher on a new connection (BrokerUnavailable naming the URL if none)."""
    return ConfirmingPublisher(url, match_ids)
