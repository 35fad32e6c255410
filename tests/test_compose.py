"""docker-compose.yml holds what the services need (no Docker engine here: read, not run)."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_compose_runs_rabbitmq_with_a_healthcheck_and_the_camera_after_it():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    rabbitmq, camera = compose["services"]["rabbitmq"], compose["services"]["camera"]
    assert rabbitmq["healthcheck"]["test"][-2:] == ["-q", "ping"]
    assert camera["depends_on"]["rabbitmq"]["condition"] == "service_healthy"
    assert camera["environment"]["AMQP_URL"].startswith("amqp://")
    assert (ROOT / "Dockerfile").is_file()
