"""Issue 5 §4, security, on the local RabbitMQ: the project's own vhost and user made by
scripts/provision_rabbitmq.py (as compose does), the app user held to `goalline.*` names, passwords
never printed, and amqps:// URLs through a TLS endpoint made for the test.

Everything runs in a vhost and users made for this module and deleted after it; the camera and the
notifier keep their state (outbox, handled events) in temporary folders.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pika
import pika.exceptions
import pytest

ROOT = Path(__file__).resolve().parents[1]
PROVISION = ROOT / "scripts" / "provision_rabbitmq.py"
SCENARIO = ROOT / "scenarios" / "clean_goal.yaml"
MATCH_ID = "clean-goal"
"""The match of SCENARIO: the notifier follows it."""
NOTIFY_ALL = "goalline.notify.all"
"""The queue the camera side declares for every match's events (broker/topology.py)."""
BROKER_HOST, BROKER_PORT = "localhost", 5672
APP_PATTERN = r"^goalline\."
RABBITMQCTL = shutil.which("rabbitmqctl")
OPENSSL = shutil.which("openssl")
EXIT_OK, EXIT_BROKER = 0, 3
RUN_TIMEOUT_S = 120
NO_FLUSH_WAIT = ["--flush-timeout", "0"]
"""For runs that cannot reach the broker: their events stay in the (temporary) outbox at once
instead of waiting the default 30 s for confirms that cannot come."""
NOTIFIER_WAIT_S = 20.0
BROKER_RETRIES, BROKER_RETRY_DELAY_S = 20, 1.0
"""The shared local broker may restart under the tests (another suite's fault tests stop and start
it in ~5 s): set-up, clean-up and reading the queues are retried for ~20 s."""
TLS_CURVE = "prime256v1"
"""EC keys: made in milliseconds, and accepted at OpenSSL's default security level."""
CERT_DAYS = "2"


def _broker_answers() -> bool:
    """Whether the broker accepts connections, waiting out a restart of the shared broker."""
    for _ in range(BROKER_RETRIES):
        try:
            socket.create_connection((BROKER_HOST, BROKER_PORT), timeout=2).close()
            return True
        except OSError:
            time.sleep(BROKER_RETRY_DELAY_S)
    return False


pytestmark = [
    pytest.mark.skipif(RABBITMQCTL is None, reason="rabbitmqctl not installed: cannot provision a test vhost"),
    pytest.mark.skipif(not _broker_answers(), reason=f"no RabbitMQ on {BROKER_HOST}:{BROKER_PORT}"),
]


def retried(action):
    """action() retried while the shared broker restarts."""
    for attempt in range(BROKER_RETRIES):
        try:
            return action()
        except (subprocess.CalledProcessError, pika.exceptions.AMQPConnectionError):
            if attempt == BROKER_RETRIES - 1:
                raise
            time.sleep(BROKER_RETRY_DELAY_S)


def rabbitmqctl(*args: str) -> str:
    return subprocess.run([RABBITMQCTL, "--quiet", *args], check=True, capture_output=True, text=True).stdout


class Account:
    """The vhost and users made for this module, as .env would name them."""

    def __init__(self):
        tag = secrets.token_hex(4)
        self.vhost = f"goalline-test-{tag}"
        self.app_user, self.app_password = f"goalline-test-app-{tag}", f"Pw-{secrets.token_hex(12)}"
        self.admin_user = f"goalline-test-admin-{tag}"
        self.admin_password = f"adm$ {secrets.token_hex(6)} #'\""
        """Any characters: the admin password never goes into a URL."""

    def env(self) -> dict[str, str]:
        return {**os.environ, "GOALLINE_VHOST": self.vhost, "GOALLINE_APP_USER": self.app_user,
                "GOALLINE_APP_PASSWORD": self.app_password, "RABBITMQ_ADMIN_USER": self.admin_user,
                "RABBITMQ_ADMIN_PASSWORD": self.admin_password}

    def url(self, scheme: str = "amqp", host: str = BROKER_HOST, port: int = BROKER_PORT,
            password: str | None = None) -> str:
        return f"{scheme}://{self.app_user}:{password or self.app_password}@{host}:{port}/{self.vhost}"

    def parameters(self, user: str | None = None, password: str | None = None, vhost: str | None = None):
        credentials = pika.PlainCredentials(user or self.app_user, password or self.app_password)
        return pika.ConnectionParameters(BROKER_HOST, BROKER_PORT, vhost or self.vhost, credentials)


@pytest.fixture(scope="module")
def account():
    """The vhost and users, made the way compose's broker gets them (the same definitions), then deleted."""
    made = Account()
    try:
        retried(lambda: subprocess.run([sys.executable, str(PROVISION), "apply"], env=made.env(), check=True,
                                       capture_output=True, text=True))
        yield made
    finally:
        clean_up(("delete_vhost", made.vhost), ("delete_user", made.app_user), ("delete_user", made.admin_user))


