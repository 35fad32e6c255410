"""Publishing events to RabbitMQ with publisher confirms (first version: one blocking connection)."""

from __future__ import annotations

import json
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


class BrokerUnavailable(Exception):
    """The broker could not be reached after the retries (exit 3)."""

    exit_status = 3


def redacted(url: str) -> str:
    """The URL with its password hidden, fit for a log line."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class ConfirmingPublisher:
    """Publishes each event persistently and waits for the broker's confirm."""

    def __init__(self, connection: pika.BlockingConnection):
        self._connection = connection
        self._channel = connection.channel()
        self._channel.confirm_delivery()
        self._channel.exchange_declare(EXCHANGE, exchange_type="topic", durable=True)
        self._warned_unroutable = False

    def publish(self, event: dict) -> None:
        properties = pika.BasicProperties(content_type=CONTENT_TYPE, delivery_mode=PERSISTENT, message_id=event["id"])
        key = routing_key(event["subject"], kind_of(event))
        try:
            self._channel.basic_publish(EXCHANGE, key, json.dumps(event).encode(), properties, mandatory=True)
        except pika.exceptions.UnroutableError:
            if not self._warned_unroutable:
                print(f"warning: no queue is bound for {key}: the broker dropped the event", file=sys.stderr)
                self._warned_unroutable = True

    def close(self) -> None:
        if self._connection.is_open:
            self._connection.close()


def connect_publisher(url: str) -> ConfirmingPublisher:
    """Connect with capped exponential back-off; BrokerUnavailable naming the URL if all fail."""
    delay = FIRST_RETRY_DELAY_S
    for attempt in range(1, CONNECT_ATTEMPTS + 1):
        try:
            parameters = pika.URLParameters(url)
            parameters.connection_attempts = 1
            parameters.socket_timeout = 3
            return ConfirmingPublisher(pika.BlockingConnection(parameters))
        except (pika.exceptions.AMQPError, OSError, ValueError) as error:
            last = error
            if attempt < CONNECT_ATTEMPTS:
                time.sleep(delay)
                delay = min(delay * 2, MAX_RETRY_DELAY_S)
    raise BrokerUnavailable(f"broker {redacted(url)} unreachable after {CONNECT_ATTEMPTS} attempts ({last.__class__.__name__})")
