"""The scoreboard: its table built from events alone (pure), drawn on a terminal, kept across a
restart, and the command itself behind a real RabbitMQ with its output piped."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pika
import pytest
from rich.console import Console

from broker.events import CONTENT_TYPE, EXCHANGE, cloud_event, routing_key
from broker.topology import retry_queue
from consumers.archive import Archive
from consumers.events import parse_event
from consumers.match_state import ScoreTable
from consumers.scoreboard import SCOREBOARD_QUEUE, scoreboard_table, snapshot_line, table_from_journal

ROOT = Path(__file__).resolve().parents[1]
BROKER_URL = "amqp://guest:guest@localhost:5672/%2F"
KICK_OFF = datetime(2026, 8, 15, 15, 0, tzinfo=timezone.utc)
WAIT_S = 30.0
POLL_S = 0.05


def match_event(kind: str, match_id: str = "rovers-united", clock_s: float = 0.0, frame: int = 0, score=(0, 0),
                home: str = "Rovers", away: str = "United", **extra) -> dict:
    """An event as `camera_sim run` emits it (README's example goal): the whole score in `data.score`."""
    data = {"match_id": match_id, "home": home, "away": away, "score": {"home": score[0], "away": score[1]}}
    if kind in ("goal", "no_goal"):
        minutes, seconds = divmod(clock_s, 60)
        data |= {"camera_id": "north-gl", "frame": frame, "video_time_s": frame / 250,
                 "margin_m": 0.06 if kind == "goal" else -0.12, "match_clock": f"{int(minutes):02d}:{seconds:05.2f}",
                 "goal_end": "north", "match_time_s": clock_s}
    return cloud_event(kind, match_id, f"/goalline/matches/{match_id}", KICK_OFF + timedelta(seconds=clock_s),
                       data | extra, (match_id, kind, frame))


def kick_off(match_id: str = "rovers-united", **teams) -> dict:
    return match_event("match_started", match_id, **teams)


def goal(clock_s: float, score: tuple[int, int], scorer: str, match_id: str = "rovers-united", **extra) -> dict:
    return match_event("goal", match_id, clock_s, int(clock_s), score, scoring_team=scorer, counted=True, **extra)


def table_of(*documents: dict) -> ScoreTable:
    table = ScoreTable()
    for document in documents:
        table.apply(parse_event(json.dumps(document).encode()))
    return table


def test_a_kick_off_creates_a_live_row_with_the_teams_at_nil_nil():
    (row,) = table_of(kick_off()).rows()
    assert (row.match_id, row.home, row.away, row.score) == ("rovers-united", "Rovers", "United", (0, 0))
    assert (row.last_event, row.last_clock, row.status) == ("KICK-OFF", None, "live")
    assert row.last_time == KICK_OFF


def test_a_goal_sets_the_score_it_carries_and_its_match_clock():
    (row,) = table_of(kick_off(), goal(1060.72, (1, 0), "Rovers"), goal(1865.72, (1, 1), "United")).rows()
    assert row.score == (1, 1)
    assert (row.last_event, row.last_clock) == ("GOAL", "31:05.72")
    assert row.last_time == KICK_OFF + timedelta(seconds=1865.72)


def test_a_second_cameras_report_of_the_same_goal_does_not_count_it_twice():
    first = goal(1060.72, (1, 0), "Rovers")
    same = match_event("goal", "rovers-united", 1060.80, 555, (1, 0), scoring_team="Rovers", counted=False)
    (row,) = table_of(kick_off(), first, same).rows()
    assert row.score == (1, 0)


def test_a_no_goal_changes_the_last_event_but_not_the_score():
    (row,) = table_of(kick_off(), goal(1060.72, (1, 0), "Rovers"),
                      match_event("no_goal", clock_s=2670.69, frame=622, score=(1, 0))).rows()
    assert row.score == (1, 0)
    assert (row.last_event, row.last_clock) == ("NO GOAL", "44:30.69")


def test_full_time_marks_the_match_ended():
    (row,) = table_of(kick_off(), goal(1060.72, (1, 0), "Rovers"),
                      match_event("match_ended", clock_s=2700.0, score=(1, 0))).rows()
    assert row.ended and row.status == "full time"
    assert (row.last_event, row.last_clock, row.score) == ("FULL TIME", None, (1, 0))


def test_several_matches_are_kept_apart_in_the_order_they_first_came():
    rows = table_of(kick_off("cup-final", home="Athletic", away="City"), kick_off(),
                    goal(600.0, (0, 1), "City", "cup-final", home="Athletic", away="City"),
                    goal(1060.72, (1, 0), "Rovers")).rows()
    assert [(row.match_id, row.home, row.away, row.score) for row in rows] == [
        ("cup-final", "Athletic", "City", (0, 1)), ("rovers-united", "Rovers", "United", (1, 0))]


def test_an_older_event_arriving_late_never_rolls_the_score_back():
    late_no_goal = match_event("no_goal", clock_s=552.7, frame=175, score=(0, 0))  # retried: comes after the goal
    (row,) = table_of(kick_off(), goal(1060.72, (1, 0), "Rovers"), late_no_goal).rows()
    assert (row.score, row.last_event, row.last_clock) == ((1, 0), "GOAL", "17:40.72")


def test_the_terminal_table_shows_each_match_with_its_score_and_last_event():
    console = Console(record=True, width=120, force_terminal=False)
    console.print(scoreboard_table(table_of(kick_off(), goal(1060.72, (1, 0), "Rovers")).rows()))
    screen = console.export_text()
    assert "Goal-line scoreboard" in screen
    assert "rovers-united" in screen and "1-0" in screen and "GOAL" in screen and "17:40.72" in screen


def test_a_restarted_scoreboard_reads_back_the_matches_from_its_journal(tmp_path):
    journal = Archive(tmp_path / "scoreboard.jsonl")
    for document in (kick_off(), goal(1060.72, (1, 0), "Rovers")):
        journal.append(parse_event(json.dumps(document).encode()))
    journal.close()
    with (tmp_path / "scoreboard.jsonl").open("a") as file:
        file.write('{"specversion": "1.0", "id": "half a li')  # a scoreboard killed mid-write
    (row,) = table_from_journal(tmp_path / "scoreboard.jsonl").rows()
    assert snapshot_line(row) == "rovers-united  Rovers 1-0 United  GOAL 17:40.72  at 15:17:40 UTC  live"


@pytest.fixture
def channel():
    connection = pika.BlockingConnection(pika.URLParameters(BROKER_URL))
    yield connection.channel()
    connection.close()


def queue_exists(name: str) -> bool:
    connection = pika.BlockingConnection(pika.URLParameters(BROKER_URL))
    try:
        connection.channel().queue_declare(name, passive=True)
        return True
    except pika.exceptions.ChannelClosedByBroker:
        return False
    finally:
        if connection.is_open:
            connection.close()


def publish(channel, event: dict) -> None:
    channel.basic_publish(EXCHANGE, routing_key(event["subject"], event["type"].removeprefix("goalline.")),
                          json.dumps(event).encode(),
                          pika.BasicProperties(content_type=CONTENT_TYPE, delivery_mode=2, message_id=event["id"]))


def wait_for(condition) -> bool:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(POLL_S)
    return True


def test_the_piped_scoreboard_prints_a_line_per_update_with_the_score(channel):
    match_id = f"board-{uuid.uuid4().hex[:12]}"
    existed = queue_exists(SCOREBOARD_QUEUE)  # someone's scoreboard queue is left as it was
    command = subprocess.Popen([sys.executable, "-m", "consumers", "scoreboard", "--broker", BROKER_URL], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out: list[str] = []
    err: list[str] = []
    for stream, lines in ((command.stdout, out), (command.stderr, err)):
        threading.Thread(target=lambda source=stream, into=lines: into.extend(iter(source.readline, "")),
                         daemon=True).start()
    try:
        assert wait_for(lambda: any("listening on" in line for line in err)), err
        publish(channel, kick_off(match_id))
        publish(channel, goal(1060.72, (1, 0), "Rovers", match_id))
        assert wait_for(lambda: sum(line.startswith(match_id) for line in out) >= 2), (out, err)
        command.send_signal(signal.SIGTERM)
        assert command.wait(WAIT_S) == 0
    finally:
        if command.poll() is None:
            command.kill()
        if not existed:
            channel.queue_delete(SCOREBOARD_QUEUE)
            channel.queue_delete(retry_queue(SCOREBOARD_QUEUE))
    assert [line.rstrip("\n") for line in out if line.startswith(match_id)] == [
        f"{match_id}  Rovers 0-0 United  KICK-OFF  at 15:00:00 UTC  live",
        f"{match_id}  Rovers 1-0 United  GOAL 17:40.72  at 15:17:40 UTC  live"]
