"""The live web view: `python -m consumers web [--port N]`.

One page (consumers/static/index.html, no build step) on http://127.0.0.1:PORT: the scoreboard of
every match, the notification feed with the decision pictures, a referee's-watch panel per match.
Routes: `/` the page, `/state` everything as JSON (a late visitor's start), `/events` the live
updates as server-sent events (each `id:` is the event id; a reconnecting browser sends the last
one it got, `Last-Event-ID`, and receives only what it missed), `/pictures/...` the camera side's
decision pictures.

A consumer thread reads the queue `goalline.web.all` (consumers.subscriber: retries, parking,
duplicates dropped) and journals every event it takes (consumers.archive.Archive in the state
folder) before showing it; a restarted server rebuilds its state from the journal.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from pathlib import Path

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles

from broker.events import EXCHANGE
from broker.log_line import Log, log_to_stderr
from broker.state import state_dir_path
from broker.topology import PREFIX, TopologyReport, consumer_queues, match_binding
from consumers.archive import Archive
from consumers.events import CloudEvent, InvalidEvent, parse_event
from consumers.subscriber import Subscription, consume
from consumers.web_state import WebState

WEB_QUEUE = f"{PREFIX}.web.all"
PAGE = Path(__file__).with_name("static") / "index.html"
HEARTBEAT_S = 15.0
"""A comment line this often keeps proxies and the browser from dropping an idle stream."""
RECONNECT_MS = 1000
"""What the page's EventSource waits before reconnecting after a dropped stream or a restart."""
GRACEFUL_STOP_S = 1.0
"""On SIGTERM, open event streams get this long before they are cut (they never end by themselves;
the browsers reconnect to the next server)."""
SUBSCRIBER_BACKLOG = 1000
"""Messages kept for one slow browser before it is dropped (it reconnects and catches up)."""


class Hub:
    """The state and the browsers listening: the consumer thread applies events, the server's
    loop fans each message out to every open stream."""

    def __init__(self, journal: Archive):
        self.state, self.journal = WebState(), journal
        self.loop: asyncio.AbstractEventLoop | None = None
        self.listeners: set[asyncio.Queue] = set()
        self._lock = threading.Lock()
        self._replay_journal()

    def take(self, event: CloudEvent) -> None:
        """Consumer thread: journal first (it is the record of what was handled), then show."""
        self.journal.append(event)
        with self._lock:
            message = self.state.apply(event, datetime.now(timezone.utc))
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self._fan_out, message)

    def snapshot(self) -> dict:
        with self._lock:
            return self.state.snapshot()

    def after(self, event_id: str | None) -> list[dict]:
        with self._lock:
            return self.state.after(event_id)

    def end_streams(self) -> None:
        """Server loop: every open stream ends (a stop); the browsers reconnect to the next server."""
        self._fan_out(None)

    def _fan_out(self, message: dict | None) -> None:
        for listener in list(self.listeners):
            try:
                listener.put_nowait(message)
            except asyncio.QueueFull:
                self.listeners.discard(listener)  # too slow: it reconnects and catches up from the feed

    def _replay_journal(self) -> None:
        """A restarted server shows what it showed before."""
        for line in self.journal.path.read_bytes().splitlines():
            try:
                event = parse_event(line)
            except InvalidEvent:
                continue  # half a line from a crash: its event comes again from the queue
            self.state.apply(event, datetime.now(timezone.utc))


def sse(message: dict) -> str:
    """One server-sent event: its id (for Last-Event-ID), its data as one JSON line."""
    return f"id: {message['id']}\nevent: goalline\ndata: {json.dumps(message)}\n\n"


