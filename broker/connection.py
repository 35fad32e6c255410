"""The one place that opens connections to RabbitMQ: URL, retries with capped back-off, redaction."""

from __future__ import annotations

import os
import time
from urllib.parse import urlsplit, urlunsplit

import pika
import pika.exceptions

DEFAULT_URL = "amqp://guest:guest@localhost:5672/%2F"
"""CONTRACT section 1: the local broker's documented default."""
CONNECT_ATTEMPTS = 4
FIRST_RETRY_DELAY_S = 0.5
MAX_RETRY_DELAY_S = 4.0
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


def broker_url(given: str | None) -> str:
    """--broker, else $AMQP_URL, else the local default (CONTRACT section 1)."""
    return given or os.environ.get("AMQP_URL") or DEFAULT_URL


def connect(url: str, attempts: int = CONNECT_ATTEMPTS) -> pika.BlockingConnection:
    """A blocking connection, retried with capped exponential back-off; BrokerUnavailable naming
    the URL (password hidden) when every attempt fails."""
    delay = FIRST_RETRY_DELAY_S
    for attempt in range(1, attempts + 1):
        try:
            parameters = pika.URLParameters(url)
            parameters.connection_attempts = 1
            parameters.socket_timeout = SOCKET_TIMEOUT_S
            return pika.BlockingConnection(parameters)
        except (pika.exceptions.AMQPError, OSError, ValueError) as error:
            last = error
            if attempt < attempts:
                time.sleep(delay)
                delay = min(delay * 2, MAX_RETRY_DELAY_S)
    raise BrokerUnavailable(f"broker {redacted(url)} unreachable after {attempts} attempts ({last.__class__.__name__})")
