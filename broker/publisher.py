"""Publishing events to RabbitMQ with publisher confirms (first version: one blocking connection)."""

from __future__ import annotations

import sys
import time
from urllib.parse import urlsplit, urlunsplit

import pika
import pika.exceptions

from broker.events import CONTENT_TYPE, EXCHANGE, kind_of, routing_key

CONNECT_ATTEMPTS = 4
FIRST_RETRY_DELAY_S = 0.5
MAX_RETRY_DELAY_S = 4.0
PERSISTENT = 2
"""AMQP delivery_mode 2: the broker writes the message to disk."""
SOCKET_TIMEOUT_S = 3.0


class BrokerUnavailable(Exception):
    """The broker could not be reached after the retries (exit 3)."""

    exit_status = 3


def redacted(url: str) -> str:
    """The URL with its password hidden, fit for a log line.

    >>> redacted("amqp://guest:secret@example.org:5672/%2F")
    'amqp://guest:***@example.org:5672/%2F'
    >>> redacted("amqp://u:secret@host:99999/")
    'amqp://u:***@host:99999/'
    """
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host_and_port = parts.netloc.rsplit("@", 1)[-1]  # not parts.port: it raises on a bad port
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host_and_port}"))


class ConfirmingPublisher:
    """Publishes each event persistently and waits for the broker's confirm."""

    def __init__(self, connection: pika.BlockingConnection):
        self._connection = connection
        self._channel = connection.channel()
        self._channel.confirm_delivery()
        self._channel.exchange_declare(EXCHANGE, exchange_type="topic", durable=True)
        self._warned_unroutable = False

    def publish(self, event: dict, body: bytes) -> None:
        """Publish `body` (the event serialised) and wait for the broker's confirm.

        Raises BrokerUnavailable if the connection is lost or the broker refuses the event.
        """
        properties = pika.BasicProperties(content_type=CONTENT_TYPE, delivery_mode=PERSISTENT, message_id=event["id"])
        key = routing_key(event["subject"], kind_of(event))
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
    """Connect with capped exponential back-off; BrokerUnavailable naming the URL if all fail."""
    delay = FIRST_RETRY_DELAY_S
    for attempt in range(1, CONNECT_ATTEMPTS + 1):
        try:
            parameters = pika.URLParameters(url)
            parameters.connection_attempts = 1
            parameters.socket_timeout = SOCKET_TIMEOUT_S
            return ConfirmingPublisher(pika.BlockingConnection(parameters))
        except (pika.exceptions.AMQPError, OSError, ValueError) as error:
            last = error
            if attempt < CONNECT_ATTEMPTS:
                time.sleep(delay)
                delay = min(delay * 2, MAX_RETRY_DELAY_S)
    raise BrokerUnavailable(f"broker {redacted(url)} unreachable after {CONNECT_ATTEMPTS} attempts ({last.__class__.__name__})")