def clean_up(*commands: tuple[str, ...]) -> None:
    """Run the rabbitmqctl deletions side by side (each CLI start costs ~1 s), each retried; what is
    already gone (or was never made) counts as deleted."""
    def delete(command: tuple[str, ...]) -> None:
        result = subprocess.run([RABBITMQCTL, "--quiet", *command], capture_output=True, text=True)
        if result.returncode != 0 and "does not exist" not in result.stderr + result.stdout:
            raise subprocess.CalledProcessError(result.returncode, command, result.stdout, result.stderr)
    threads = [threading.Thread(target=retried, args=(lambda c=c: delete(c),)) for c in commands]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def free_port() -> int:
    """A localhost port nothing listens on (just released by the kernel)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_camera(url: str, folder: Path, *options: str, env: dict[str, str] | None = None,
               url_in_environment: bool = False) -> subprocess.CompletedProcess:
    """`python -m camera_sim run` of the clean goal; its outbox in `folder`, its events in folder/events.jsonl."""
    folder.mkdir(parents=True, exist_ok=True)
    environment = {**(env or os.environ), "GOALLINE_STATE_DIR": str(folder / "state"),
                   "XDG_STATE_HOME": str(folder / "xdg")}
    environment.pop("AMQP_URL", None)
    broker = []
    if url_in_environment:
        environment["AMQP_URL"] = url
    else:
        broker = ["--broker", url]
    return subprocess.run([sys.executable, "-m", "camera_sim", "run", str(SCENARIO), *broker,
                           "--events-out", str(folder / "events.jsonl"), *options],
                          cwd=ROOT, env=environment, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)


def event_ids(folder: Path) -> set[str]:
    return {json.loads(line)["id"] for line in (folder / "events.jsonl").read_text().splitlines() if line}


def drain(account: Account, queue: str) -> set[str]:
    """Take every message off `queue` (as the app user) and return their event ids."""
    def take():
        connection = pika.BlockingConnection(account.parameters())
        ids = set()
        try:
            channel = connection.channel()
            while True:
                method, _properties, body = channel.basic_get(queue, auto_ack=True)
                if method is None:
                    return ids
                ids.add(json.loads(body)["id"])
        finally:
            connection.close()
    return retried(take)


def assert_one_line_error(result: subprocess.CompletedProcess, url: str) -> None:
    """Exit 3, no traceback, and the run ends on one line naming the broker with its password hidden
    (above it, the camera's usual summary of the decisions it made meanwhile)."""
    assert result.returncode == EXIT_BROKER, result.stderr
    assert "Traceback" not in result.stderr
    final = result.stderr.rstrip("\n").rsplit("\n", 1)[-1]
    parts = urlsplit(url)
    hidden = f"{parts.scheme}://{parts.username}:***@{parts.hostname}:{parts.port}/"
    assert final.startswith(f"broker {hidden}"), result.stderr


# ---- the vhost, the users, the permissions --------------------------------------------------


def test_provisioning_gives_the_app_user_only_goalline_names_in_its_vhost(account):
    rows = [line.split("\t") for line in rabbitmqctl("list_permissions", "-p", account.vhost).splitlines()[1:]]
    permissions = {user: tuple(patterns) for user, *patterns in rows}
    assert permissions[account.app_user] == (APP_PATTERN, APP_PATTERN, APP_PATTERN)


def test_provisioning_makes_an_administrator_for_the_management_ui(account):
    users = dict(line.split("\t") for line in rabbitmqctl("list_users").splitlines()[1:])
    assert users[account.admin_user] == "[administrator]"
    assert users[account.app_user] == "[]"


def test_the_admin_password_may_hold_any_characters(account):
    # Checked over AMQP: `rabbitmqctl authenticate_user` itself mangles a `$` in its argument.
    connection = pika.BlockingConnection(account.parameters(account.admin_user, account.admin_password))
    connection.close()


def test_the_app_user_is_refused_a_queue_named_outside_goalline(account):
    connection = pika.BlockingConnection(account.parameters())
    try:
        with pytest.raises(pika.exceptions.ChannelClosedByBroker) as refused:
            connection.channel().queue_declare(f"elsewhere.{secrets.token_hex(4)}")
        assert refused.value.reply_code == 403 and "ACCESS_REFUSED" in refused.value.reply_text
    finally:
        connection.close()


def test_the_app_user_cannot_open_another_vhost(account):
    with pytest.raises(pika.exceptions.ProbableAccessDeniedError):
        pika.BlockingConnection(account.parameters(vhost="/"))


def test_provisioning_refuses_an_app_password_that_would_break_the_url(tmp_path):
    env = {**Account().env(), "GOALLINE_APP_PASSWORD": "p@ss/word"}
    result = subprocess.run([sys.executable, str(PROVISION), "definitions", str(tmp_path / "d.json")],
                            env=env, capture_output=True, text=True)
    assert result.returncode == 2 and "GOALLINE_APP_PASSWORD" in result.stderr
    assert "p@ss/word" not in result.stdout + result.stderr
    assert not (tmp_path / "d.json").exists()


def test_the_definitions_file_holds_password_hashes_never_the_passwords(tmp_path):
    account = Account()
    path = tmp_path / "definitions" / "goalline.json"
    subprocess.run([sys.executable, str(PROVISION), "definitions", str(path)], env=account.env(), check=True,
                   capture_output=True)
    text = path.read_text()
    assert account.app_password not in text and account.admin_password not in text
    assert {user["name"] for user in json.loads(text)["users"]} == {account.app_user, account.admin_user}


# ---- the camera and the notifier as the app user ----------------------------------------------


@pytest.fixture(scope="module")
def plain_run(account, tmp_path_factory):
    """The camera's run through amqp:// as the app user, and the events then on NOTIFY_ALL."""
    folder = tmp_path_factory.mktemp("plain")
    result = run_camera(account.url(), folder)
    return result, *sent_and_received(result, account, folder)


def sent_and_received(result: subprocess.CompletedProcess, account: Account, folder: Path) -> tuple[set, set]:
    """The ids the run wrote and those then on NOTIFY_ALL (none read after a failed run: its test says why)."""
    if result.returncode != EXIT_OK:
        return set(), set()
    return event_ids(folder), drain(account, NOTIFY_ALL)


def test_the_camera_publishes_as_the_app_user(plain_run):
    result, _sent, _received = plain_run
    assert result.returncode == EXIT_OK, result.stderr


def test_the_camera_events_arrive_on_the_notify_queue_of_the_vhost(plain_run):
    _result, sent, received = plain_run
    assert sent and received == sent


@pytest.fixture(scope="module")
def notifier_run(account, plain_run, tmp_path_factory):
    """`python -m consumers notify --match` as the app user, after the camera's run, until its
    first GOAL line (or NOTIFIER_WAIT_S): (stdout lines, stderr)."""
    folder = tmp_path_factory.mktemp("notifier")
    environment = {**os.environ, "GOALLINE_STATE_DIR": str(folder / "state"), "XDG_STATE_HOME": str(folder)}
    environment.pop("AMQP_URL", None)
    notifier = subprocess.Popen([sys.executable, "-m", "consumers", "notify", "--broker", account.url(),
                                 "--match", MATCH_ID], cwd=ROOT, env=environment, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(notifier.stdout.readline, "")), daemon=True)
    reader.start()
    deadline = time.monotonic() + NOTIFIER_WAIT_S
    def goal_seen() -> bool:
        return any(line.startswith("GOAL") for line in lines)
    while not goal_seen() and notifier.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    notifier.send_signal(signal.SIGTERM)
    err = notifier.stderr.read()
    notifier.wait(timeout=NOTIFIER_WAIT_S)
    reader.join(timeout=NOTIFIER_WAIT_S)
    return lines, err


