#!/usr/bin/env python3
"""The project's vhost, users and permissions on RabbitMQ, made from environment variables.

    python scripts/provision_rabbitmq.py definitions FILE   # write them as a definitions file
    python scripts/provision_rabbitmq.py apply [--node N]   # import them into a running broker

Both forms build the same definitions (RabbitMQ's own JSON format for users, vhosts and
permissions). docker-compose.yml runs `definitions` in a one-shot service before the broker
starts and the broker imports the file at boot (`load_definitions`); `apply` hands them to a
broker that is already running (`rabbitmqctl import_definitions`), for a broker installed without
compose and for the tests. Why definitions rather than a script that creates the users once the
broker is up: RabbitMQ imports them at every boot before it opens its client listeners, so the
users exist, with the passwords of the current `.env`, before any client can connect (no race
with the camera and the notifier); no management HTTP API, Erlang cookie or admin password is
needed by any other container; and the file holds salted password hashes, never the passwords.

Environment (docker-compose.yml passes them from `.env`; `.env.example` documents them):
    GOALLINE_APP_USER, GOALLINE_APP_PASSWORD   the camera's and notifier's user (required)
    GOALLINE_VHOST                             their vhost (default: goalline)
    RABBITMQ_ADMIN_USER, RABBITMQ_ADMIN_PASSWORD   an administrator for the management UI
                                               (optional: both or neither)

Standard library only: it runs in a bare python image. Exit 2 with one line on bad settings.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

PREFIX_PATTERN = r"^goalline\."
"""Every exchange and queue of the project starts with `goalline.` (broker/topology.py). RabbitMQ
checks configure (declare, delete), write (publish to an exchange, bind a queue) and read (consume,
purge, bind from an exchange) against the resource's name, so this one pattern gives the app user
exactly the project's objects: not the default exchange (`amq.default`, never published to), not
server-named queues (`amq.gen-...`), not another application's names."""
ADMIN_PATTERN = ".*"
"""The administrator manages the whole vhost from the management UI (look at, purge, move messages)."""
ADMIN_TAGS = ["administrator"]
DEFAULT_VHOST = "goalline"
VHOST_DESCRIPTION = "Goal-line camera emulator: events and notifier queues"
HASHING_ALGORITHM = "rabbit_password_hashing_sha256"
"""RabbitMQ's default (rabbit_password_hashing_sha256): base64(salt + SHA-256(salt + UTF-8 password))."""
SALT_BYTES = 4
"""The salt length RabbitMQ itself uses for this algorithm."""
URL_SAFE = re.compile(r"[A-Za-z0-9._~-]+")
"""RFC 3986 unreserved characters. The app user and password go into AMQP_URL unencoded by
compose's variable substitution, so anything else (`@`, `:`, `/`, `%`, ...) would break the URL."""
DEFINITIONS_MODE = 0o644
"""The broker's own user must read the file (another container, another uid); it holds only salted hashes."""
BAD_SETTINGS = 2


class BadSettings(Exception):
    """A missing or unusable environment variable (exit 2)."""


def password_hash(password: str, salt: bytes | None = None) -> str:
    """The password as RabbitMQ stores it (HASHING_ALGORITHM), with a fresh salt unless one is given.

    >>> password_hash("guest", bytes.fromhex("9648b7a3"))  # the hash a RabbitMQ 3.10 broker exported
    'lki3oy8dzbRsGfBkerA6Og7k+JxwTmEu6aGZKcrwKe6Pi+KP'
    """
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode("utf-8")).digest()).decode("ascii")


def _required(env: dict[str, str], name: str, url_safe: bool = False) -> str:
    value = env.get(name, "")
    if not value:
        raise BadSettings(f"{name} is not set (see .env.example)")
    if url_safe and not URL_SAFE.fullmatch(value):
        raise BadSettings(f"{name} may hold only letters, digits and - . _ ~ (it goes into AMQP_URL as it is)")
    return value


