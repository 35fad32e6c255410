"""Load: many matches at once through one RabbitMQ, several consumers, nothing lost or doubled.

    python bench/load.py                          # 200 matches of the demo match, about 1 minute
    python bench/load.py --matches 50 --duration 5 --cameras 2 --notifiers 1    # a quick run

1. The scenario is played once through the real pipeline (`camera_sim run --no-publish`): its
   events are what every match of the load decides.
2. Consumers start as real commands: `--notifiers` instances of `consumers notify --show-ids`
   sharing their queue (competing consumers), and one `consumers log FILE` with a queue of its own.
3. `--cameras` camera processes each own an outbox and an OutboxPublisher, and play their share
   of the `--matches` matches at once: each match's events (re-identified for the match) are
   spread over `--duration` seconds in their order, with a random offset per match.
4. At the end: events/s, latency from `publish` to the notifier's line (p50, p99, max), the
   deepest outbox seen, peak memory of each process, the broker's memory; and the check that
   each event reached the notifiers exactly once (between them) and the archive exactly once.
   Exit 1 if anything was lost or doubled.

Runs in a vhost of its own (made with rabbitmqctl and deleted afterwards).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from broker.events import event_id  # noqa: E402
from broker.outbox import open_outbox  # noqa: E402
from broker.publisher import OutboxPublisher  # noqa: E402
from scratch_vhost import scratch_vhost  # noqa: E402

VHOST = "goalline-load"
URL = f"amqp://guest:guest@localhost:5672/{VHOST}"
READY_WAIT_S = 30.0
DRAIN_WAIT_S = 120.0
"""After the last publish, how long the consumers may take to catch up before what is missing counts as lost."""
ID_AT_LINE_END = re.compile(r"\[([0-9a-f-]{36})\]\s*$")
KIB = 1024



def broker_memory_mb() -> float:
    """The RabbitMQ node's total memory (erlang:memory(total)), MB."""
    out = subprocess.run(["rabbitmqctl", "-q", "eval", "erlang:memory(total)."], capture_output=True, text=True)
    return int(out.stdout.strip() or 0) / 1e6