def test_the_notifier_consumes_as_the_app_user(notifier_run):
    lines, err = notifier_run
    assert any(line.startswith("GOAL") for line in lines), err


# ---- passwords are never printed ----------------------------------------------------------------


def test_the_camera_never_prints_the_password_when_the_broker_answers(account, plain_run):
    result, _sent, _received = plain_run
    assert account.app_password not in result.stdout + result.stderr


def test_the_notifier_never_prints_the_password(account, notifier_run):
    lines, err = notifier_run
    assert account.app_password not in "".join(lines) + err


def test_the_camera_never_prints_the_password_when_nothing_listens_on_the_port(account, tmp_path):
    url = account.url(port=free_port())
    result = run_camera(url, tmp_path, *NO_FLUSH_WAIT)
    assert result.returncode == EXIT_BROKER, result.stderr
    assert account.app_password not in result.stdout + result.stderr


def test_the_camera_never_prints_a_wrong_password(account, tmp_path):
    wrong = f"Wrong-{secrets.token_hex(12)}"
    result = run_camera(account.url(password=wrong), tmp_path, *NO_FLUSH_WAIT, url_in_environment=True)
    assert result.returncode == EXIT_BROKER, result.stderr
    assert wrong not in result.stdout + result.stderr


# ---- amqps:// ---------------------------------------------------------------------------------


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run([OPENSSL, *args], cwd=cwd, check=True, capture_output=True)


