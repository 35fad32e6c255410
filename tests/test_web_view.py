"""The web view (`python -m consumers web`) in a real headless Chromium: the page loads, a scenario
run changes the score and the feed live, the decision picture shows, the watch panel flashes, a
server restart is survived without a reload, a late visitor sees the final score.

Chromium is Debian's (`/usr/bin/chromium`, installed by .ci/run), driven by Playwright without
`playwright install`. The broker is the local RabbitMQ, in a vhost of this module's own: the web
view's queue (`goalline.web.all`) has a fixed name, and in the shared vhost another web view (a
developer's, another test run's) would share out its messages. Each test follows a match id of its
own and gives its web view a fresh state folder. A screenshot of each test's page (its last state,
pass or fail) is saved in tests/artifacts/; the live run's also as tests/artifacts/web-view.png.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import pika
import pytest
import yaml

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason=f"no Chromium at {CHROMIUM} (Debian's `chromium`; .ci/run installs it)"),
    pytest.mark.skipif(shutil.which("rabbitmqctl") is None, reason="makes a vhost of its own with rabbitmqctl"),
]

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (requirements.txt)")
expect = sync_api.expect

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(__file__).with_name("artifacts")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
"""Headless, as root, and none of Chromium's own connections out (a closed network refuses them)."""
WEB_QUEUE = "goalline.web.all"
READY_S = 30.0
"""Longest wait for the web view to serve, or for its queue to be declared (usually well under 2 s)."""
LIVE_MS = 15_000
"""Longest wait for the page to show something the server has (usually well under 1 s)."""
EVENT_MS = 30_000
"""Longest wait for a published event to reach the page (the camera run takes about 3 s)."""
FLASH_GONE_MS = 20_000
"""The watch panel's flash lasts a few seconds: it must be over by then."""
STOP_S = 10.0
"""Longest wait for the web view to stop after SIGTERM."""
HEADLINES = {"goalline.match_started": "KICK-OFF", "goalline.goal": "GOAL",
             "goalline.no_goal": "NO GOAL", "goalline.match_ended": "FULL TIME"}


# --- the broker, the web view, the camera ------------------------------------------------------

