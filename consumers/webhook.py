"""The webhook consumer: each notification posted as JSON to an HTTP endpoint, through the
consumer loop's retries and parking (consumers.subscriber).

Formats: `slack` {"text": "<headline> <line>"} (a Slack incoming webhook), `discord`
{"content": "<headline> <line>"} (a Discord webhook), `event` the whole CloudEvent (structured
mode, `application/cloudevents+json`).

What an answer means (the handler raises on every failure; consumers.subscriber then retries the
event after 1 s, 4 s, 16 s and parks it in `goalline.parking` after the 4th failed post):
- 2xx: delivered;
- 408, 429, 5xx, no connection, no answer within the timeouts: a transient failure;
- 3xx (redirects are not followed) and every other 4xx: a permanent failure, and its reason says
  so; it is parked at once (consumers.subscriber.Unrecoverable), as no retry can mend it.

A webhook's URL is a secret (Slack's and Discord's carry their token in the path): no log line
and no parking reason holds more of it than scheme://host:port/… .

Each URL has a queue of its own, named from a digest of the URL (`webhook_queue`): two webhooks
never compete for events, and a webhook restarted with the same URL finds the events that waited.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from http import HTTPStatus
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

import requests
import urllib3.exceptions

from broker.connection import redacted
from broker.events import CONTENT_TYPE, EXCHANGE
from broker.log_line import Log, log_to_stderr
from broker.state import state_dir_path
from broker.topology import PREFIX, TopologyReport, consumer_queues, match_binding
from consumers.dedupe import RecordUnavailable, seen_ids_for
from consumers.events import CloudEvent
from consumers.notifications import notification
from consumers.subscriber import RetryPolicy, Subscription, Unrecoverable, consume

FORMATS = ("slack", "discord", "event")
CONNECT_TIMEOUT_S = 5.0
"""A webhook service accepts a connection within a second; 5 s without one means it is down or
unreachable (the event is retried later)."""
READ_TIMEOUT_S = 10.0
"""Slack and Discord answer a post in well under a second. The consumer posts one event at a time,
in order, so a hung endpoint holds the queue up for at most this long per attempt (per socket
read: requests has no total deadline) before the event goes to the retry queue; well inside
RabbitMQ's 60 s heartbeat, so the broker connection survives the wait."""
QUEUE_DIGEST_CHARS = 10
"""Hex digits of the URL's SHA-1 in its queue's name: 40 bits, so two URLs' queues do not clash,
and far too few to tell anything of the token in the URL."""
TRANSIENT_STATUSES = frozenset({HTTPStatus.REQUEST_TIMEOUT, HTTPStatus.TOO_MANY_REQUESTS})
"""4xx answers that mean "not now" rather than "never" (every 5xx is transient too)."""
DISCORD_MAX_CHARS = 2000
"""Discord refuses a message whose content is longer (a 400, which would park the event)."""
ANSWER_READ_BYTES = 1024
"""Of an endpoint's answer, only the start is read: enough for Slack's `invalid_token` or a short
error page, bounded whatever the endpoint sends."""
MAX_ANSWER_CHARS = 100
"""Of that answer, this much goes in a failure's reason."""
MIN_SECRET_CHARS = 4
"""URL parts this long or longer are blanked wherever an endpoint's answer repeats them."""
USER_AGENT = "goalline-webhook/0.1"


class WebhookFailed(Exception):
    """A post that did not deliver the event; `permanent` when another attempt cannot help."""

    def __init__(self, message: str, permanent: bool):
        super().__init__(message)
        self.permanent = permanent


