"""The webhook consumer against a local HTTP endpoint and a real RabbitMQ queue: every notification
posted once in the chosen shape, failures retried with back-off, what keeps failing parked with the
HTTP status in the reason, the URL's token never in a log line."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pika
import pytest

from broker.events import cloud_event
from broker.topology import retry_queue
from consumers.__main__ import main
from consumers.events import parse_event
from consumers.subscriber import REASON_HEADER, RetryPolicy
from consumers.webhook import payload, run_webhook, webhook_queue
from test_consumer_doors import parked_from, publish

ROOT = Path(__file__).resolve().parents[1]
BROKER_URL = "amqp://guest:guest@localhost:5672/%2F"
FAST_RETRY = RetryPolicy(attempts=3, first_delay_s=0.1, factor=2.0)
"""Three posts 0.1 s and 0.2 s apart: the real back-off, shortened for a test."""
WAIT_S = 30.0
POLL_S = 0.05
QUIET_S = 0.5
"""After the expected posts, a moment more to catch a doubled one."""
KICK_OFF = datetime(2026, 8, 15, 15, 0, tzinfo=timezone.utc)
TOKEN = "xoxbSECRETtoken0123456789"
SLACK_PATH = f"/services/T0TEAM1234/B0HOOK5678/{TOKEN}"
"""Shaped like a Slack incoming webhook's path: the last part is the secret."""


def match_event(kind: str, match_id: str, clock_s: float = 0.0, frame: int = 0, score=(0, 0), **extra) -> dict:
    """An event as `camera_sim run` emits it (README's example goal)."""
    data = {"match_id": match_id, "home": "Rovers", "away": "United", "score": {"home": score[0], "away": score[1]}}
    if kind in ("goal", "no_goal"):
        minutes, seconds = divmod(clock_s, 60)
        data |= {"camera_id": "north-gl", "frame": frame, "video_time_s": frame / 250,
                 "margin_m": 0.06 if kind == "goal" else -0.12, "match_clock": f"{int(minutes):02d}:{seconds:05.2f}"}
    source = "/goalline/cameras/north-gl" if kind in ("goal", "no_goal") else f"/goalline/matches/{match_id}"
    return cloud_event(kind, match_id, source, KICK_OFF + timedelta(seconds=clock_s), data | extra,
                       (match_id, kind, frame))


def a_match(match_id: str) -> list[dict]:
    """Kick-off, a goal, a no-goal, full time."""
    return [match_event("match_started", match_id),
            match_event("goal", match_id, 1060.72, 554, (1, 0), scoring_team="Rovers", counted=True),
            match_event("no_goal", match_id, 2670.69, 622, (1, 0)),
            match_event("match_ended", match_id, 2700.0, score=(1, 0))]


@dataclass
class Post:
    path: str
    content_type: str
    body: dict
    status: int


class Hook:
    """A local HTTP endpoint; `answer(post)` gives each post's (status, text), 200 by default."""

    def __init__(self, answer=lambda post: (200, "ok")):
        self.posts: list[Post] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                post = Post(self.path, self.headers.get("Content-Type"), body, 0)
                post.status, text = answer(post)
                hook.posts.append(post)
                self.send_response(post.status)
                self.send_header("Content-Length", str(len(text.encode())))
                self.end_headers()
                self.wfile.write(text.encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def delivered(self) -> list[dict]:
        return [post.body for post in self.posts if 200 <= post.status < 300]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Webhook:
    """run_webhook() for one match of the test's own, in a thread, its log lines collected."""

    def __init__(self, url: str, match_id: str, state_dir: Path, format_name: str = "slack"):
        self.url, self.match_id, self.log = url, match_id, []
        self.queue = webhook_queue(url, match_id)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=run_webhook, daemon=True, args=(BROKER_URL, url, format_name, match_id),
                                        kwargs={"state_dir": state_dir, "retry": FAST_RETRY, "stop": self._stop,
                                                "log": self.log.append})
        self._thread.start()
        assert wait_for(lambda: any(line.startswith("listening on") for line in self.log)), self.log

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(WAIT_S)


def wait_for(condition, quiet_s: float = 0.0) -> bool:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(POLL_S)
    time.sleep(quiet_s)
    return True


