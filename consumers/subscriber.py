"""Consuming the notifier's queue: manual acks after handling, bad messages parked, clean stop."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable

import pika

from broker.connection import connect
from broker.topology import declare_notify_queue
from consumers.events import CloudEvent, InvalidEvent, parse_event

PREFETCH = 100
"""Messages in flight to one notifier: enough to keep it busy, few to redeliver after a crash."""


def consume(url: str, match_id: str | None, handle: Callable[[CloudEvent], None],
            on_ready: Callable[[str], None] | None = None) -> None:
    """Deliver each event of the match (or of every match) to `handle` until SIGINT / SIGTERM.

    A message is acknowledged only after `handle` returned; one that is not a valid event is
    reported once and dead-lettered to the parking queue (never requeued in a loop).
    """
    connection = connect(url)
    channel = connection.channel()
    queue = declare_notify_queue(channel, match_id)
    channel.basic_qos(prefetch_count=PREFETCH)

    def on_message(ch, method, properties, body: bytes) -> None:
        try:
            event = parse_event(body)
        except InvalidEvent as error:
            print(f"parked message {properties.message_id or method.delivery_tag}: {error}", file=sys.stderr, flush=True)
            ch.basic_nack(method.delivery_tag, requeue=False)
            return
        handle(event)
        ch.basic_ack(method.delivery_tag)

    channel.basic_consume(queue, on_message)
    stop = lambda *_: connection.add_callback_threadsafe(channel.stop_consuming)  # noqa: E731
    previous = signal.signal(signal.SIGTERM, stop)
    if on_ready:
        on_ready(queue)
    try:
        channel.start_consuming()
    except KeyboardInterrupt:
        channel.stop_consuming()
    finally:
        signal.signal(signal.SIGTERM, previous)
        if connection.is_open:
            try:
                connection.close()  # unacknowledged messages go back to the queue
            except pika.exceptions.AMQPError:
                pass
