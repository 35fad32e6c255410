"""Event-side benchmark: events/s with publisher confirms and decision-to-notifier latency.

    python bench/bench_events.py [--quick]

Runs against the RabbitMQ on localhost:5672 in a vhost of its own (made with rabbitmqctl and
deleted afterwards, so the benchmark's events never land in the real notifier queues). The
naive baseline, measured in the same run, is plain pika: one BlockingConnection, one confirm
per publish, no outbox. Ours writes every event to its SQLite outbox before publishing and
deletes it on the confirm (in a temporary folder removed afterwards).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pika
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from broker.events import CONTENT_TYPE, EXCHANGE, cloud_event, routing_key  # noqa: E402
from broker.outbox import open_outbox  # noqa: E402
from broker.publisher import PERSISTENT, OutboxPublisher  # noqa: E402
from scratch_vhost import scratch_vhost  # noqa: E402

VHOST = "goalline-bench"
URL = f"amqp://guest:guest@localhost:5672/{VHOST}"
THROUGHPUT_EVENTS = 20_000
LATENCY_EVENTS = 2_000
LATENCY_RATE_PER_S = 500
THROUGHPUT_TARGET_PER_S = 8_000
P99_TARGET_MS = 5.0



def events(match_id: str, count: int) -> list[tuple[dict, bytes]]:
    """Goal events of a made-up match, serialised as the camera side does."""
    made = []
    for frame in range(count):
        data = {"match_id": match_id, "camera_id": "bench", "frame": frame, "video_time_s": frame / 250,
                "margin_m": 0.01}
        event = cloud_event("goal", match_id, "/goalline/bench", datetime.now(timezone.utc), data, (match_id, frame))
        made.append((event, json.dumps(event, separators=(",", ":")).encode()))
    return made


class Receiver(threading.Thread):
    """A consumer on its own connection: records when each message id arrives."""

    def __init__(self, match_id: str, expected: int):
        super().__init__(daemon=True)
        self.arrived: dict[str, float] = {}
        self.duplicates = 0
        self._expected = expected
        self._connection = pika.BlockingConnection(pika.URLParameters(URL))
        channel = self._connection.channel()
        channel.exchange_declare(EXCHANGE, exchange_type="topic", durable=True)
        self._queue = channel.queue_declare("", exclusive=True).method.queue
        channel.queue_bind(self._queue, EXCHANGE, routing_key=f"match.{match_id}.*")
        channel.basic_qos(prefetch_count=1000)
        channel.basic_consume(self._queue, self._on_message)
        self._channel = channel
        self.done = threading.Event()

    def _on_message(self, channel, method, properties, body) -> None:
        now = time.perf_counter()
        if properties.message_id in self.arrived:
            self.duplicates += 1
        self.arrived[properties.message_id] = now
        channel.basic_ack(method.delivery_tag)
        if len(self.arrived) >= self._expected:
            self.done.set()
            channel.stop_consuming()

    def run(self) -> None:
        self._channel.start_consuming()
        self._connection.close()


class PlainPika:
    """The baseline: a BlockingConnection in confirm mode, waiting for each confirm."""

    def __init__(self):
        self._connection = pika.BlockingConnection(pika.URLParameters(URL))
        self._channel = self._connection.channel()
        self._channel.confirm_delivery()
        self._channel.exchange_declare(EXCHANGE, exchange_type="topic", durable=True)

    def publish(self, event: dict, body: bytes) -> None:
        properties = pika.BasicProperties(content_type=CONTENT_TYPE, delivery_mode=PERSISTENT, message_id=event["id"])
        self._channel.basic_publish(EXCHANGE, routing_key(event["subject"], "goal"), body, properties, mandatory=True)

    def close(self) -> None:
        self._connection.close()


def throughput(make_publisher, count: int) -> tuple[float, int, int]:
    """(events/s from first publish to last arrival and all confirmed, lost, duplicates)."""
    match_id = f"bench-{uuid.uuid4().hex[:8]}"
    batch = events(match_id, count)
    receiver = Receiver(match_id, count)
    receiver.start()
    publisher = make_publisher()
    started = time.perf_counter()
    for event, body in batch:
        publisher.publish(event, body)
    publisher.close()  # flushes: everything confirmed
    receiver.done.wait(timeout=120)
    elapsed = max(receiver.arrived.values(), default=time.perf_counter()) - started
    return count / elapsed, count - len(receiver.arrived), receiver.duplicates


def latency(make_publisher, count: int, rate: float) -> list[float]:
    """Milliseconds from handing each event to the publisher to its arrival at a consumer."""
    match_id = f"bench-{uuid.uuid4().hex[:8]}"
    batch = events(match_id, count)
    receiver = Receiver(match_id, count)
    receiver.start()
    publisher = make_publisher()
    sent: dict[str, float] = {}
    started = time.perf_counter()
    for n, (event, body) in enumerate(batch):
        time.sleep(max(0.0, started + n / rate - time.perf_counter()))
        sent[event["id"]] = time.perf_counter()
        publisher.publish(event, body)
    publisher.close()
    receiver.done.wait(timeout=60)
    return sorted((receiver.arrived[i] - sent[i]) * 1000 for i in sent if i in receiver.arrived)


def percentile(values: list[float], share: float) -> float:
    return values[min(len(values) - 1, int(share * len(values)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the events")
    args = parser.parse_args(argv)
    scale = 10 if args.quick else 1
    with scratch_vhost(VHOST), tempfile.TemporaryDirectory(prefix="bench-events-") as scratch:
        ours = lambda: OutboxPublisher(URL, open_outbox(Path(scratch) / uuid.uuid4().hex),  # noqa: E731
                                       log=lambda line: None)
        rows = []
        for name, make in (("OutboxPublisher (outbox on disk, confirms pipelined)", ours),
                           ("plain pika, one confirm per publish", PlainPika)):
            rate, lost, doubled = throughput(make, THROUGHPUT_EVENTS // scale)
            delays = latency(make, LATENCY_EVENTS // scale, LATENCY_RATE_PER_S)
            rows.append((name, rate, lost, doubled, statistics.median(delays), percentile(delays, 0.99), delays[-1]))
    table = Table(title=f"Events through RabbitMQ ({THROUGHPUT_EVENTS // scale:,} for events/s; "
                        f"{LATENCY_EVENTS // scale:,} at {LATENCY_RATE_PER_S}/s for latency)")
    for column in ("publisher", "events/s", "lost", "doubled", "latency p50 ms", "p99 ms", "max ms"):
        table.add_column(column, justify="right" if column != "publisher" else "left")
    for name, rate, lost, doubled, p50, p99, worst in rows:
        table.add_row(name, f"{rate:,.0f}", str(lost), str(doubled), f"{p50:.2f}", f"{p99:.2f}", f"{worst:.2f}")
    console = Console(width=140)
    console.print(table)
    console.print(f"targets: >= {THROUGHPUT_TARGET_PER_S:,} events/s with nothing lost; p99 <= {P99_TARGET_MS} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