@pytest.fixture
def channel():
    connection = pika.BlockingConnection(pika.URLParameters(BROKER_URL))
    yield connection.channel()
    connection.close()


@pytest.fixture
def started(channel, tmp_path):
    """Hooks and webhooks a test starts; stopped, closed and their queues deleted at the end."""
    things: dict[str, list] = {"hooks": [], "webhooks": [], "queues": []}
    yield things
    for webhook in things["webhooks"]:
        webhook.stop()
    for hook in things["hooks"]:
        hook.close()
    for queue in things["queues"] + [webhook.queue for webhook in things["webhooks"]]:
        channel.queue_delete(queue)
        channel.queue_delete(retry_queue(queue))


def start(started, tmp_path, answer=lambda post: (200, "ok"), path: str = "/hook", url: str | None = None):
    hook = Hook(answer)
    started["hooks"].append(hook)
    webhook = Webhook(url or hook.url(path), f"hook-{uuid.uuid4().hex[:12]}", tmp_path / "state")
    started["webhooks"].append(webhook)
    return hook, webhook


def test_each_notification_arrives_once_in_the_slack_shape(tmp_path, channel, started):
    hook, webhook = start(started, tmp_path)
    events = a_match(webhook.match_id)
    for event in events + events[1:2]:  # the goal published twice
        publish(channel, event)
    assert wait_for(lambda: len(hook.posts) >= len(events), QUIET_S), webhook.log
    texts = [post.body["text"] for post in hook.posts]
    assert [post.body.keys() for post in hook.posts] == [{"text"}] * len(events)
    assert texts[0] == f"KICK-OFF Rovers v United  ({webhook.match_id})"
    assert texts[1].startswith("GOAL Rovers score!  Rovers 1-0 United  17:40.72  camera north-gl, frame 554")
    assert texts[2].startswith("NO GOAL Rovers 1-0 United  44:30.69")
    assert texts[3] == "FULL TIME Rovers 1-0 United"
    assert {post.content_type for post in hook.posts} == {"application/json"}


def test_an_endpoint_that_answers_503_twice_then_recovers_gets_the_event_exactly_once(tmp_path, channel, started):
    answers = iter([(503, "busy"), (503, "busy")])
    hook, webhook = start(started, tmp_path, lambda post: next(answers, (200, "ok")))
    goal = a_match(webhook.match_id)[1]
    publish(channel, goal)
    assert wait_for(lambda: hook.delivered(), QUIET_S), webhook.log
    assert [post.status for post in hook.posts] == [503, 503, 200]
    assert len(hook.delivered()) == 1
    assert sum("HTTP 503" in line and "retry" in line for line in webhook.log) == 2


def test_an_event_the_endpoint_keeps_failing_on_is_parked_naming_the_status_and_the_others_delivered(
        tmp_path, channel, started):
    hook, webhook = start(started, tmp_path, lambda post: (503, "down") if post.body["text"].startswith("GOAL")
                          else (200, "ok"))
    events = a_match(webhook.match_id)
    for event in events:
        publish(channel, event)
    assert wait_for(lambda: len(hook.delivered()) >= 3 and any("parked" in line for line in webhook.log),
                    QUIET_S), webhook.log
    assert [text["text"].split()[0] for text in hook.delivered()] == ["KICK-OFF", "NO", "FULL"]
    parked = parked_from(channel, webhook.queue)
    assert [properties.message_id for properties, _ in parked] == [events[1]["id"]]
    reason = parked[0][0].headers[REASON_HEADER]
    assert "HTTP 503" in reason and f"failed {FAST_RETRY.attempts} times" in reason


def test_a_404_is_parked_at_once_with_a_reason_that_says_the_failure_is_permanent(tmp_path, channel, started):
    hook, webhook = start(started, tmp_path, lambda post: (404, f"Cannot POST {post.path}"), path=SLACK_PATH)
    publish(channel, a_match(webhook.match_id)[0])
    assert wait_for(lambda: any("parked" in line for line in webhook.log)), webhook.log
    (properties, _), = parked_from(channel, webhook.queue)
    reason = properties.headers[REASON_HEADER]
    assert "HTTP 404 Not Found" in reason and "permanent" in reason and "not retried" in reason
    assert len(hook.posts) == 1, "no retry for what no retry can mend"
    assert TOKEN not in reason and "T0TEAM1234" not in reason  # the endpoint echoed the path: blanked