def _user(name: str, password: str, tags: list[str]) -> dict:
    return {"name": name, "password_hash": password_hash(password), "hashing_algorithm": HASHING_ALGORITHM,
            "tags": tags, "limits": {}}


def _permission(user: str, vhost: str, pattern: str) -> dict:
    return {"user": user, "vhost": vhost, "configure": pattern, "write": pattern, "read": pattern}


def definitions(env: dict[str, str]) -> dict:
    """RabbitMQ definitions: the vhost, the app user limited to `goalline.*` names in it, and the
    administrator if one is set. Only these objects: an import adds and updates, never deletes."""
    vhost = env.get("GOALLINE_VHOST") or DEFAULT_VHOST
    app_user = _required(env, "GOALLINE_APP_USER", url_safe=True)
    app_password = _required(env, "GOALLINE_APP_PASSWORD", url_safe=True)
    users = [_user(app_user, app_password, [])]
    permissions = [_permission(app_user, vhost, PREFIX_PATTERN)]
    admin_user, admin_password = env.get("RABBITMQ_ADMIN_USER"), env.get("RABBITMQ_ADMIN_PASSWORD")
    if bool(admin_user) != bool(admin_password):
        raise BadSettings("RABBITMQ_ADMIN_USER and RABBITMQ_ADMIN_PASSWORD go together: set both or neither")
    if admin_user:
        if admin_user == app_user:
            raise BadSettings("RABBITMQ_ADMIN_USER must differ from GOALLINE_APP_USER")
        users.append(_user(admin_user, admin_password, ADMIN_TAGS))
        permissions.append(_permission(admin_user, vhost, ADMIN_PATTERN))
    return {
        "users": users,
        "vhosts": [{"name": vhost, "metadata": {"description": VHOST_DESCRIPTION, "tags": []}}],
        "permissions": permissions,
        "topic_permissions": [], "parameters": [], "global_parameters": [], "policies": [],
        "queues": [], "exchanges": [], "bindings": [],
    }


def write_definitions(env: dict[str, str], path: Path) -> None:
    """The definitions file the broker loads at boot, replaced whole (never seen half written)."""
    text = json.dumps(definitions(env), indent=2)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text + "\n", encoding="utf-8")
    partial.chmod(DEFINITIONS_MODE)
    partial.replace(path)


def apply(env: dict[str, str], node: str | None = None) -> None:
    """Import the definitions into a running broker through rabbitmqctl, on standard input so
    that not even the hashes touch the disk. CalledProcessError if rabbitmqctl fails."""
    node_option = ["--node", node] if node else []
    command = ["rabbitmqctl", "--quiet", *node_option, "import_definitions", "--format", "json"]
    subprocess.run(command, input=json.dumps(definitions(env)), text=True, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="provision_rabbitmq", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    write = sub.add_parser("definitions", help="write the definitions file the broker loads at boot")
    write.add_argument("path", type=Path)
    run = sub.add_parser("apply", help="import the definitions into a running broker with rabbitmqctl")
    run.add_argument("--node", help="the broker's node name (default: rabbitmqctl's)")
    args = parser.parse_args(argv)
    env = dict(os.environ)
    try:
        if args.command == "definitions":
            write_definitions(env, args.path)
            print(f"provision_rabbitmq: wrote {args.path} (vhost {env.get('GOALLINE_VHOST') or DEFAULT_VHOST})")
        else:
            apply(env, args.node)
            print(f"provision_rabbitmq: imported into the broker (vhost {env.get('GOALLINE_VHOST') or DEFAULT_VHOST})")
    except BadSettings as error:
        print(f"provision_rabbitmq: {error}", file=sys.stderr)
        return BAD_SETTINGS
    except subprocess.CalledProcessError as error:
        detail = (error.stderr or "").strip().splitlines()
        print(f"provision_rabbitmq: rabbitmqctl failed: {detail[-1] if detail else error.returncode}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
