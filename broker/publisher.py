"""Publishing events to RabbitMQ with publisher confirms (first version: one blocking connection)."""

from __future__ import annotations

import sys

import pika
import pika.exceptions

from broker.connection import BrokerUnavailable, connect
from broker.events import CONTENT_TYPE, EXCHANGE, kind_of, routing_key
from broker.topology import declare_notify_queue

PERSISTENT = 2
"""AMQP delivery_mode 2: the broker writes the message to disk."""



class ConfirmingPublisher:
    """Publishes each event persistently and waits for the broker's confirm."""

    def __init__(self, connection: pika.BlockingConnection):
        self._connection = connection
        self._channel = connection.channel()
        self._channel.confirm_delivery()
        declare_notify_queue(self._channel)  # events wait for the notifier, whoever starts first
        self._declared_matches: set[str] = set()
        self._warned_unroutable = False

    def publish(self, event: dict, body: bytes) -> None:
        """Publish `body` (the event serialised) and wait for the broker's confirm.

        Raises BrokerUnavailable if the connection is lost or the broker refuses the event.
        """
        properties = pika.BasicProperties(content_type=CONTENT_TYPE, delivery_mode=PERSISTENT, message_id=event["id"])
        key = routing_key(event["subject"], kind_of(event))
        if event["subject"] not in self._declared_matches:  # a notifier of this match alone may start later
            declare_notify_queue(self._channel, event["subject"])
            self._declared_matches.add(event["subject"])
        try:
            self._channel.basic_publish(EXCHANGE, key, body, properties, mandatory=True)
        except pika.exceptions.UnroutableError:
            if not self._warned_unroutable:
                print(f"warning: no queue is bound for {key}: the broker dropped the event", file=sys.stderr)
                self._warned_unroutable = True
        except pika.exceptions.AMQPError as error:
            raise BrokerUnavailable(f"broker connection lost while publishing {event['id']} ({error.__class__.__name__})") from None

    def close(self) -> None:
        """Close the connection if it is still open."""
        if self._connection.is_open:
            try:
                self._connection.close()
            except pika.exceptions.AMQPError:
                pass  # already going away: nothing left to release


def connect_publisher(url: str) -> ConfirmingPublisher:
    """A confirming publisher on a new connection (BrokerUnavailable naming the URL if none)."""
    return ConfirmingPublisher(connect(url))
