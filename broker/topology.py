"""The broker-side objects, declared idempotently by whichever side starts first.

Every name carries the project's prefix (`goalline.`) so it never clashes with other users of
the same broker. Queue arguments must be the same wherever a queue is declared (RabbitMQ refuses
a redeclaration with other arguments), so they are defined here only.
"""

from __future__ import annotations

from broker.events import EXCHANGE

PREFIX = "goalline"
NOTIFY_QUEUE = f"{PREFIX}.notify.all"
"""The notifier's queue for every match; the camera side declares it too, so events published
before the first notifier starts wait for it."""
PARKING_EXCHANGE = f"{PREFIX}.parking"
PARKING_QUEUE = f"{PREFIX}.parking"
"""Where a message that is not a valid event is dead-lettered: kept for a look, never retried."""
EVERY_MATCH = "match.*.*"


def match_binding(match_id: str | None) -> str:
    """Routing-key pattern of one match's events, or of every match's."""
    return f"match.{match_id}.*" if match_id else EVERY_MATCH


def notify_queue(match_id: str | None) -> str:
    """The notifier's durable queue: one for every match, or one per followed match."""
    return f"{PREFIX}.notify.match.{match_id}" if match_id else NOTIFY_QUEUE


def declare_exchange(channel) -> None:
    """The events exchange (CONTRACT section 3: topic, durable)."""
    channel.exchange_declare(EXCHANGE, exchange_type="topic", durable=True)


def declare_parking(channel) -> None:
    """The dead-letter exchange and the queue that keeps what the notifier could not read."""
    channel.exchange_declare(PARKING_EXCHANGE, exchange_type="fanout", durable=True)
    channel.queue_declare(PARKING_QUEUE, durable=True)
    channel.queue_bind(PARKING_QUEUE, PARKING_EXCHANGE)


def declare_notify_queue(channel, match_id: str | None = None) -> str:
    """The exchange, the parking place and a notifier queue bound to its matches; its name."""
    declare_exchange(channel)
    declare_parking(channel)
    queue = notify_queue(match_id)
    channel.queue_declare(queue, durable=True, arguments={"x-dead-letter-exchange": PARKING_EXCHANGE})
    channel.queue_bind(queue, EXCHANGE, routing_key=match_binding(match_id))
    return queue
