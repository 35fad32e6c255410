"""The outbox on its own: what it keeps, for whom, and where it stops."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from broker.outbox import Outbox, OutboxFull, open_outbox, process_identity

BODY = b'{"id": "e1"}'


def test_an_event_is_kept_until_it_is_removed_and_survives_reopening(tmp_path):
    outbox = open_outbox(tmp_path)
    assert outbox.add("e1", "match.m.goal", BODY)
    outbox.close()
    reopened = open_outbox(tmp_path)
    assert [pending.event_id for pending in reopened.own_pending()] == ["e1"]
    reopened.remove(["e1"])
    assert reopened.depth == 0 and reopened.own_pending() == []


def test_the_same_event_id_is_kept_once(tmp_path):
    outbox = open_outbox(tmp_path)
    assert outbox.add("e1", "match.m.goal", BODY)
    assert not outbox.add("e1", "match.m.goal", BODY)
    assert outbox.depth == 1


def test_events_come_back_in_the_order_they_were_written(tmp_path):
    outbox = open_outbox(tmp_path)
    ids = [f"e{n}" for n in (3, 1, 2, 10)]
    for event_id in ids:
        outbox.add(event_id, "k", BODY)
    outbox.remove(["e1"])
    outbox.add("e0", "k", BODY)
    assert [pending.event_id for pending in outbox.own_pending()] == ["e3", "e2", "e10", "e0"]


def test_a_full_outbox_refuses_new_events_and_says_how_full(tmp_path):
    outbox = Outbox(tmp_path / "outbox.sqlite3", capacity=2)
    outbox.add("e1", "k", BODY)
    outbox.add("e2", "k", BODY)
    with pytest.raises(OutboxFull, match="full \\(2 events\\)"):
        outbox.add("e3", "k", BODY)
    outbox.remove(["e1"])
    assert outbox.add("e3", "k", BODY)


def test_the_rows_of_a_process_that_no_longer_runs_are_adopted(tmp_path):
    """A camera killed mid-match leaves its rows; the next process on the folder takes them over."""
    script = ("import sys; from pathlib import Path; from broker.outbox import open_outbox; "
              "open_outbox(Path(sys.argv[1])).add('left-behind', 'match.m.goal', b'{}')")
    subprocess.run([sys.executable, "-c", script, str(tmp_path)], check=True)
    outbox = open_outbox(tmp_path)
    assert outbox.own_pending() == []
    assert outbox.adopt_orphans() == 1
    assert [pending.event_id for pending in outbox.own_pending()] == ["left-behind"]


def test_the_rows_of_a_running_process_are_left_to_it(tmp_path):
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        with sqlite3.connect(tmp_path / "outbox.sqlite3") as database:
            open_outbox(tmp_path).close()  # makes the table
            database.execute("INSERT INTO outbox (event_id, routing_key, body, owner) VALUES ('theirs', 'k', x'', ?)",
                             (process_identity(running.pid),))
        outbox = open_outbox(tmp_path)
        assert outbox.adopt_orphans() == 0 and outbox.own_pending() == []
    finally:
        running.kill()
        running.wait()


def test_the_rows_of_another_boot_or_container_are_adopted(tmp_path):
    """Its pids mean nothing here: publishing its rows again (consumers drop duplicates) beats stranding them."""
    open_outbox(tmp_path).close()
    _host, pid, start = process_identity(1).split(" ")
    with sqlite3.connect(tmp_path / "outbox.sqlite3") as database:
        database.execute("INSERT INTO outbox (event_id, routing_key, body, owner) VALUES ('elsewhere', 'k', x'', ?)",
                         (f"another-boot/pid:[1] {pid} {start}",))
    assert open_outbox(tmp_path).adopt_orphans() == 1


def test_a_failed_removal_leaves_no_transaction_open(tmp_path):
    """A removal that fails (another process holding the file) must not swallow later events."""
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    outbox.add("e1", "k", BODY)
    blocker = sqlite3.connect(tmp_path / "outbox.sqlite3", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    outbox._db.execute("PRAGMA busy_timeout = 50")  # fail fast instead of waiting 10 s
    with pytest.raises(sqlite3.OperationalError):
        outbox.remove(["e1"])
    blocker.execute("ROLLBACK")
    assert outbox.add("e2", "k", BODY)
    assert not outbox._db.in_transaction, "e2 is committed, visible to other processes"
    with sqlite3.connect(tmp_path / "outbox.sqlite3") as other:
        assert [row[0] for row in other.execute("SELECT event_id FROM outbox ORDER BY seq")] == ["e1", "e2"]


def test_a_reused_pid_is_not_taken_for_the_process_that_wrote_the_rows(tmp_path):
    """Same pid, another start time: the writer is gone, its rows are adopted."""
    open_outbox(tmp_path).close()
    host, pid, _start = process_identity(1).split(" ")  # pid 1 always runs
    with sqlite3.connect(tmp_path / "outbox.sqlite3") as database:
        database.execute("INSERT INTO outbox (event_id, routing_key, body, owner) VALUES ('old', 'k', x'', ?)",
                         (f"{host} {pid} -1",))  # but no process starts at tick -1
    assert open_outbox(tmp_path).adopt_orphans() == 1


def test_a_publisher_without_a_broker_keeps_events_until_its_outbox_is_full_then_warns_and_fails_at_close(tmp_path):
    from broker.connection import BrokerUnavailable
    from broker.publisher import OutboxPublisher

    said: list[str] = []
    outbox = Outbox(tmp_path / "outbox.sqlite3", capacity=2)
    publisher = OutboxPublisher("amqp://guest:secret@127.0.0.1:1/%2F", outbox, log=said.append)
    for n in range(4):
        publisher.publish({"id": f"e{n}", "subject": "m", "type": "goalline.goal"}, BODY)
    assert publisher.waiting == 2
    with pytest.raises(BrokerUnavailable, match="2 events"):
        publisher.close(timeout_s=0)
    assert any("unreachable" in line and "deciding on" in line for line in said)
    assert sum("is full" in line for line in said) == 1, "one warning, not one per event"
    assert any("holds 2 of 2 events" in line for line in said)
    assert not any("secret" in line for line in said)
    with sqlite3.connect(tmp_path / "outbox.sqlite3") as database:
        assert [row[0] for row in database.execute("SELECT event_id FROM outbox ORDER BY seq")] == ["e0", "e1"]

