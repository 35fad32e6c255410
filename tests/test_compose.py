"""docker-compose.yml against the Compose Specification (no Docker engine here: validated, not run)."""

import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yml"


def test_the_compose_file_is_valid_against_the_compose_specification_schema():
    checker = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent)) or "check-jsonschema"
    result = subprocess.run([checker, "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_camera_and_the_notifier_wait_for_a_healthy_broker_and_get_its_url():
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    assert services["rabbitmq"]["healthcheck"]["test"][-2:] == ["-q", "ping"]
    for name in ("camera", "notifier"):
        assert services[name]["depends_on"]["rabbitmq"]["condition"] == "service_healthy"
        assert services[name]["environment"]["AMQP_URL"].startswith("amqp://")


# ---- credentials (issue 5 §4): only in .env, documented in .env.example --------------------------

ENV_EXAMPLE = ROOT / ".env.example"
DEFINITIONS_CONF = ROOT / "deploy" / "rabbitmq" / "90-goalline.conf"
APP_VHOST = "goalline"
VARIABLE = re.compile(r"\$\{(?P<name>[A-Za-z_]\w*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
                      r"|\$(?P<bare>[A-Za-z_]\w*)")
"""Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR:?error}, ... and $VAR ($$ is a literal $)."""
SECRET_KEY = re.compile(r"PASS|SECRET|TOKEN|COOKIE|KEY", re.IGNORECASE)


def env_example() -> dict[str, str]:
    """KEY=VALUE lines of .env.example (comments and blank lines skipped, quotes removed)."""
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip().strip("'\"")
    return values


def strings(node):
    """Every string of the YAML tree (keys and values: compose interpolates both, never comments)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield str(key)
            yield from strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)
    elif isinstance(node, str):
        yield node


def variables_used(node) -> set[str]:
    return {match["name"] or match["bare"]
            for text in strings(node) for match in VARIABLE.finditer(text.replace("$$", ""))}


def interpolate(node, env: dict[str, str]):
    """The YAML tree as compose sees it with `env` as its .env (the forms this file uses)."""
    def value(match: re.Match) -> str:
        name = match["name"] or match["bare"]
        if env.get(name) or (name in env and not (match["op"] or "").startswith(":")):
            return env[name]
        if match["op"] and match["op"].endswith("-"):
            return match["arg"]
        raise KeyError(f"{name} has no value")
    if isinstance(node, dict):
        return {interpolate(key, env): interpolate(item, env) for key, item in node.items()}
    if isinstance(node, list):
        return [interpolate(item, env) for item in node]
    if isinstance(node, str):
        return VARIABLE.sub(value, node.replace("$$", "\0")).replace("\0", "$")
    return node


def compose_file(env: dict[str, str] | None = None) -> dict:
    """docker-compose.yml parsed, and interpolated with `env` if one is given."""
    tree = yaml.safe_load(COMPOSE.read_text())
    return interpolate(tree, env) if env is not None else tree


def compose_services(env: dict[str, str] | None = None) -> dict:
    return compose_file(env)["services"]


def test_the_compose_file_holds_no_literal_password():
    text = COMPOSE.read_text()
    for value in {value for key, value in env_example().items() if SECRET_KEY.search(key)}:
        assert value not in text, f"the local default {value!r} is written into docker-compose.yml"
    assert "guest:guest" not in text
    for service in compose_services().values():
        for key, value in (service.get("environment") or {}).items():
            if SECRET_KEY.search(key):
                assert VARIABLE.fullmatch(value), f"{key}: {value!r} is not a ${{VAR}} from .env"
    markers = {name: f"__{name}__" for name in variables_used(compose_file())}
    for value in strings(compose_file(markers)):  # each variable replaced by its own marker
        for url in re.findall(r"[a-z]+://\S+", value):
            password = urlsplit(url).password
            assert password in (None, *markers.values()), f"a password written into the URL {url!r}"


def test_every_variable_the_compose_file_uses_is_documented_in_env_example():
    used = variables_used(compose_file())
    assert used and used <= set(env_example())


def test_every_variable_of_env_example_is_explained_by_a_comment():
    above = ""
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line and not line.startswith("#"):  # a variable: the block of variables it is in starts under a comment
            assert above.startswith("#"), f"{line.split('=')[0]} has no comment above it"
        else:
            above = line


def test_the_real_env_file_is_kept_out_of_git():
    result = subprocess.run(["git", "check-ignore", "--quiet", ".env"], cwd=ROOT)
    assert result.returncode == 0
    assert subprocess.run(["git", "check-ignore", "--quiet", ".env.example"], cwd=ROOT).returncode == 1


def test_the_camera_and_the_notifier_connect_as_the_app_user_to_the_goalline_vhost():
    env = env_example()
    for name, service in compose_services(env).items():
        if name not in ("camera", "notifier"):
            continue
        url = urlsplit(service["environment"]["AMQP_URL"])
        assert (url.scheme, url.hostname, url.path) == ("amqp", "rabbitmq", f"/{APP_VHOST}")
        assert (url.username, url.password) == (env["GOALLINE_APP_USER"], env["GOALLINE_APP_PASSWORD"])


def test_the_camera_and_the_notifier_are_not_given_the_admin_credentials():
    services = compose_services()
    for name in ("camera", "notifier"):
        assert not any(variable.startswith("RABBITMQ_ADMIN") for variable in variables_used(services[name]))


def test_the_broker_is_provisioned_for_the_goalline_vhost_before_it_starts():
    services = compose_services()
    provision, rabbitmq = services["rabbitmq-provision"], services["rabbitmq"]
    assert rabbitmq["depends_on"]["rabbitmq-provision"]["condition"] == "service_completed_successfully"
    assert provision["environment"]["GOALLINE_VHOST"] == APP_VHOST
    assert provision["command"][-3:-1] == ["/provision/provision_rabbitmq.py", "definitions"]
    written = Path(provision["command"][-1])
    loaded = Path(re.search(r"^load_definitions\s*=\s*(\S+)", DEFINITIONS_CONF.read_text(), re.MULTILINE)[1])
    assert loaded == written

    def mounted(service, source: str) -> str:
        (target,) = [v.split(":")[1] for v in service["volumes"] if v.split(":")[0] == source]
        return target
    assert mounted(provision, "./scripts/provision_rabbitmq.py") == "/provision/provision_rabbitmq.py"
    shared = mounted(provision, "rabbitmq-definitions")
    assert shared == mounted(rabbitmq, "rabbitmq-definitions") == str(written.parent)
    assert mounted(rabbitmq, "./deploy/rabbitmq/90-goalline.conf").startswith("/etc/rabbitmq/conf.d/")


def test_the_broker_ports_are_published_on_the_loopback_interface_only():
    for port in compose_services()["rabbitmq"]["ports"]:
        assert port.startswith("127.0.0.1:")
