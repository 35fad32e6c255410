"""Consuming the notifier's queue: manual acks after handling, bad messages parked, clean stop."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable

import pika
import pika.exceptions

from broker.connection import BrokerUnavailable, connect, redacted
from broker.topology import declare_notify_queue
from consumers.events import CloudEvent, InvalidEvent, parse_event

PREFETCH = 100
"""Messages in flight to one notifier: enough to keep it busy, few to redeliver after a crash."""


class _Stop(Exception):
    """Raised by the SIGTERM handler: leave the consuming loop as Ctrl+C does."""


class OutputClosed(Exception):
    """The handler's output went away (a pipe closed): stop quietly, leave the rest queued."""


def _stop(*_signal) -> None:
    raise _Stop()


def consume(url: str, match_id: str | None, handle: Callable[[CloudEvent], None],
            on_ready: Callable[[str], None] | None = None) -> None:
    """Deliver each event of the match (or of every match) to `handle` until SIGINT / SIGTERM.

    A message is acknowledged only after `handle` returned; one that is not a valid event, or that
    the handler fails on, is reported once and dead-lettered to the parking queue (never requeued
    in a loop). BrokerUnavailable when the broker cannot be reached or goes away.
    """
    previous = signal.signal(signal.SIGTERM, _stop)  # before connecting: a stop may come at any time
    connection = None
    try:
        connection = connect(url)
        channel = connection.channel()
        queue = declare_notify_queue(channel, match_id)
        channel.basic_qos(prefetch_count=PREFETCH)
        channel.basic_consume(queue, lambda ch, method, properties, body: _deliver(ch, method, properties, body, handle))
        if on_ready:
            on_ready(queue)
        channel.start_consuming()
    except (KeyboardInterrupt, _Stop, OutputClosed):
        pass
    except pika.exceptions.AMQPError as error:
        raise BrokerUnavailable(f"broker {redacted(url)} went away ({error.__class__.__name__})") from None
    finally:
        signal.signal(signal.SIGTERM, previous)
        _close_quietly(connection)


def _deliver(channel, method, properties, body: bytes, handle: Callable[[CloudEvent], None]) -> None:
    """Validate, hand to the handler, then ack; park what cannot be handled."""
    label = properties.message_id or method.delivery_tag
    try:
        event = parse_event(body)
    except InvalidEvent as error:
        print(f"parked message {label}: {error}", file=sys.stderr, flush=True)
        channel.basic_nack(method.delivery_tag, requeue=False)
        return
    try:
        handle(event)
    except BrokenPipeError:
        raise OutputClosed() from None  # unacknowledged: the message stays for the next notifier
    except Exception as error:  # a handler bug must not loop on one message: park it and go on
        print(f"parked message {label}: the handler failed ({error.__class__.__name__}: {error})",
              file=sys.stderr, flush=True)
        channel.basic_nack(method.delivery_tag, requeue=False)
        return
    channel.basic_ack(method.delivery_tag)


def _close_quietly(connection) -> None:
    """Close the connection if it is open; unacknowledged messages go back to the queue."""
    if connection is not None and connection.is_open:
        try:
            connection.close()
        except pika.exceptions.AMQPError:
            pass  # already going away
