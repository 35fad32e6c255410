"""The broker-side objects, declared idempotently by whichever side starts first.

Every name carries the project's prefix (`goalline.`) so it never clashes with other users of
the same broker. Queue arguments must be the same wherever a queue is declared (RabbitMQ refuses
a redeclaration with other arguments), so the declarations are listed here only, as
(channel method, keyword arguments) steps that a blocking or an asynchronous channel can run.
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

Step = tuple[str, dict]


def match_binding(match_id: str | None) -> str:
    """Routing-key pattern of one match's events, or of every match's."""
    return f"match.{match_id}.*" if match_id else EVERY_MATCH


def notify_queue(match_id: str | None) -> str:
    """The notifier's durable queue: one for every match, or one per followed match."""
    return f"{PREFIX}.notify.match.{match_id}" if match_id else NOTIFY_QUEUE


def exchange_steps() -> list[Step]:
    """The events exchange (CONTRACT section 3: topic, durable) and the parking place."""
    return [
        ("exchange_declare", {"exchange": EXCHANGE, "exchange_type": "topic", "durable": True}),
        ("exchange_declare", {"exchange": PARKING_EXCHANGE, "exchange_type": "fanout", "durable": True}),
        ("queue_declare", {"queue": PARKING_QUEUE, "durable": True}),
        ("queue_bind", {"queue": PARKING_QUEUE, "exchange": PARKING_EXCHANGE}),
    ]


def notify_queue_steps(match_id: str | None) -> list[Step]:
    """A notifier's durable queue, dead-lettering to the parking place, bound to its matches."""
    queue = notify_queue(match_id)
    return [
        ("queue_declare", {"queue": queue, "durable": True, "arguments": {"x-dead-letter-exchange": PARKING_EXCHANGE}}),
        ("queue_bind", {"queue": queue, "exchange": EXCHANGE, "routing_key": match_binding(match_id)}),
    ]


def publisher_steps(match_ids: tuple[str, ...]) -> list[Step]:
    """What the camera side declares: the exchange, and the notifier queues its events wait in."""
    steps = exchange_steps() + notify_queue_steps(None)
    for match_id in match_ids:
        steps += notify_queue_steps(match_id)
    return steps


def declare_notify_queue(channel, match_id: str | None = None) -> str:
    """Run the notifier's declarations on a blocking channel; the queue's name."""
    for method, arguments in exchange_steps() + notify_queue_steps(match_id):
        getattr(channel, method)(**arguments)
    return notify_queue(match_id)
