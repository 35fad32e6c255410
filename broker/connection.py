"""The one place that opens connections to RabbitMQ: URL, retries with capped back-off, redaction."""

from __future__ import annotations

import os
import ssl
import time
from urllib.parse import urlsplit, urlunsplit

import pika
import pika.exceptions
from pika.adapters.utils.connection_workflow import AMQPConnectorException

DEFAULT_URL = "amqp://guest:guest@localhost:5672/%2F"
"""CONTRACT section 1: the local broker's documented default."""
CONNECT_ATTEMPTS = 4
"""Attempts before a command gives up at its start (exit 3): with the delays below, about 7.5 s,
long enough to ride out a broker restart's refused connections, short enough for a typo'd URL."""
FIRST_RETRY_DELAY_S = 0.5
MAX_RETRY_DELAY_S = 4.0
"""Back-off doubles from 0.5 s and stops growing at 4 s: a broker back after an outage is found
within 4 s, and a dead one costs one attempt every 4 s."""
FOREVER = 1_000_000_000
"""Attempts for a process that has been connected once: it never gives up on the broker."""
SOCKET_TIMEOUT_S = 3.0
"""A single socket operation on localhost or a LAN answers in milliseconds; 3 s means a dead peer."""
STACK_TIMEOUT_S = 5.0
"""A whole connection attempt (TCP, AMQP handshake) may take this long: an endpoint that accepts
the TCP connection but never speaks AMQP costs 5 s an attempt, not pika's default 15 s."""
BLOCKED_TIMEOUT_S = 30.0
"""The broker may block publishers (memory or disk alarm) this long before the connection is dropped."""
PERMANENT_ERRORS = (pika.exceptions.ProbableAuthenticationError, pika.exceptions.ProbableAccessDeniedError,
                    ssl.SSLCertVerificationError)
"""Wrong credentials, vhost or certificate: another attempt cannot succeed, so none is made."""
CONNECT_ERRORS = (pika.exceptions.AMQPError, AMQPConnectorException, OSError, ValueError)


class BrokerUnavailable(Exception):
    """The broker could not be reached after the retries (exit 3).

    cause: the last error met; permanent: whether another attempt could succeed (False for
    wrong credentials or vhost).
    """

    exit_status = 3

    def __init__(self, message: str, cause: BaseException | None = None):
        super().__init__(message)
        self.cause = cause
        self.permanent = isinstance(cause, (*PERMANENT_ERRORS, ValueError))  # ValueError: a malformed URL


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


def connection_parameters(url: str) -> pika.URLParameters:
    """The parameters every connection of the project uses (ValueError for a malformed URL)."""
    try:
        parameters = pika.URLParameters(url)
    except (TypeError, SyntaxError) as error:  # pika evaluates ?ssl_options= while parsing: a bad value is a bad URL
        raise ValueError(f"bad ssl_options in the broker URL ({error.__class__.__name__})") from None
    parameters.connection_attempts = 1  # the retries are ours, with back-off
    parameters.socket_timeout = SOCKET_TIMEOUT_S
    parameters.stack_timeout = STACK_TIMEOUT_S
    parameters.blocked_connection_timeout = BLOCKED_TIMEOUT_S
    return parameters


def retry_delays(attempts: int = CONNECT_ATTEMPTS):
    """Seconds to wait after each failed attempt but the last: 0.5, 1, 2, 4, 4, ..."""
    delay = FIRST_RETRY_DELAY_S
    for _ in range(attempts - 1):
        yield delay
        delay = min(delay * 2, MAX_RETRY_DELAY_S)


def unreachable(url: str, attempts: int, error: BaseException | None) -> BrokerUnavailable:
    """The one-line error for a broker that could not be reached, with the last cause."""
    cause = f" ({error.__class__.__name__})" if error is not None else ""
    tries = "1 attempt" if attempts == 1 else f"{attempts} attempts"
    return BrokerUnavailable(f"broker {redacted(url)} unreachable after {tries}{cause}", error)


def connect(url: str, attempts: int = CONNECT_ATTEMPTS) -> pika.BlockingConnection:
    """A blocking connection, retried with capped exponential back-off; BrokerUnavailable naming
    the URL (password hidden) and the cause when every attempt fails, at once for a permanent cause."""
    try:
        parameters = connection_parameters(url)
    except ValueError as error:
        raise unreachable(url, 1, error) from None
    delays = retry_delays(attempts)
    for attempt in range(1, attempts + 1):
        try:
            return pika.BlockingConnection(parameters)
        except PERMANENT_ERRORS as error:
            raise unreachable(url, attempt, error) from None
        except CONNECT_ERRORS as error:
            last = error
        delay = next(delays, None)
        if delay is not None:
            time.sleep(delay)
    raise unreachable(url, attempts, last)
