"""Publishing events to RabbitMQ through a durable outbox: nothing lost, whatever fails.

An event counts as sent only when the broker has confirmed it. Until then it waits in the
outbox on disk (written before publishing, removed on the confirm), so it survives a broker
outage, a lost connection and a killed camera process; it is published again, with the same
id, as soon as a connection is back. The caller never waits for the broker: `publish` stores
the event and returns, and the camera goes on deciding while the broker is away.

Following pika's asynchronous publisher example: a SelectConnection runs its I/O loop in a
thread of its own, confirms are switched on in one place (`_on_channel`), one small callback per
connection step, and a reconnect loop with capped back-off. Errors split into "retry" (any lost
or refused connection: try again, forever, until `close`) and "stop" (wrong credentials or
vhost: BrokerUnavailable, exit 3).
"""

from __future__ import annotations

import sys
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

import pika
import pika.exceptions
from pika.spec import Basic

from broker.connection import (
    CONNECT_ATTEMPTS,
    CONNECT_ERRORS,
    PERMANENT_ERRORS,
    STACK_TIMEOUT_S,
    BrokerUnavailable,
    connection_parameters,
    redacted,
    retry_delays,
    unreachable,
)
from broker.events import CONTENT_TYPE, EXCHANGE, kind_of, routing_key
from broker.outbox import WARN_FRACTION, Outbox, OutboxFull, Pending
from broker.topology import declare, publisher_queues

PERSISTENT = 2
"""AMQP delivery_mode 2: the broker writes the message to disk."""
MAX_IN_FLIGHT = 5_000
"""Unconfirmed messages on the wire at most; the rest wait their turn in the outbox."""
FLUSH_TIMEOUT_S = 30.0
"""How long `close` waits for the broker to confirm what is left (e.g. the end of an outage)."""
STOP_TIMEOUT_S = 10.0
FIRST_CONNECT_WAIT_S = CONNECT_ATTEMPTS * (STACK_TIMEOUT_S + 5.0)
"""The constructor waits at most this long (the first attempts and their back-off) before the
camera starts deciding without a broker."""
NACK_RETRY_DELAY_S = 1.0
"""An event the broker refused (nack) is offered again after this pause."""
RECONNECT_ATTEMPTS = 1_000_000_000
"""Reconnecting never gives up while the camera runs; the delays are capped (broker.connection)."""

Log = Callable[[str], None]


def log_to_stderr(line: str) -> None:
    """The publisher's default log: one line on stderr (stdout carries the events)."""
    print(line, file=sys.stderr, flush=True)