def check_target(url: str) -> str:
    """The webhook URL, if it is one; ValueError otherwise (whose text never repeats the URL,
    which may hold a token)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a port that is no port
    except ValueError:
        raise ValueError("not a URL (a bracketed host or the port is malformed)") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL with a host")
    return url


def public_url(url: str) -> str:
    """What of a webhook's URL may be logged: scheme://host:port/… (no user, password, path or query).

    >>> public_url("https://hooks.slack.com/services/T000/B000/XXXXSECRET")
    'https://hooks.slack.com/…'
    >>> public_url("http://user:pw@[::1]:8080/hook?token=abc")
    'http://[::1]:8080/…'
    """
    parts = urlsplit(url)
    host = parts.hostname or "?"
    host = f"[{host}]" if ":" in host else host
    port = f":{parts.port}" if parts.port else ""
    rest = "/…" if parts.path.strip("/") or parts.query or parts.fragment else ""
    return f"{parts.scheme}://{host}{port}{rest}"


def webhook_queue(url: str, match_id: str | None) -> str:
    """The webhook's queue: goalline.webhook.<first 10 hex digits of the URL's SHA-1>, with
    `.match.<id>` when it follows one match. The same URL (exactly as written) always gets the
    same queue; another URL, another queue.

    >>> webhook_queue("https://hooks.slack.com/services/T000/B000/XXXX", None)
    'goalline.webhook.36cceeb5f2'
    >>> webhook_queue("https://hooks.slack.com/services/T000/B000/XXXX", "rovers-united")
    'goalline.webhook.36cceeb5f2.match.rovers-united'
    """
    queue = f"{PREFIX}.webhook.{hashlib.sha1(url.encode()).hexdigest()[:QUEUE_DIGEST_CHARS]}"
    return f"{queue}.match.{match_id}" if match_id else queue


def payload(event: CloudEvent, format_name: str) -> tuple[bytes, str]:
    """(body, content type) of the post for an event in a format of FORMATS."""
    if format_name == "event":
        return event.model_dump_json().encode(), CONTENT_TYPE
    headline, line = notification(event)
    text = f"{headline} {line}"
    if format_name == "slack":
        document = {"text": slack_escaped(text)}
    elif format_name == "discord":  # team names are free text: no @everyone ping from a team called that
        document = {"content": text[:DISCORD_MAX_CHARS], "allowed_mentions": {"parse": []}}
    else:
        raise ValueError(f"format {format_name!r} is not one of {', '.join(FORMATS)}")
    return json.dumps(document).encode(), "application/json"


def slack_escaped(text: str) -> str:
    """Text with the three characters Slack reads as markup escaped (Slack's message formatting
    guide), so a team's name can never be a <!channel> mention or a link.

    >>> slack_escaped("A & B <!channel>")
    'A &amp; B &lt;!channel&gt;'
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def answer_failure(status: int, answer: str, where: str) -> WebhookFailed | None:
    """None for a 2xx; else the failure an answer means, its reason naming the status.

    answer: the start of the endpoint's answer, already scrubbed; where: the public URL.

    >>> str(answer_failure(503, "", "https://h/…"))
    'HTTP 503 Service Unavailable from https://h/… (transient)'
    >>> answer_failure(404, "no_service", "https://h/…").permanent
    True
    """
    if 200 <= status < 300:
        return None
    said = f" saying {answer!r}" if answer else ""
    stated = f"HTTP {status} {_phrase(status)}from {where}{said}"
    if status in TRANSIENT_STATUSES or 500 <= status < 600:
        return WebhookFailed(f"{stated} (transient)", permanent=False)
    why = ("a redirect, not followed: give the webhook's final URL" if 300 <= status < 400
           else "the endpoint refuses this post; check the URL and the format")
    return WebhookFailed(f"{stated} (permanent: {why}; a retry will not help)", permanent=True)


def scrubbed(text: str, url: str) -> str:
    """`text` (from the endpoint or an error) with every longer piece of the URL's path, query,
    user and password blanked, on one printable line of at most MAX_ANSWER_CHARS.

    >>> scrubbed("Cannot POST /services/T0/B0/S3CR3T\\n", "https://h/services/T0/B0/S3CR3T")
    'Cannot POST …'
    """
    parts = urlsplit(url)
    pieces = {url, parts.netloc, parts.path, parts.query, parts.fragment, parts.username or "", parts.password or "",
              *parts.path.split("/"), *(value for _, value in parse_qsl(parts.query))}
    pieces |= {unquote(piece) for piece in pieces}
    pieces.discard(parts.hostname or "")
    for piece in sorted((p for p in pieces if len(p) >= MIN_SECRET_CHARS), key=len, reverse=True):
        text = text.replace(piece, "…")
    line = "".join(char if char.isprintable() else " " for char in text).strip()
    return line[:MAX_ANSWER_CHARS]


def _phrase(status: int) -> str:
    """The standard reason phrase (never the endpoint's own, which could say anything), and a space."""
    try:
        return f"{HTTPStatus(status).phrase} "
    except ValueError:
        return ""


