"""A RabbitMQ vhost of a benchmark's own, so its events never land in the real consumer queues."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def scratch_vhost(name: str) -> Iterator[str]:
    """Make vhost `name` (rabbitmqctl; guest allowed everything in it), yield its AMQP URL, delete it."""
    subprocess.run(["rabbitmqctl", "-q", "add_vhost", name], capture_output=True)
    subprocess.run(["rabbitmqctl", "-q", "set_permissions", "-p", name, "guest", ".*", ".*", ".*"], check=True,
                   capture_output=True)
    try:
        yield f"amqp://guest:guest@localhost:5672/{name}"
    finally:
        subprocess.run(["rabbitmqctl", "-q", "delete_vhost", name], capture_output=True)
