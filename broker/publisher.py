"""Publishing events to RabbitMQ through a durable outbox: nothing lost, whatever fails.

An event counts as sent only when the broker has confirmed it. Until then it waits in the
outbox on disk (written before publishing, removed on the confirm), so it survives a broker
outage, a lost connection and a killed camera process; it is published again, with the same
id, as soon as a connection is back. The caller never waits for the broker: `publish` stores
the event and returns, and the camera goes on deciding while the broker is away.

Following pika's asynchronous publisher example: a SelectConnection runs its I/O loop in a
thread of its own, confirms are switched on in one place (`_on_channel`), one small callback per
connection step, and a reconnect loop with capped back-off. Errors split into "retry" (anything
once connected: a lost or refused connection, a refused event, an error in a callback) and
"stop" (before the first connection only: wrong credentials, vhost or certificate, a malformed
URL, a topology the broker refuses; BrokerUnavailable, exit 3).
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import threading
import time
from collections import OrderedDict, deque

import pika
import pika.exceptions
from pika.spec import Basic

from broker.connection import (
    CONNECT_ATTEMPTS,
    FOREVER,
    MAX_RETRY_DELAY_S,
    PERMANENT_ERRORS,
    STACK_TIMEOUT_S,
    BrokerUnavailable,
    connection_parameters,
    redacted,
    retry_delays,
    unreachable,
)
from broker.events import CONTENT_TYPE, EXCHANGE, kind_of, routing_key, team_headers
from broker.log_line import Log, log_to_stderr
from broker.outbox import WARN_FRACTION, Outbox, OutboxFull, Pending
from broker.topology import declare, publisher_queues

PERSISTENT = 2
"""AMQP delivery_mode 2: the broker writes the message to disk."""
MAX_IN_FLIGHT = 5_000
"""Unconfirmed messages on the wire at most (about 3 MB of bodies); the rest wait their turn in
the outbox. Far above what keeps the pipe full on a LAN (confirms return within milliseconds)."""
FLUSH_TIMEOUT_S = 30.0
"""How long `close` waits for the broker to confirm what is left (e.g. the end of an outage)."""
STOP_TIMEOUT_S = 10.0
"""How long `close` waits for the I/O thread after asking it to stop (a close handshake is ms)."""
FIRST_CONNECT_WAIT_S = CONNECT_ATTEMPTS * (STACK_TIMEOUT_S + MAX_RETRY_DELAY_S)
"""The constructor waits at most this long (each first attempt's longest handshake and back-off)
before the camera starts deciding without a broker."""
NACK_RETRY_DELAY_S = 1.0
"""An event the broker refused (nack) is offered again after this pause, not in a tight loop."""
ACCESS_REFUSED, PRECONDITION_FAILED = 403, 406
"""AMQP reply codes that no retry mends before the first connection: no permission on our names,
or an exchange of ours declared elsewhere with another type."""


class OutboxPublisher:
    """Publishes persistent events through `outbox`, reconnecting as needed.

    url: AMQP URL; outbox: where events wait for their confirm; match_ids: matches whose
    per-match notifier queues to declare; flush_timeout_s: how long `close` waits for the last
    confirms (default 30 s); log: where state changes are reported (one line each).
    """

    def __init__(self, url: str, outbox: Outbox, match_ids: tuple[str, ...] = (),
                 flush_timeout_s: float = FLUSH_TIMEOUT_S, log: Log = log_to_stderr):
        self._url, self._outbox, self._match_ids, self._log = url, outbox, match_ids, log
        self._parameters = _parameters_or_stop(url)
        self._flush_timeout_s = flush_timeout_s
        self._state = threading.Condition()  # guards everything below that both threads touch
        self._to_send: deque[Pending] = deque()
        self._in_flight: OrderedDict[int, Pending] = OrderedDict()  # delivery tag -> event, oldest first
        self._nacked: list[Pending] = []
        self._returned: set[str] = set()
        self._next_tag = 0
        self._connected = self._pump_scheduled = False
        self._failure: str | None = None
        self._refused = 0
        self._refused_reason = ""
        self._warned_filling = False
        self._loop_lock = threading.Lock()  # the caller may only add callbacks to a running loop
        self._loop_alive = False
        self._connection: pika.SelectConnection | None = None
        self._channel = None
        self._ever_connected = self._was_open = False
        self._lost_at: float | None = None
        self._last_error: BaseException | None = None
        self._closing = threading.Event()
        self._first_attempts_done = threading.Event()
        self._adopt_waiting_events()
        self._thread = threading.Thread(target=self._run, name="amqp-publisher", daemon=True)
        self._thread.start()
        self._first_attempts_done.wait(FIRST_CONNECT_WAIT_S)
        self._raise_if_failed()
        if not self._connected:
            cause = f" ({self._last_error.__class__.__name__})" if self._last_error is not None else ""
            log(f"warning: broker {redacted(url)} unreachable{cause}; deciding on, events wait in "
                f"{outbox.path} and are published when it is back")

    # ---- the caller's side -------------------------------------------------------------

    @property
    def waiting(self) -> int:
        """This process's events not yet confirmed by the broker."""
        with self._state:
            return len(self._to_send) + len(self._in_flight) + len(self._nacked)

    def publish(self, event: dict, body: bytes) -> None:
        """Keep `body` (the serialised event) in the outbox and hand it to the I/O loop; returns
        before the confirm, and at once while the broker is away."""
        pending = Pending(event["id"], routing_key(event["subject"], kind_of(event)), body, team_headers(event))
        self._raise_if_failed()
        try:  # on disk first; outside the lock the I/O thread takes at every confirm
            if not self._outbox.add(pending.event_id, pending.routing_key, pending.body):
                return  # the same decision is already waiting (an earlier run's)
        except OutboxFull as error:
            self._refuse(str(error))
            return
        except sqlite3.Error as error:
            self._refuse(f"outbox {self._outbox.path} cannot be written ({error})")
            return
        with self._state:
            self._to_send.append(pending)
            wake = self._connected and not self._pump_scheduled
            self._pump_scheduled = self._pump_scheduled or wake
        self._warn_if_filling()
        if wake:  # one wake-up of the I/O loop per burst of events, not one per event
            self._call_in_loop(self._pump)

    def flush(self, timeout_s: float | None = None) -> None:
        """Wait until the broker has confirmed every event of this process; BrokerUnavailable
        naming what is left (and where it waits) if that takes longer than `timeout_s`
        (default: the constructor's `flush_timeout_s`)."""
        timeout_s = self._flush_timeout_s if timeout_s is None else timeout_s
        with self._state:
            done = self._state.wait_for(lambda: self._failure or not self._unconfirmed(), timeout_s)
            self._raise_if_failed()
            if not done:
                raise BrokerUnavailable(f"broker {redacted(self._url)} did not confirm {self._unconfirmed()} events "
                                        f"within {timeout_s:g} s; they wait in {self._outbox.path} for the next run")
            if self._refused:
                raise BrokerUnavailable(f"{self._refused} events were not kept for the broker: {self._refused_reason}")

    def close(self, timeout_s: float | None = None) -> None:
        """Flush, then close the connection, the I/O thread and the outbox (whatever is left stays
        on disk, for the next process on the same state folder)."""
        try:
            self.flush(timeout_s)
        finally:
            self._closing.set()
            self._call_in_loop(self._shutdown)
            self._thread.join(timeout=STOP_TIMEOUT_S)
            if not self._thread.is_alive():  # a thread still running may yet confirm into the outbox
                self._outbox.close()

    def _unconfirmed(self) -> int:
        return len(self._to_send) + len(self._in_flight) + len(self._nacked)

    def _call_in_loop(self, callback) -> None:
        """Run `callback` on the I/O thread, if its loop runs (else the thread sees `_closing`)."""
        with self._loop_lock:
            if self._loop_alive:
                self._connection.ioloop.add_callback_threadsafe(callback)

    def _adopt_waiting_events(self) -> None:
        adopted = self._outbox.adopt_orphans()
        self._to_send.extend(_with_team_headers(pending) for pending in self._outbox.own_pending())
        if adopted:
            self._log(f"outbox: {adopted} events of an earlier run were never confirmed; publishing them again")

    def _refuse(self, reason: str) -> None:
        with self._state:
            first = not self._refused
            self._refused += 1
            self._refused_reason = self._refused_reason or reason
        if first:
            self._log(f"warning: {reason}: new events are not kept for the broker "
                      "(stdout and --events-out still get them)")

    def _warn_if_filling(self) -> None:
        if not self._warned_filling and self._outbox.depth >= WARN_FRACTION * self._outbox.capacity:
            self._warned_filling = True
            self._log(f"warning: outbox {self._outbox.path} holds {self._outbox.depth} of "
                      f"{self._outbox.capacity} events")

    def _raise_if_failed(self) -> None:
        if self._failure:
            raise BrokerUnavailable(self._failure)

    # ---- the I/O thread: connect, run, lose, back off, again ----------------------------

    def _run(self) -> None:
        """Connect and publish until `close`; never ends in a traceback."""
        delays, failures = retry_delays(FOREVER), 0
        while not self._closing.is_set():
            try:
                self._declare_topology()
                opened = self._run_connection()
            except Exception as error:  # every failure is retried, but for the few `_stop_for` names
                if (reason := self._stop_for(error, failures + 1)) is not None:
                    self._fail(reason)
                    return
                self._last_error, opened = error, False
            if opened:
                delays, failures = retry_delays(FOREVER), 0  # a fresh back-off after each success
            else:
                failures += 1
            if failures >= CONNECT_ATTEMPTS:
                self._first_attempts_done.set()
            self._closing.wait(next(delays))
        self._first_attempts_done.set()

    def _stop_for(self, error: Exception, attempts: int) -> str | None:
        """The reason to stop for good, or None to retry. Once connected, nothing stops the
        publisher: a refusal then is a broker restarting or an operator at work."""
        if self._ever_connected:
            return None
        if isinstance(error, PERMANENT_ERRORS):
            return str(unreachable(self._url, attempts, error))
        if isinstance(error, pika.exceptions.ChannelClosedByBroker) and \
                error.reply_code in (ACCESS_REFUSED, PRECONDITION_FAILED):
            return f"broker {redacted(self._url)} refused the topology ({error.reply_code} {error.reply_text})"
        return None

    def _declare_topology(self) -> None:
        """The exchange and the queues events wait in, on a short blocking connection of its own
        (a queue that exists with other arguments needs a second channel, simpler there)."""
        connection = pika.BlockingConnection(self._parameters)
        try:
            report = declare(connection, publisher_queues(self._match_ids))
        finally:
            if connection.is_open:
                connection.close()
        if not self._ever_connected:
            self._log(f"broker {redacted(self._url)}: {report.describe()}")

    def _run_connection(self) -> bool:
        """One SelectConnection until it closes; True if it was open for publishing."""
        if self._closing.is_set():
            return False
        connection = pika.SelectConnection(self._parameters, on_open_callback=self._on_open,
                                           on_open_error_callback=self._on_open_error,
                                           on_close_callback=self._on_closed)
        self._connection, self._was_open = connection, False
        with self._loop_lock:
            self._loop_alive = True
        try:
            connection.ioloop.start()
        except Exception as error:  # a callback raised: this connection is done for, not the publisher
            self._last_error = error
            self._log(f"warning: publisher error ({error.__class__.__name__}: {error}); reconnecting")
            self._close_after_error(connection)
        finally:
            with self._loop_lock:
                self._loop_alive = False
            connection.ioloop.close()  # its wake-up socket pair and poller, now rather than at GC
        return self._was_open

    def _close_after_error(self, connection) -> None:
        """Close a connection whose loop stopped on an exception, and take back its events."""
        try:
            if connection.is_open:
                connection.close()
            if not connection.is_closed:
                connection.ioloop.start()  # until _on_closed stops it
        except Exception:  # noqa: BLE001 (the socket goes with the loop; the events are what matter)
            pass
        self._forget_connection()

    def _on_open(self, connection) -> None:
        if self._closing.is_set():
            connection.close()
            return
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
        if self._closing.is_set():
            self._connection.close()
            return
        with self._state:
            self._connected, self._was_open, self._next_tag = True, True, 0
            waiting = len(self._to_send)
        self._ever_connected = True
        if self._lost_at is not None:
            outage_s = time.monotonic() - self._lost_at
            self._log(f"broker back after {outage_s:.1f} s; publishing {waiting} waiting events")
            self._lost_at = None
        self._first_attempts_done.set()
        self._pump()

    def _pump(self) -> None:
        """Put waiting events on the wire, up to MAX_IN_FLIGHT unconfirmed."""
        with self._state:
            self._pump_scheduled = False
            if self._channel is None or not self._channel.is_open or not self._connected:
                return
            batch = []
            while self._to_send and len(self._in_flight) < MAX_IN_FLIGHT:
                self._next_tag += 1  # the broker numbers confirms 1, 2, ... per channel
                self._in_flight[self._next_tag] = self._to_send.popleft()
                batch.append(self._in_flight[self._next_tag])
        for pending in batch:
            properties = pika.BasicProperties(content_type=CONTENT_TYPE, delivery_mode=PERSISTENT,
                                              message_id=pending.event_id, headers=pending.headers or None)
            self._channel.basic_publish(EXCHANGE, pending.routing_key, pending.body, properties, mandatory=True)

    def _on_confirm(self, frame) -> None:
        method = frame.method
        refused = isinstance(method, Basic.Nack)
        with self._state:
            settled = self._settle(method.delivery_tag, method.multiple)
            if refused:
                self._nacked.extend(settled)
            returned = [pending for pending in settled if pending.event_id in self._returned]
        if refused:
            self._log(f"warning: broker refused {len(settled)} events; offering them again in {NACK_RETRY_DELAY_S:g} s")
            self._connection.ioloop.call_later(NACK_RETRY_DELAY_S, self._offer_nacked_again)
        else:
            self._forget_confirmed([pending for pending in settled if pending not in returned])
        if returned:
            self._reroute(returned)
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

    def _forget_confirmed(self, settled: list[Pending]) -> None:
        """The broker has them: off the disk. A failed removal only means they are published
        again by a later process (duplicates, which consumers drop)."""
        try:
            self._outbox.remove([pending.event_id for pending in settled])
        except sqlite3.Error as error:
            self._log(f"warning: {len(settled)} confirmed events stay in {self._outbox.path} ({error}); "
                      "a later run publishes them again and consumers drop the duplicates")

    def _offer_nacked_again(self) -> None:
        with self._state:
            self._to_send.extendleft(reversed(self._nacked))
            self._nacked.clear()
        self._pump()

    def _on_return(self, channel, method, properties, body) -> None:
        """Unroutable (no queue bound): the broker acks it anyway, so keep it and re-declare."""
        with self._state:
            self._returned.add(properties.message_id)

    def _reroute(self, returned: list[Pending]) -> None:
        """Events the broker could not route: keep them, reconnect (which re-declares the
        queues), and publish them again."""
        self._log(f"warning: no queue was bound for {returned[0].routing_key} ({len(returned)} events): "
                  "declaring the queues again and republishing")
        with self._state:
            self._to_send.extendleft(reversed(returned))
            self._returned.difference_update(pending.event_id for pending in returned)
        if self._connection.is_open:
            self._connection.close()

    def _on_channel_closed(self, channel, reason) -> None:
        """A channel closed by the broker: drop the connection and start again."""
        self._last_error = reason
        if self._connection.is_open:
            self._connection.close()

    def _on_closed(self, connection, reason) -> None:
        """Lost or closed: what was in flight waits again, in order, for the next connection."""
        was_connected, waiting = self._forget_connection()
        if was_connected and not self._closing.is_set():
            self._lost_at = time.monotonic()
            self._log(f"warning: broker connection lost ({reason.__class__.__name__}); deciding on, "
                      f"{waiting} events wait in the outbox; reconnecting")
        self._last_error = reason
        connection.ioloop.stop()

    def _forget_connection(self) -> tuple[bool, int]:
        """Put in-flight and refused events back in line; (was connected, events waiting)."""
        with self._state:
            was_connected, self._connected = self._connected, False
            self._to_send.extendleft(reversed([*self._in_flight.values(), *self._nacked]))
            self._in_flight.clear()
            self._nacked.clear()
            self._returned.clear()
            return was_connected, len(self._to_send)

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


def _with_team_headers(pending: Pending) -> Pending:
    """An event read back from the outbox, its team headers derived again from its body."""
    try:
        event = json.loads(pending.body)
    except ValueError:
        return pending
    return dataclasses.replace(pending, headers=team_headers(event) if isinstance(event, dict) else None)


def _parameters_or_stop(url: str) -> pika.URLParameters:
    """The connection parameters; BrokerUnavailable at once for a malformed URL."""
    try:
        return connection_parameters(url)
    except ValueError as error:
        raise unreachable(url, 1, error) from None


def connect_publisher(url: str, outbox: Outbox, match_ids: tuple[str, ...] = (),
                      flush_timeout_s: float = FLUSH_TIMEOUT_S) -> OutboxPublisher:
    """A publisher through `outbox`; BrokerUnavailable at once only for wrong credentials, vhost,
    certificate or URL."""
    return OutboxPublisher(url, outbox, match_ids, flush_timeout_s)