def scenario_events(scenario: Path, folder: Path) -> list[dict]:
    """The events the real pipeline decides for the scenario (played once, without a broker)."""
    out = folder / "template.jsonl"
    subprocess.run([sys.executable, "-m", "camera_sim", "run", str(scenario), "--no-publish", "--events-out", str(out)],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return [json.loads(line) for line in out.read_text().splitlines()]


def for_match(template: list[dict], match_id: str) -> list[dict]:
    """The template's events as another match's: new subject, match id and stable new ids."""
    events = []
    for original in template:
        event = json.loads(json.dumps(original))
        event["id"] = event_id(match_id, original["id"])
        event["subject"] = match_id
        event["source"] = f"/goalline/matches/{match_id}"
        event["data"]["match_id"] = match_id
        events.append(event)
    return events


def camera_worker(worker: int, matches: list[str], template: list[dict], duration_s: float, start_at: float,
                  state: str, results: str) -> None:
    """One camera process: its matches' events at their times, through its own outbox."""
    rng = random.Random(worker)
    schedule = []
    for match_id in matches:
        offset = rng.uniform(0, duration_s / 2)
        events = for_match(template, match_id)
        for n, event in enumerate(events):
            schedule.append((start_at + offset + (duration_s / 2) * n / max(1, len(events) - 1), event))
    schedule.sort(key=lambda item: item[0])
    outbox = open_outbox(Path(state))
    publisher = OutboxPublisher(URL, outbox, log=lambda line: None)
    sent, deepest = {}, 0
    for due, event in schedule:
        time.sleep(max(0.0, due - time.time()))
        sent[event["id"]] = time.time()
        publisher.publish(event, json.dumps(event, separators=(",", ":")).encode())
        deepest = max(deepest, outbox.depth)
    publisher.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * KIB / 1e6
    Path(results).write_text(json.dumps({"sent": sent, "deepest_outbox": deepest, "peak_mb": peak_mb}))


class Consumer:
    """A consumer command, its stdout lines timestamped as they arrive."""

    def __init__(self, args: list[str], state: Path):
        self.process = subprocess.Popen([sys.executable, "-m", "consumers", *args, "--broker", URL,
                                         "--state-dir", str(state)], cwd=ROOT, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
        self.arrivals: list[tuple[str, float]] = []
        self.errors: list[str] = []
        threading.Thread(target=self._read_out, daemon=True).start()
        threading.Thread(target=lambda: self.errors.extend(iter(self.process.stderr.readline, "")), daemon=True).start()

    def _read_out(self) -> None:
        for line in iter(self.process.stdout.readline, ""):
            if match := ID_AT_LINE_END.search(line):
                self.arrivals.append((match.group(1), time.time()))

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_WAIT_S
        while not any("listening on" in line for line in self.errors):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise SystemExit(f"a consumer did not start: {''.join(self.errors)}")
            time.sleep(0.05)

    def stop(self) -> float:
        """SIGTERM, then its peak memory in MB (the kernel's account of the child, from wait4)."""
        self.process.terminate()
        _, _, usage = _wait4(self.process)
        return usage.ru_maxrss * KIB / 1e6


def _wait4(process: subprocess.Popen):
    pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return pid, status, usage


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "demo_match.yaml")
    parser.add_argument("--matches", type=int, default=200, help="matches played at once (default 200)")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds over which they are played (default 20)")
    parser.add_argument("--cameras", type=int, default=4, help="camera processes sharing the matches (default 4)")
    parser.add_argument("--notifiers", type=int, default=2, help="competing notifier instances (default 2)")
    args = parser.parse_args(argv)
    console = Console(width=140)
    with tempfile.TemporaryDirectory(prefix="goalline-load-") as scratch:
        folder = Path(scratch)
        template = scenario_events(args.scenario, folder)
        with scratch_vhost(VHOST):
            report = play(args, template, folder)
    console.print(report.table)
    for line in report.lines:
        console.print(line)
    return 0 if report.ok else 1


class Report:
    def __init__(self, table: Table, lines: list[str], ok: bool):
        self.table, self.lines, self.ok = table, lines, ok


def play(args: argparse.Namespace, template: list[dict], folder: Path) -> Report:
    consumer_state = folder / "consumers"
    archive = folder / "archive.jsonl"
    notifiers = [Consumer(["notify", "--show-ids"], consumer_state) for _ in range(args.notifiers)]
    archiver = Consumer(["log", str(archive)], consumer_state)
    try:
        return measure(args, template, folder, notifiers, archiver, archive)
    finally:
        for consumer in (*notifiers, archiver):  # never leave a consumer behind, whatever failed
            if consumer.process.poll() is None:
                consumer.process.kill()


def measure(args: argparse.Namespace, template: list[dict], folder: Path, notifiers: list[Consumer],
            archiver: Consumer, archive: Path) -> Report:
    for consumer in (*notifiers, archiver):
        consumer.wait_ready()
    match_ids = [f"load-{n:04d}-{uuid.uuid4().hex[:6]}" for n in range(args.matches)]
    expected = {event["id"] for match_id in match_ids for event in for_match(template, match_id)}
    broker_before = broker_memory_mb()
    start_at = time.time() + 1.0
    context = multiprocessing.get_context("spawn")
    workers = []
    for worker in range(args.cameras):
        share = match_ids[worker::args.cameras]
        results = folder / f"camera-{worker}.json"
        process = context.Process(target=camera_worker, args=(worker, share, template, args.duration, start_at,
                                                               str(folder / f"camera-{worker}"), str(results)))
        process.start()
        workers.append((process, results))
    for process, _ in workers:
        process.join()
    if any(process.exitcode != 0 for process, _ in workers):
        raise SystemExit("a camera process failed (its traceback is above)")
    published_at = time.time()
    camera_results = [json.loads(results.read_text()) for _, results in workers]
    sent = {event: at for result in camera_results for event, at in result["sent"].items()}
    deadline = time.monotonic() + DRAIN_WAIT_S
    while time.monotonic() < deadline:
        if len({event for n in notifiers for event, _ in n.arrivals}) >= len(expected) and \
                len(archived_ids(archive)) >= len(expected):
            break
        time.sleep(0.2)
    time.sleep(1.0)  # a moment more to catch a doubled event
    broker_after = broker_memory_mb()
    notifier_mb = [n.stop() for n in notifiers]
    archiver_mb = archiver.stop()
    arrivals = [item for n in notifiers for item in n.arrivals]
    notified = [event for event, _ in arrivals]
    archived = archived_ids(archive)
    latencies_ms = [(at - sent[event]) * 1000 for event, at in arrivals if event in sent]
    last_arrival = max((at for _, at in arrivals), default=published_at)
    rate = len(set(notified)) / (last_arrival - start_at)

    lost_notified = len(expected - set(notified))
    doubled_notified = len(notified) - len(set(notified))
    lost_archived = len(expected - set(archived))
    doubled_archived = len(archived) - len(set(archived))
    share = ", ".join(str(len(n.arrivals)) for n in notifiers)

    table = Table(title=f"Load: {args.matches} matches x {len(template)} events of {args.scenario.name} over "
                        f"{args.duration:g} s, {args.cameras} camera processes, "
                        f"{args.notifiers} notifiers + 1 archiver")
    for column in ("figure", "value"):
        table.add_column(column, justify="left" if column == "figure" else "right")
    rows = [
        ("events decided (expected at each consumer)", f"{len(expected):,}"),
        ("events/s, first publish to last notification", f"{rate:,.0f}"),
        ("latency publish -> notifier line, p50 ms", f"{percentile(latencies_ms, 0.5):.1f}"),
        ("latency p99 ms", f"{percentile(latencies_ms, 0.99):.1f}"),
        ("latency max ms", f"{max(latencies_ms):.1f}"),
        ("deepest outbox (events, any camera)", str(max(r["deepest_outbox"] for r in camera_results))),
        ("peak memory per camera process, MB", f"{max(r['peak_mb'] for r in camera_results):.0f}"),
        ("peak memory per notifier / archiver, MB", f"{max(notifier_mb):.0f} / {archiver_mb:.0f}"),
        ("broker memory before / after, MB", f"{broker_before:.0f} / {broker_after:.0f}"),
        ("notifiers' shares (competing on one queue)", share),
        ("lost / doubled at the notifiers", f"{lost_notified} / {doubled_notified}"),
        ("lost / doubled at the archiver", f"{lost_archived} / {doubled_archived}"),
    ]
    for row in rows:
        table.add_row(*row)
    ok = not (lost_notified or doubled_notified or lost_archived or doubled_archived)
    lines = ["nothing lost, nothing doubled" if ok else "FAILED: events lost or doubled"]
    errors = [line.strip() for n in (*notifiers, archiver) for line in n.errors
              if "Traceback" in line or line.startswith("parked")]
    if errors:
        lines.append(f"consumer errors: {errors[:5]}")
        ok = False
    return Report(table, lines, ok)


def archived_ids(archive: Path) -> list[str]:
    if not archive.exists():
        return []
    return [json.loads(line)["id"] for line in archive.read_text().splitlines() if line.strip()]


if __name__ == "__main__":
    sys.exit(main())