def _causes(error: BaseException):
    """The error and the chain of errors behind it."""
    seen, current = set(), error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _timed_out(error: BaseException) -> bool:
    """Whether a socket timed out behind the error (requests reports a timeout while reading the
    answer's body as a ConnectionError)."""
    return any(isinstance(cause, (TimeoutError, urllib3.exceptions.ReadTimeoutError)) for cause in _causes(error))
    # not urllib3's TimeoutError: its NewConnectionError (a refused connection, an unknown host) is one


def _root_cause(error: BaseException) -> str:
    """What the system said about a failed connection ('Connection refused'), from the chain of
    causes; never an error's own text, which for requests holds the whole URL."""
    for cause in _causes(error):
        if isinstance(cause, OSError) and isinstance(cause.strerror, str) and cause.strerror:
            return cause.strerror
    return error.__class__.__name__


class WebhookPoster:
    """The webhook consumer's handler: posts each event to `url` in `format_name`; raises
    WebhookFailed for anything but a 2xx answer. `close` when done."""

    def __init__(self, url: str, format_name: str = "slack", log: Log = log_to_stderr):
        if format_name not in FORMATS:
            raise ValueError(f"format {format_name!r} is not one of {', '.join(FORMATS)}")
        self.url, self.format_name, self.where, self._log = check_target(url), format_name, public_url(url), log
        self._session = requests.Session()
        self._session.headers["User-Agent"] = USER_AGENT

    def __call__(self, event: CloudEvent) -> None:
        body, content_type = payload(event, self.format_name)
        try:
            with self._session.post(self.url, data=body, headers={"Content-Type": content_type}, stream=True,
                                    timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S), allow_redirects=False) as response:
                status = response.status_code
                answer = next(response.iter_content(ANSWER_READ_BYTES), b"")  # its start only, whatever it sends
        except requests.exceptions.RequestException as error:
            raise self._transport_failure(error) from None
        failure = answer_failure(status, scrubbed(answer.decode("utf-8", "replace"), self.url), self.where)
        if failure and failure.permanent:
            raise Unrecoverable(str(failure))
        if failure:
            raise failure
        self._log(f"posted {notification(event)[0]} {event.id} to {self.where}: HTTP {status}")

    def _transport_failure(self, error: requests.exceptions.RequestException) -> WebhookFailed:
        """What a post that got no answer means (always transient), said without the URL's path."""
        if isinstance(error, requests.exceptions.ConnectTimeout):
            said = f"no connection to {self.where} within {CONNECT_TIMEOUT_S:g} s"
        elif isinstance(error, requests.exceptions.Timeout) or _timed_out(error):
            said = f"no answer from {self.where} within {READ_TIMEOUT_S:g} s"
        else:
            said = f"could not post to {self.where}: {scrubbed(_root_cause(error), self.url)}"
        return WebhookFailed(f"{said} (transient)", permanent=False)

    def close(self) -> None:
        """Release the kept-alive connections."""
        self._session.close()


def run_webhook(broker: str, url: str, format_name: str = "slack", match_id: str | None = None,
                state_dir: Path | None = None, *, retry: RetryPolicy = RetryPolicy(),
                stop: threading.Event | None = None, log: Log = log_to_stderr) -> None:
    """`python -m consumers webhook`: post every event (or one match's) to `url` until SIGINT /
    SIGTERM or `stop`. `retry` is for tests (the command always uses the default policy).

    BrokerUnavailable if the broker cannot be reached at the start; RecordUnavailable if the record
    of posted events cannot be kept.
    """
    logging.getLogger("urllib3").disabled = True  # some of its warnings name the whole URL, token and all
    poster = WebhookPoster(url, format_name, log)
    queue = webhook_queue(url, match_id)
    try:
        handled = seen_ids_for(queue, state_dir)
    except OSError as error:  # the state folder itself cannot be made
        poster.close()
        raise RecordUnavailable(f"{state_dir_path(state_dir)}: cannot keep the record of posted events there "
                                f"({error.strerror or error.__class__.__name__})") from None

    def on_ready(name: str, report: TopologyReport) -> None:
        log(f"listening on {name} at {redacted(broker)} ({report.describe()}); posting {format_name} "
            f"to {poster.where}")

    try:
        queues = consumer_queues(queue, ((EXCHANGE, match_binding(match_id)),))
        consume(broker, Subscription(queues, handled), poster, retry=retry, on_ready=on_ready, stop=stop, log=log)
    finally:
        handled.close()
        poster.close()