def make_app(hub: Hub, pictures: Path, start_consumer) -> FastAPI:
    """The routes; `start_consumer(stop)` starts the consumer thread when the server starts."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        hub.loop = asyncio.get_running_loop()
        stop = threading.Event()
        consumer = start_consumer(stop)
        yield
        stop.set()
        consumer.join(timeout=5)

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    pictures.mkdir(parents=True, exist_ok=True)
    app.mount("/pictures", StaticFiles(directory=pictures), name="pictures")

    @app.get("/")
    def page() -> FileResponse:
        return FileResponse(PAGE, media_type="text/html")

    @app.get("/state")
    def state() -> JSONResponse:
        return JSONResponse(hub.snapshot())

    @app.get("/events")
    async def events(request: Request) -> StreamingResponse:
        listener: asyncio.Queue = asyncio.Queue(maxsize=SUBSCRIBER_BACKLOG)
        hub.listeners.add(listener)
        missed = hub.after(request.headers.get("last-event-id")) if request.headers.get("last-event-id") else []
        return StreamingResponse(_stream(hub, listener, missed), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    return app


async def _stream(hub: Hub, listener: asyncio.Queue, missed: list[dict]) -> AsyncIterator[str]:
    """The missed messages, then each new one as it comes; a heartbeat comment when idle."""
    try:
        yield f"retry: {RECONNECT_MS}\n: connected\n\n"
        for message in missed:
            yield sse(message)
        while True:
            try:
                message = await asyncio.wait_for(listener.get(), HEARTBEAT_S)
            except asyncio.TimeoutError:
                yield ": heartbeat\n\n"
                continue
            if message is None:
                return  # the server is stopping
            yield sse(message)
    finally:
        hub.listeners.discard(listener)


def run_web(broker: str, host: str, port: int, state_dir: Path | None, pictures: Path | None,
            log: Log = log_to_stderr) -> None:
    """Serve until SIGINT / SIGTERM. RecordUnavailable if the journal cannot be kept."""
    folder = state_dir_path(state_dir)
    journal = Archive(folder / "web" / f"{WEB_QUEUE}.jsonl")
    hub = Hub(journal)
    subscription = Subscription(consumer_queues(WEB_QUEUE, ((EXCHANGE, match_binding(None)),)), journal.handled)

    def start_consumer(stop: threading.Event) -> threading.Thread:
        def on_ready(queue: str, report: TopologyReport) -> None:
            log(f"listening on {queue} ({report.describe()})")
        thread = threading.Thread(target=_consume_quietly, name="web-consumer", daemon=True,
                                  args=(broker, subscription, hub, on_ready, stop, log))
        thread.start()
        return thread

    app = make_app(hub, pictures or folder / "pictures", start_consumer)
    server = _Server(uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False,
                                    timeout_graceful_shutdown=GRACEFUL_STOP_S), hub)
    threading.Thread(target=_announce_when_started, args=(server, host, port, log), daemon=True).start()
    try:
        server.run()
    finally:
        journal.close()


class _Server(uvicorn.Server):
    """uvicorn's server with our own stop: SIGINT / SIGTERM end the event streams and the server,
    and the process exits 0 (uvicorn's own handlers re-raise the signal after shutting down)."""

    def __init__(self, config: uvicorn.Config, hub: Hub):
        super().__init__(config)
        self.hub = hub

    @contextlib.contextmanager
    def capture_signals(self):
        previous = {number: signal.signal(number, self._stop) for number in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)

    def _stop(self, *_signal) -> None:
        self.should_exit = True
        if self.hub.loop is not None:
            self.hub.loop.call_soon_threadsafe(self.hub.end_streams)


def _consume_quietly(broker, subscription, hub: Hub, on_ready, stop: threading.Event, log: Log) -> None:
    """The consumer thread: a broker that cannot be reached is said once; the page stays up."""
    try:
        consume(broker, subscription, hub.take, on_ready=on_ready, stop=stop, log=log)
    except Exception as error:  # noqa: BLE001 (the server goes on showing what it has)
        log(f"warning: the web view's consumer stopped ({error})")


def _announce_when_started(server: uvicorn.Server, host: str, port: int, log: Log) -> None:
    while not server.started and not server.should_exit:
        threading.Event().wait(0.05)
    if server.started:
        log(f"serving on http://{host}:{port}")