@pytest.fixture(scope="module")
def broker_url():
    """A vhost of this module's own (its queues go with it)."""
    name = f"goalline-web-test-{uuid.uuid4().hex[:8]}"
    subprocess.run(["rabbitmqctl", "-q", "add_vhost", name], check=True, capture_output=True)
    subprocess.run(["rabbitmqctl", "-q", "set_permissions", "-p", name, "guest", ".*", ".*", ".*"], check=True,
                   capture_output=True)
    yield f"amqp://guest:guest@localhost:5672/{name}"
    subprocess.run(["rabbitmqctl", "-q", "delete_vhost", name], capture_output=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def queue_exists(broker_url: str, queue: str) -> bool:
    connection = pika.BlockingConnection(pika.URLParameters(broker_url))
    try:
        connection.channel().queue_declare(queue, passive=True)
        return True
    except pika.exceptions.ChannelClosedByBroker:
        return False
    finally:
        if connection.is_open:
            connection.close()


def wait_for(condition, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


class WebView:
    """`python -m consumers web` in a subprocess on a fixed port, state folder and pictures folder;
    stopped and started again as a test needs."""

    def __init__(self, broker_url: str, port: int, state_dir: Path, pictures: Path):
        self.broker_url, self.port, self.state_dir, self.pictures = broker_url, port, state_dir, pictures
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen | None = None
        self.err: list[str] = []

    def start(self) -> None:
        self.err = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "consumers", "web", "--port", str(self.port), "--host", "127.0.0.1",
             "--broker", self.broker_url, "--state-dir", str(self.state_dir), "--pictures", str(self.pictures)],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        threading.Thread(target=lambda source=self.process.stderr, into=self.err:
                         into.extend(iter(source.readline, "")), daemon=True).start()
        serving = f"serving on {self.url}"
        assert wait_for(lambda: any(serving in line for line in self.err) or self.process.poll() is not None, READY_S) \
            and self.process.poll() is None, f"the web view did not say {serving!r}: {self.stderr()}"
        # Its queue must be there before the camera publishes, or the events go nowhere.
        assert wait_for(lambda: queue_exists(self.broker_url, WEB_QUEUE), READY_S), \
            f"the web view did not declare {WEB_QUEUE}: {self.stderr()}"

    def stop(self) -> int:
        """SIGTERM; its exit status."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"the web view did not stop within {STOP_S:.0f} s of SIGTERM: {self.stderr()}")
        return self.process.returncode

    def stderr(self) -> str:
        return "".join(self.err)

    def state(self) -> dict:
        with urllib.request.urlopen(f"{self.url}/state", timeout=5) as response:
            return json.load(response)


@pytest.fixture
def web_view(broker_url, tmp_path):
    """A web view on a free port with a fresh state folder; the camera writes pictures where it serves them."""
    view = WebView(broker_url, free_port(), tmp_path / "web-state", tmp_path / "pictures")
    view.start()
    yield view
    status = view.stop()
    assert status == 0 and "Traceback" not in view.stderr(), f"exit {status}: {view.stderr()}"


class Camera:
    """One run of a scenario under a match id of the test's own, published to the module's vhost."""

    def __init__(self, broker_url: str, tmp_path: Path, pictures: Path, away: str | None = None):
        self.match_id = f"web-{uuid.uuid4().hex[:12]}"
        document = yaml.safe_load((ROOT / "scenarios" / "clean_goal.yaml").read_text())
        document["match"]["id"] = self.match_id
        if away is not None:
            document["match"]["away"] = away
        self.scenario = tmp_path / f"{self.match_id}.yaml"
        self.scenario.write_text(yaml.safe_dump(document))
        self.events_out = tmp_path / f"{self.match_id}.jsonl"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "camera_sim", "run", str(self.scenario), "--broker", broker_url,
             "--state-dir", str(tmp_path / f"camera-state-{self.match_id}"), "--pictures", str(pictures),
             "--events-out", str(self.events_out)],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def finish(self) -> list[dict]:
        """Wait for the run; its events, in the order published."""
        _, err = self.process.communicate(timeout=120)
        assert self.process.returncode == 0, err
        return [json.loads(line) for line in self.events_out.read_text().splitlines()]


def run_camera(web_view: WebView, tmp_path: Path, away: str | None = None) -> tuple[str, list[dict]]:
    camera = Camera(web_view.broker_url, tmp_path, web_view.pictures, away)
    return camera.match_id, camera.finish()


# --- the browser --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser():
    playwright = sync_api.sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture
def page(browser, web_view, request):
    """A fresh page; at the end (pass or fail, before its web view stops) its screenshot in
    tests/artifacts/<test>.png and any script error it had printed."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    script_errors: list[str] = []
    tab.on("pageerror", lambda error: script_errors.append(str(error)))
    yield tab
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / f"{request.node.name}.png"
    try:
        tab.screenshot(path=str(shot), full_page=True)
        print(f"screenshot: {shot}")
    finally:
        if script_errors:
            print("script errors on the page:", *script_errors, sep="\n  ")
        context.close()


def open_live(page, web_view: WebView) -> None:
    """Open the page, wait until it says live, and mark the document (a reload would lose the mark)."""
    page.goto(web_view.url + "/")
    expect(page.locator("#status")).to_have_text("live", timeout=LIVE_MS)
    page.evaluate("window.__sameDocument = true")


def still_same_document(page) -> bool:
    return page.evaluate("window.__sameDocument === true")


def feed_ids(page) -> list[str]:
    return page.eval_on_selector_all("#feed li[data-event]", "items => items.map(item => item.dataset.event)")


def wait_for_feed_items(page, events: list[dict]) -> None:
    for event in events:
        expect(page.locator(f'#feed li[data-event="{event["id"]}"]')).to_have_count(1, timeout=EVENT_MS)


def expect_newest_first(page, events: list[dict]) -> None:
    """The events' feed items in the feed newest first, each with its headline."""
    ours = [event["id"] for event in events]
    assert [item for item in feed_ids(page) if item in ours] == ours[::-1]
    for event in events:
        expect(page.locator(f'#feed li[data-event="{event["id"]}"] .headline')).to_have_text(HEADLINES[event["type"]])


def score_cell(page, match_id: str):
    return page.locator(f'#scoreboard tr[data-match="{match_id}"] .score')


def goal_of(events: list[dict]) -> dict:
    [goal] = [event for event in events if event["type"] == "goalline.goal"]
    return goal


# --- the behaviours -----------------------------------------------------------------------------

def test_the_page_loads_and_says_it_is_live(page, web_view):
    response = page.goto(web_view.url + "/")
    assert response is not None and response.ok
    expect(page.locator("#status")).to_have_text("live", timeout=LIVE_MS)
    for part in ("#scoreboard", "#feed", "#watch"):
        expect(page.locator(part)).to_have_count(1)


def test_a_scenario_run_changes_the_score_and_the_feed_live_without_a_reload(page, web_view, tmp_path):
    open_live(page, web_view)
    match_id, events = run_camera(web_view, tmp_path)
    assert [event["type"] for event in events] == ["goalline.match_started", "goalline.goal", "goalline.match_ended"]
    expect(score_cell(page, match_id)).to_have_text("1-0", timeout=EVENT_MS)
    wait_for_feed_items(page, events)
    expect_newest_first(page, events)
    assert still_same_document(page), "the page was reloaded"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "web-view.png"), full_page=True)