class OutboxPublisher:
    """Publishes persistent events through `outbox`, reconnecting as needed.

    url: AMQP URL; outbox: where events wait for their confirm; match_ids: matches whose
    per-match notifier queues to declare; flush_timeout_s: how long `close` waits for the last
    confirms (default 30 s); log: where state changes are reported (one line each).
    """

    def __init__(self, url: str, outbox: Outbox, match_ids: tuple[str, ...] = (),
                 flush_timeout_s: float = FLUSH_TIMEOUT_S, log: Log = log_to_stderr):
        self._url, self._outbox, self._match_ids, self._log = url, outbox, match_ids, log
        self._flush_timeout_s = flush_timeout_s
        self._state = threading.Condition()
        self._to_send: deque[Pending] = deque()
        self._in_flight: OrderedDict[int, Pending] = OrderedDict()  # delivery tag -> event, oldest first
        self._next_tag = 0
        self._failure: str | None = None
        self._refused = 0
        self._warned_filling = False
        self._warned_unroutable = False
        self._connection: pika.SelectConnection | None = None
        self._channel = None
        self._connected = False
        self._pump_scheduled = False
        self._lost_at: float | None = None
        self._last_error: BaseException | None = None
        self._described = False
        self._closing = threading.Event()
        self._first_attempts_done = threading.Event()
        self._adopt_waiting_events()
        self._thread = threading.Thread(target=self._run, name="amqp-publisher", daemon=True)
        self._thread.start()
        self._first_attempts_done.wait(FIRST_CONNECT_WAIT_S)
        self._raise_if_failed()
        if not self._connected:
            cause = f" ({self._last_error.__class__.__name__})" if self._last_error is not None else ""
            log(f"warning: broker {redacted(url)} unreachable{cause}; deciding on, events wait in {outbox.path} "
                "and are published when it is back")

    # ---- the caller's side -------------------------------------------------------------

    @property
    def waiting(self) -> int:
        """This process's events not yet confirmed by the broker."""
        with self._state:
            return len(self._to_send) + len(self._in_flight)

    def publish(self, event: dict, body: bytes) -> None:
        """Keep `body` (the serialised event) in the outbox and hand it to the I/O loop; returns
        before the confirm, and at once while the broker is away."""
        pending = Pending(event["id"], routing_key(event["subject"], kind_of(event)), body)
        with self._state:
            self._raise_if_failed()
            try:
                if not self._outbox.add(pending.event_id, pending.routing_key, pending.body):
                    return  # the same decision is already waiting (an earlier run's)
            except OutboxFull as error:
                self._refuse(str(error))
                return
            self._to_send.append(pending)
            self._warn_if_filling()
            wake = self._connected and not self._pump_scheduled
            self._pump_scheduled = self._pump_scheduled or wake
        if wake:  # one wake-up of the I/O loop per burst of events, not one per event
            self._connection.ioloop.add_callback_threadsafe(self._pump)

    def flush(self, timeout_s: float | None = None) -> None:
        """Wait until the broker has confirmed every event of this process; BrokerUnavailable
        naming what is left (and where it waits) if that takes longer than `timeout_s`
        (default: the constructor's `flush_timeout_s`)."""
        timeout_s = self._flush_timeout_s if timeout_s is None else timeout_s
        with self._state:
            done = self._state.wait_for(lambda: self._failure or not (self._to_send or self._in_flight), timeout_s)
            self._raise_if_failed()
            if not done:
                left = len(self._to_send) + len(self._in_flight)
                raise BrokerUnavailable(f"broker {redacted(self._url)} did not confirm {left} events within "
                                        f"{timeout_s:g} s; they wait in {self._outbox.path} for the next run")
            if self._refused:
                raise BrokerUnavailable(f"{self._refused} events were not kept for the broker: "
                                        f"{self._outbox.path} was full")

    def close(self, timeout_s: float | None = None) -> None:
        """Flush, then close the connection, the I/O thread and the outbox (whatever is left stays on disk)."""
        try:
            self.flush(timeout_s)
        finally:
            self._closing.set()
            connection = self._connection
            if connection is not None and self._thread.is_alive():
                connection.ioloop.add_callback_threadsafe(self._shutdown)
            self._thread.join(timeout=STOP_TIMEOUT_S)
            self._outbox.close()

    def _adopt_waiting_events(self) -> None:
        adopted = self._outbox.adopt_orphans()
        self._to_send.extend(self._outbox.own_pending())
        if adopted:
            self._log(f"outbox: {adopted} events of an earlier run were never confirmed; publishing them again")

    def _refuse(self, reason: str) -> None:
        if not self._refused:
            self._log(f"warning: {reason}: new events are not kept for the broker (stdout and --events-out still get them)")
        self._refused += 1

    def _warn_if_filling(self) -> None:
        if not self._warned_filling and self._outbox.depth >= WARN_FRACTION * self._outbox.capacity:
            self._warned_filling = True
            self._log(f"warning: outbox {self._outbox.path} holds {self._outbox.depth} of {self._outbox.capacity} events")

    def _raise_if_failed(self) -> None:
        if self._failure:
            raise BrokerUnavailable(self._failure)

    # ---- the I/O thread: connect, run, lose, back off, again ----------------------------

    def _run(self) -> None:
        """Connect and publish until `close`; never ends in a traceback."""
        delays = retry_delays(RECONNECT_ATTEMPTS)
        attempt = 0
        while not self._closing.is_set():
            attempt += 1
            try:
                self._declare_topology()
                if self._run_connection():
                    delays, attempt = retry_delays(RECONNECT_ATTEMPTS), 0  # a fresh back-off after each success
            except (*PERMANENT_ERRORS, ValueError) as error:  # ValueError: a malformed URL
                self._fail(str(unreachable(self._url, attempt, error)))
                return
            except pika.exceptions.ChannelClosedByBroker as error:  # e.g. no permission: retrying cannot help
                self._fail(f"broker {redacted(self._url)} refused the topology ({error.reply_code} {error.reply_text})")
                return
            except CONNECT_ERRORS as error:
                self._last_error = error
            except Exception as error:  # a pika error inside the loop: retry, never a traceback
                self._last_error = error
            if attempt >= CONNECT_ATTEMPTS:
                self._first_attempts_done.set()
            self._closing.wait(next(delays))
        self._first_attempts_done.set()

    def _declare_topology(self) -> None:
        """The exchange and the queues events wait in, on a short blocking connection of its own
        (a queue that exists with other arguments needs a second channel, simpler there)."""
        connection = pika.BlockingConnection(connection_parameters(self._url))
        try:
            report = declare(connection, publisher_queues(self._match_ids))
        finally:
            if connection.is_open:
                connection.close()
        if not self._described:
            self._described = True
            self._log(f"broker {redacted(self._url)}: {report.describe()}")

    def _run_connection(self) -> bool:
        """One SelectConnection until it closes; True if it was open for publishing."""
        self._connection = pika.SelectConnection(connection_parameters(self._url), on_open_callback=self._on_open,
                                                 on_open_error_callback=self._on_open_error,
                                                 on_close_callback=self._on_closed)
        self._was_open = False
        self._connection.ioloop.start()
        return self._was_open

    def _on_open(self, connection) -> None:
        connection.channel(on_open_callback=self._on_channel)

    def _on_open_error(self, connection, error) -> None:
        self._last_error = error
        connection.ioloop.stop()

    def _on_channel(self, channel) -> None:
        self._channel = channel
        channel.add_on_return_callback(self._on_return)
        channel.add_on_close_callback(self._on_channel_closed)
        channel.confirm_delivery(self._on_confirm, callback=self._on_confirms_on)

    def _on_confirms_on(self, _frame) -> None:
        """Ready: publish what waits (an outage's backlog, an earlier run's leftovers) and what comes."""
        with self._state:
            self._connected, self._was_open, self._next_tag = True, True, 0
            waiting = len(self._to_send)
        if self._lost_at is not None:
            self._log(f"broker back after {time.monotonic() - self._lost_at:.1f} s; publishing {waiting} waiting events")
            self._lost_at = None
        self._first_attempts_done.set()
        self._pump()

    def _pump(self) -> None:
        """Put waiting events on the wire, up to MAX_IN_FLIGHT unconfirmed."""
        with self._state:
            self._pump_scheduled = False
        if self._channel is None or not self._channel.is_open or not self._connected:
            return
        with self._state:
            batch = []
            while self._to_send and len(self._in_flight) < MAX_IN_FLIGHT:
                pending = self._to_send.popleft()
                self._next_tag += 1  # the broker numbers confirms 1, 2, ... per channel
                self._in_flight[self._next_tag] = pending
                batch.append(pending)
        for pending in batch:
            properties = pika.BasicProperties(content_type=CONTENT_TYPE, delivery_mode=PERSISTENT,
                                              message_id=pending.event_id)
            self._channel.basic_publish(EXCHANGE, pending.routing_key, pending.body, properties, mandatory=True)

    def _on_confirm(self, frame) -> None:
        method = frame.method
        with self._state:
            settled = self._settle(method.delivery_tag, method.multiple)
            if isinstance(method, Basic.Nack):
                self._to_send.extendleft(reversed(settled))  # offered again after a pause
        if isinstance(method, Basic.Nack):
            self._log(f"warning: broker refused {len(settled)} events; offering them again in {NACK_RETRY_DELAY_S:g} s")
            self._connection.ioloop.call_later(NACK_RETRY_DELAY_S, self._pump)
        else:
            self._outbox.remove([pending.event_id for pending in settled])
        with self._state:
            self._state.notify_all()
        self._pump()

    def _settle(self, delivery_tag: int, multiple: bool) -> list[Pending]:
        """Take the confirmed events out of the in-flight table (oldest first; O(settled), not
        O(in flight): a confirm for "everything up to n" pops from the front)."""
        if not multiple:
            pending = self._in_flight.pop(delivery_tag, None)
            return [pending] if pending else []
        settled = []
        while self._in_flight and next(iter(self._in_flight)) <= delivery_tag:
            settled.append(self._in_flight.popitem(last=False)[1])
        return settled

    def _on_return(self, channel, method, properties, body) -> None:
        if not self._warned_unroutable:
            self._log(f"warning: no queue is bound for {method.routing_key}: the broker dropped the event")
            self._warned_unroutable = True

    def _on_channel_closed(self, channel, reason) -> None:
        """A channel closed by the broker: drop the connection and start again."""
        self._last_error = reason
        if self._connection.is_open:
            self._connection.close()

    def _on_closed(self, connection, reason) -> None:
        """Lost or closed: what was in flight waits again, in order, for the next connection."""
        with self._state:
            was_connected, self._connected = self._connected, False
            self._to_send.extendleft(reversed(list(self._in_flight.values())))
            self._in_flight.clear()
            waiting = len(self._to_send)
        if was_connected and not self._closing.is_set():
            self._lost_at = time.monotonic()
            self._log(f"warning: broker connection lost ({reason.__class__.__name__}); deciding on, "
                      f"{waiting} events wait in the outbox; reconnecting")
        self._last_error = reason
        connection.ioloop.stop()

    def _shutdown(self) -> None:
        """Loop side of `close`."""
        if self._connection.is_open:
            self._connection.close()
        elif not self._connection.is_closing:
            self._connection.ioloop.stop()

    def _fail(self, message: str) -> None:
        with self._state:
            self._failure = self._failure or message
            self._state.notify_all()
        self._first_attempts_done.set()


def connect_publisher(url: str, outbox: Outbox, match_ids: tuple[str, ...] = (),
                      flush_timeout_s: float = FLUSH_TIMEOUT_S) -> OutboxPublisher:
    """A publisher through `outbox`; BrokerUnavailable at once only for wrong credentials or vhost."""
    return OutboxPublisher(url, outbox, match_ids, flush_timeout_s)
