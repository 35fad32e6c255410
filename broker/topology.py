"""The broker-side objects, declared idempotently by whichever side starts first.

Every name carries the project's prefix (`goalline.`) so it never clashes with other users of
the same broker, and so one permission pattern (`^goalline\\.`) covers the project's user.

Each consumer has a queue of its own and, beside it, a retry queue: a message whose handler
failed waits there (its own expiration is the back-off) and then the broker dead-letters it back
through the retry exchange to the consumer's queue. What cannot be handled ends in the parking
queue with the reason in its headers.

Queues are quorum queues (replicated, poison messages counted) on brokers that have them as
this project needs them, else durable classic queues. A queue that already exists with other
arguments (made by an older version, or by hand) is used as it is, and said so: redeclaring it
would fail and deleting it would lose its messages.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

import pika.exceptions

from broker.events import EXCHANGE

PREFIX = "goalline"
NOTIFY_QUEUE = f"{PREFIX}.notify.all"
"""The notifier's queue for every match; the camera side declares it too, so events published
before the first notifier starts wait for it."""
PARKING_EXCHANGE = f"{PREFIX}.parking"
PARKING_QUEUE = f"{PREFIX}.parking"
"""Where a message that cannot be handled ends: kept for a look, never retried."""
RETRY_EXCHANGE = f"{PREFIX}.retry"
"""Direct exchange between each consumer queue and its retry queue, both ways."""
RETRY_SUFFIX = ".retry"
TEAMS_EXCHANGE = f"{PREFIX}.teams"
"""Headers exchange bound to the events exchange (every routing key): a queue bound here with
`x-match: any, home: NAME, away: NAME` gets every event of NAME's matches, filtered by the broker."""
EVERY_MATCH = "match.*.*"

QUORUM_SINCE = (3, 10)
"""RabbitMQ 3.10 brought what this project relies on in quorum queues: message TTL, which is the
retry back-off (RabbitMQ 3.10 release notes)."""
DELIVERY_LIMIT = 20
"""Quorum queues only: a message delivered this often without an ack (its consumer keeps
crashing on it) is dead-lettered to the parking queue by the broker itself."""
PRECONDITION_FAILED = 406
"""AMQP reply code for a redeclaration whose arguments differ from the existing queue's."""


@dataclass(frozen=True)
class QueueSpec:
    """A durable queue: its name, what it is bound to, where the broker sends what it drops."""

    name: str
    bindings: tuple[tuple, ...] = ()
    """(exchange, routing key) pairs, or (exchange, routing key, arguments) for a headers exchange."""
    dead_letter: tuple[str, str] | None = None
    """(exchange, routing key or '' to keep the message's own)."""


@dataclass
class TopologyReport:
    """What the declarations found: the queue type used and the queues kept as they were."""

    queue_type: str
    broker: str
    kept_as_is: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """One log line, e.g. 'RabbitMQ 3.10.8, quorum queues'."""
        kept = (f"; kept as they were (other arguments: retries and parking may not work for them until "
                f"they are deleted): {', '.join(self.kept_as_is)}") if self.kept_as_is else ""
        return f"{self.broker}, {self.queue_type} queues{kept}"


def match_binding(match_id: str | None) -> str:
    """Routing-key pattern of one match's events, or of every match's."""
    return f"match.{match_id}.*" if match_id else EVERY_MATCH


def notify_queue(match_id: str | None) -> str:
    """The notifier's durable queue: one for every match, or one per followed match."""
    return f"{PREFIX}.notify.match.{match_id}" if match_id else NOTIFY_QUEUE


def archive_queue(match_id: str | None) -> str:
    """The archiver's (`consumers log`) queue: every match's events, or one match's."""
    return f"{PREFIX}.log.match.{match_id}" if match_id else f"{PREFIX}.log.all"


def team_queue(team: str) -> str:
    """The notifier's queue for one team's matches (the name made safe for a queue name)."""
    slug = re.sub(r"[^a-z0-9]+", "-", team.lower()).strip("-") or "team"
    return f"{PREFIX}.notify.team.{slug}-{hashlib.sha1(team.encode()).hexdigest()[:6]}"


def team_notify_queues(team: str) -> list[QueueSpec]:
    """The notifier's queue for one team (home or away), bound to the teams' headers exchange."""
    return consumer_queues(team_queue(team), ((TEAMS_EXCHANGE, "", {"x-match": "any", "home": team, "away": team}),))


def retry_queue(queue: str) -> str:
    """The retry queue beside a consumer's queue."""
    return queue + RETRY_SUFFIX