def test_the_goal_shows_its_decision_picture(page, web_view, tmp_path):
    open_live(page, web_view)
    match_id, events = run_camera(web_view, tmp_path)
    goal = goal_of(events)
    picture = page.locator(f'#feed li[data-event="{goal["id"]}"] img.picture')
    expect(picture).to_have_count(1, timeout=EVENT_MS)
    expect(picture).to_have_attribute("src", re.compile(re.escape(f"/pictures/{match_id}/{goal['id']}.png") + "$"))
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=picture.element_handle(),
                           timeout=LIVE_MS)


def test_a_goal_flashes_the_watch_panel_with_goal_and_its_delay_in_ms(page, web_view, tmp_path):
    open_live(page, web_view)
    camera = Camera(web_view.broker_url, tmp_path, web_view.pictures)  # watched while it runs
    panel = page.locator(f'#watch .watch[data-match="{camera.match_id}"]')
    expect(panel).to_have_class(re.compile(r"(^|\s)flash(\s|$)"), timeout=EVENT_MS)
    expect(panel).to_contain_text("GOAL")
    expect(panel.locator(".delay")).to_have_text(re.compile(r"\d ms$"))
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "web-view-watch-flash.png"))
    camera.finish()
    expect(panel).not_to_have_class(re.compile(r"(^|\s)flash(\s|$)"), timeout=FLASH_GONE_MS)


def test_a_server_restart_is_survived_without_a_reload_and_without_doubles(page, web_view, tmp_path):
    open_live(page, web_view)
    first_id, first = run_camera(web_view, tmp_path)
    wait_for_feed_items(page, first)

    assert web_view.stop() == 0, web_view.stderr()
    expect(page.locator("#status")).to_have_text("reconnecting", timeout=LIVE_MS)
    web_view.start()  # the same port and state folder
    expect(page.locator("#status")).to_have_text("live", timeout=LIVE_MS)

    second_id, second = run_camera(web_view, tmp_path)
    expect(score_cell(page, second_id)).to_have_text("1-0", timeout=EVENT_MS)
    wait_for_feed_items(page, second)
    expect_newest_first(page, first + second)
    expect(score_cell(page, first_id)).to_have_text("1-0")
    ids = feed_ids(page)
    assert len(ids) == len(set(ids)), f"feed items shown twice: {sorted({i for i in ids if ids.count(i) > 1})}"
    assert still_same_document(page), "the page was reloaded"


def test_a_late_visitor_sees_the_final_score(page, web_view, tmp_path):
    match_id, events = run_camera(web_view, tmp_path)

    # The server has the whole match (its last event is in /state's feed) before the visitor comes.
    assert wait_for(lambda: events[-1]["id"] in json.dumps(web_view.state()["feed"]), EVENT_MS / 1000), \
        web_view.state()
    page.goto(web_view.url + "/")
    expect(score_cell(page, match_id)).to_have_text("1-0", timeout=LIVE_MS)
    wait_for_feed_items(page, events)
    expect_newest_first(page, events)


def test_text_from_an_event_is_shown_as_text_never_run_as_html(page, web_view, tmp_path):
    """A team's name is free text from a scenario: markup in it must be shown, not obeyed."""
    hostile = '<img src=x onerror="document.title=\'pwned\'">United'
    open_live(page, web_view)
    match_id, _ = run_camera(web_view, tmp_path, away=hostile)
    expect(page.locator(f'#scoreboard tr[data-match="{match_id}"] .away')).to_have_text(hostile, timeout=EVENT_MS)
    assert page.locator("#scoreboard img, #feed li .line img").count() == 0
    assert page.title() != "pwned"
