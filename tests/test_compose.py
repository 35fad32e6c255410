"""docker-compose.yml against the Compose Specification (no Docker engine here: validated, not run)."""

import shutil
import subprocess
import sys
from pathlib import Path

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