def test_an_unreachable_endpoint_is_retried_then_parked_naming_the_refused_connection(tmp_path, channel, started):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _, webhook = start(started, tmp_path, url=f"http://127.0.0.1:{port}{SLACK_PATH}")
    publish(channel, a_match(webhook.match_id)[0])
    assert wait_for(lambda: any("parked" in line for line in webhook.log)), webhook.log
    (properties, _), = parked_from(channel, webhook.queue)
    assert "Connection refused" in properties.headers[REASON_HEADER]
    assert TOKEN not in "\n".join(webhook.log) + properties.headers[REASON_HEADER]


def test_the_token_in_a_slack_url_never_appears_in_the_commands_stderr(tmp_path, channel, started):
    answers = iter([(503, f"no service at {SLACK_PATH}")])
    hook = Hook(lambda post: next(answers, (200, "ok")))
    started["hooks"].append(hook)
    match_id, url = f"hook-{uuid.uuid4().hex[:12]}", hook.url(SLACK_PATH)
    started["queues"].append(webhook_queue(url, match_id))
    command = subprocess.Popen([sys.executable, "-m", "consumers", "webhook", url, "--match", match_id,
                                "--broker", BROKER_URL], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    err: list[str] = []
    threading.Thread(target=lambda: err.extend(iter(command.stderr.readline, "")), daemon=True).start()
    assert wait_for(lambda: any("listening on" in line for line in err)), err
    publish(channel, a_match(match_id)[1])
    assert wait_for(lambda: any(line.startswith("posted GOAL") for line in err)), err  # after a 1 s retry
    command.send_signal(signal.SIGTERM)
    assert command.wait(WAIT_S) == 0
    time.sleep(POLL_S)
    stderr = "".join(err)
    assert [post.status for post in hook.posts] == [503, 200] and "HTTP 503" in stderr
    assert hook.posts[0].path == SLACK_PATH
    assert TOKEN not in stderr and "T0TEAM1234" not in stderr and "services" not in stderr
    assert f"http://127.0.0.1:{hook.server.server_port}/…" in stderr


def test_the_discord_format_posts_the_line_as_content_and_pings_nobody():
    event = parse_event(json.dumps(match_event("match_started", "m1", home="@everyone")).encode())
    body, content_type = payload(event, "discord")
    assert json.loads(body) == {"content": "KICK-OFF @everyone v United  (m1)", "allowed_mentions": {"parse": []}}
    assert content_type == "application/json"


def test_the_event_format_posts_the_whole_cloud_event():
    document = match_event("goal", "m1", 60.0, 15, (1, 0), scoring_team="Rovers")
    body, content_type = payload(parse_event(json.dumps(document).encode()), "event")
    assert json.loads(body) == document and content_type == "application/cloudevents+json"


def test_the_slack_format_escapes_what_slack_reads_as_markup():
    event = parse_event(json.dumps(match_event("match_started", "m1", home="<!channel> & Co")).encode())
    assert json.loads(payload(event, "slack")[0])["text"] == "KICK-OFF &lt;!channel&gt; &amp; Co v United  (m1)"


def test_each_url_has_a_queue_of_its_own_and_the_same_url_always_the_same():
    first, second = "https://hooks.slack.com/services/T/B/one", "https://hooks.slack.com/services/T/B/two"
    assert webhook_queue(first, None) != webhook_queue(second, None)
    assert webhook_queue(first, None) == webhook_queue(first, None)
    assert webhook_queue(first, "m1") == webhook_queue(first, None) + ".match.m1"
    assert "one" not in webhook_queue(first, None)


def test_a_url_that_is_not_http_is_refused_in_one_line_that_does_not_repeat_it(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["webhook", f"ftp://files.example.org{SLACK_PATH}"])
    err = capsys.readouterr().err
    assert stopped.value.code == 2 and len(err.splitlines()) == 1
    assert "http://" in err and TOKEN not in err