def make_ca(folder: Path, name: str) -> None:
    """A self-signed CA: name.pem, name.key (with the extensions strict verifiers ask of a CA)."""
    openssl("req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", f"ec_paramgen_curve:{TLS_CURVE}", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", CERT_DAYS, "-subj", f"/CN={name}",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            cwd=folder)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    """A throwaway CA, a server certificate it signed for DNS name `localhost` only, and an
    unrelated CA; made with the openssl CLI (no Python dependency for the test's sake)."""
    if OPENSSL is None:
        pytest.skip("the openssl CLI is not installed: cannot make the test's CA and certificate")
    folder = tmp_path_factory.mktemp("tls")
    make_ca(folder, "test-ca")
    make_ca(folder, "other-ca")
    (folder / "server.ext").write_text(
        "subjectAltName = DNS:localhost\n"
        "basicConstraints = critical, CA:FALSE\n"
        "keyUsage = critical, digitalSignature\n"
        "extendedKeyUsage = serverAuth\n"
        "subjectKeyIdentifier = hash\n"
        "authorityKeyIdentifier = keyid\n")
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", f"ec_paramgen_curve:{TLS_CURVE}", "-nodes",
            "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost", cwd=folder)
    openssl("x509", "-req", "-in", "server.csr", "-CA", "test-ca.pem", "-CAkey", "test-ca.key", "-CAcreateserial",
            "-out", "server.pem", "-days", CERT_DAYS, "-extfile", "server.ext", cwd=folder)
    return folder


class TlsProxy:
    """An amqps endpoint for the test: TLS on a free 127.0.0.1 port, plain TCP on to the local
    broker (whose own configuration stays untouched). asyncio on a thread of its own."""

    def __init__(self, certificate: Path, key: Path, upstream: tuple[str, int]):
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._context.load_cert_chain(certificate, key)
        self._upstream = upstream
        self._loop = asyncio.new_event_loop()
        self._loop.set_exception_handler(lambda _loop, _context: None)  # refused handshakes are what some tests want
        self._thread = threading.Thread(target=self._loop.run_forever, name="tls-proxy", daemon=True)
        self._server = None
        self.port = 0

    def __enter__(self) -> TlsProxy:
        self._thread.start()
        start = asyncio.start_server(self._client, "127.0.0.1", 0, ssl=self._context)
        self._server = asyncio.run_coroutine_threadsafe(start, self._loop).result(timeout=10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def __exit__(self, *_exc) -> None:
        self._loop.call_soon_threadsafe(self._server.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self._upstream)
        except OSError:
            writer.close()
            return
        await asyncio.gather(self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer),
                             return_exceptions=True)

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()


@pytest.fixture(scope="module")
def tls_proxy(certificates):
    with TlsProxy(certificates / "server.pem", certificates / "server.key", (BROKER_HOST, BROKER_PORT)) as proxy:
        yield proxy


def trusting(ca: Path) -> dict[str, str]:
    """The environment that makes Python's default SSL context (pika's for amqps://) trust `ca`."""
    return {**os.environ, "SSL_CERT_FILE": str(ca)}


@pytest.fixture(scope="module")
def tls_run(account, certificates, tls_proxy, tmp_path_factory):
    """The camera's run through amqps://localhost:PORT, trusting the test CA; then NOTIFY_ALL's events."""
    folder = tmp_path_factory.mktemp("amqps")
    result = run_camera(account.url("amqps", port=tls_proxy.port), folder, env=trusting(certificates / "test-ca.pem"))
    return result, *sent_and_received(result, account, folder)


def test_the_camera_publishes_over_amqps_to_a_broker_with_a_trusted_certificate(tls_run):
    result, _sent, _received = tls_run
    assert result.returncode == EXIT_OK, result.stderr


def test_events_published_over_amqps_arrive_on_the_broker(tls_run):
    _result, sent, received = tls_run
    assert sent and received == sent


def test_the_camera_refuses_an_untrusted_certificate_in_one_line(account, certificates, tls_proxy, tmp_path):
    url = account.url("amqps", port=tls_proxy.port)
    result = run_camera(url, tmp_path, *NO_FLUSH_WAIT, env=trusting(certificates / "other-ca.pem"))
    assert_one_line_error(result, url)


def test_the_camera_refuses_a_certificate_for_another_host_name(account, certificates, tls_proxy, tmp_path):
    # The certificate names `localhost` only: reached as 127.0.0.1 it must not be accepted.
    url = account.url("amqps", host="127.0.0.1", port=tls_proxy.port)
    result = run_camera(url, tmp_path, *NO_FLUSH_WAIT, env=trusting(certificates / "test-ca.pem"))
    assert_one_line_error(result, url)