def consumer_queues(queue: str, bindings: tuple[tuple, ...]) -> list[QueueSpec]:
    """A consumer's queue (bound as given, and to the retry exchange) and its retry queue."""
    return [
        QueueSpec(queue, bindings + ((RETRY_EXCHANGE, queue),), dead_letter=(PARKING_EXCHANGE, "")),
        QueueSpec(retry_queue(queue), ((RETRY_EXCHANGE, retry_queue(queue)),), dead_letter=(RETRY_EXCHANGE, queue)),
    ]


def notify_queues(match_id: str | None) -> list[QueueSpec]:
    """The notifier's queue for one match or every match, with its retry queue."""
    return consumer_queues(notify_queue(match_id), ((EXCHANGE, match_binding(match_id)),))


def publisher_queues(match_ids: tuple[str, ...]) -> list[QueueSpec]:
    """What the camera side declares: the notifier queues its events wait in."""
    specs = notify_queues(None)
    for match_id in match_ids:
        specs += notify_queues(match_id)
    return specs


def broker_version(connection) -> tuple[str, tuple[int, ...]]:
    """('RabbitMQ 3.10.8', (3, 10, 8)) from what the broker said when the connection opened."""
    properties = connection._impl.server_properties or {}  # pika keeps them on the underlying connection
    product, version = (_text(properties.get(key, "")) for key in ("product", "version"))
    numbers = tuple(int(part) for part in version.split(".")[:3] if part.isdigit())
    return f"{product or 'broker'} {version}".strip(), numbers


def quorum_supported(product: str, version: tuple[int, ...]) -> bool:
    """Quorum queues as this project uses them: RabbitMQ 3.10 or later."""
    return product.startswith("RabbitMQ") and version >= QUORUM_SINCE


def queue_arguments(spec: QueueSpec, queue_type: str) -> dict:
    """The x-arguments of a queue of the given type ('quorum' or 'classic')."""
    arguments: dict = {}
    if spec.dead_letter:
        exchange, key = spec.dead_letter
        arguments["x-dead-letter-exchange"] = exchange
        if key:
            arguments["x-dead-letter-routing-key"] = key
    if queue_type == "quorum":
        arguments["x-queue-type"] = "quorum"
        if spec.dead_letter:
            arguments["x-delivery-limit"] = DELIVERY_LIMIT  # only where the broker can park, never drop
        # Dead-lettering stays at-most-once (the default): its targets are our own durable queues,
        # which never refuse a message. At-least-once dead-lettering was tried and dropped: on
        # RabbitMQ 3.10.8, after `rabbitmqctl stop_app` / `start_app` its worker supervisor is not
        # running, and every quorum queue declared with it crashes (INTERNAL_ERROR) until the node
        # is restarted (seen here, rabbit_fifo_dlx_sup: noproc).
    return arguments


def declare(connection, queues: list[QueueSpec]) -> TopologyReport:
    """Declare the exchanges, the parking queue and `queues` on a blocking connection."""
    broker, version = broker_version(connection)
    report = TopologyReport("quorum" if quorum_supported(broker, version) else "classic", broker)
    channel = connection.channel()
    for exchange, kind in ((EXCHANGE, "topic"), (PARKING_EXCHANGE, "fanout"), (RETRY_EXCHANGE, "direct"),
                           (TEAMS_EXCHANGE, "headers")):
        channel.exchange_declare(exchange, exchange_type=kind, durable=True)
    channel.exchange_bind(TEAMS_EXCHANGE, EXCHANGE, routing_key="#")  # every event also goes by its teams
    for spec in [QueueSpec(PARKING_QUEUE, ((PARKING_EXCHANGE, ""),)), *queues]:
        channel = _declare_queue(connection, channel, spec, report)
        for exchange, key, *arguments in spec.bindings:
            channel.queue_bind(spec.name, exchange, routing_key=key, arguments=arguments[0] if arguments else None)
    channel.close()
    return report


def _declare_queue(connection, channel, spec: QueueSpec, report: TopologyReport):
    """Declare one queue; an existing queue with other arguments is kept. Returns the open channel."""
    try:
        channel.queue_declare(spec.name, durable=True, arguments=queue_arguments(spec, report.queue_type))
        return channel
    except pika.exceptions.ChannelClosedByBroker as error:
        if error.reply_code != PRECONDITION_FAILED:
            raise
    channel = connection.channel()  # the refusal closed the channel
    channel.queue_declare(spec.name, passive=True)
    report.kept_as_is.append(spec.name)
    return channel


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
