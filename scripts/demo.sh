#!/usr/bin/env bash
# Set up, then play the demo match end to end: two goal-line cameras rendered, the ball found in
# the pixels, Law 10 decisions published to RabbitMQ and shown by the notifier as they arrive.
#   broker: $AMQP_URL, else localhost:5672; if none answers, it starts one (docker compose, else a
#   locally installed rabbitmq-server); if none can be had, it says so and runs without a broker,
#   the notifier reading the camera's events straight from a pipe.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
PY=.venv/bin/python
URL_GIVEN=${AMQP_URL:-}
export AMQP_URL=${AMQP_URL:-amqp://guest:guest@localhost:5672/%2F}
SCENARIO=scenarios/demo_match.yaml

broker_answers() {
  "$PY" -c 'import os, pika; pika.BlockingConnection(pika.URLParameters(os.environ["AMQP_URL"])).close()' 2>/dev/null
}

wait_for_broker() {
  for _ in $(seq 1 30); do broker_answers && return 0; sleep 2; done
  return 1
}

start_broker() {
  if docker compose version >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    echo "demo: starting RabbitMQ with docker compose"
    # The compose broker has no guest user: its app user and vhost come from .env (docs/deployment.md).
    [ -f .env ] || cp .env.example .env
    local url=$AMQP_URL
    [ -n "$URL_GIVEN" ] || AMQP_URL=$(set -a && . ./.env && echo "amqp://${GOALLINE_APP_USER}:${GOALLINE_APP_PASSWORD}@localhost:5672/goalline")
    docker compose up -d rabbitmq && wait_for_broker && return 0
    AMQP_URL=$url
  fi
  if command -v rabbitmq-server >/dev/null 2>&1; then
    echo "demo: starting the local rabbitmq-server"
    (rabbitmq-server -detached >/dev/null 2>&1 || true) && wait_for_broker && return 0
  fi
  return 1
}

if broker_answers || start_broker; then
  echo "demo: broker found; notifications below as they arrive"
  # A demo starts afresh: events of earlier demo runs still queued for this match are dropped.
  "$PY" -c 'import os, pika
c = pika.BlockingConnection(pika.URLParameters(os.environ["AMQP_URL"])); ch = c.channel()
try: ch.queue_purge("goalline.notify.match.rovers-united")
except pika.exceptions.ChannelClosedByBroker: pass  # no such queue yet
c.close()'
  # ... and with a fresh record of handled events: a replay makes the same decisions with the same
  # ids, which a notifier remembering earlier demo runs would (rightly) drop as duplicates.
  NOTIFIER_STATE=$(mktemp -d)
  "$PY" -m consumers notify --match rovers-united --state-dir "$NOTIFIER_STATE" &
  NOTIFIER=$!
  trap 'kill -TERM $NOTIFIER 2>/dev/null || true; rm -rf "$NOTIFIER_STATE"' EXIT
  sleep 1
  "$PY" -m camera_sim run "$SCENARIO" --events-out demo-events.jsonl >/dev/null "$@"
  sleep 1
else
  echo "demo: no RabbitMQ could be reached or started: running the same match without a broker"
  "$PY" -m camera_sim run "$SCENARIO" --no-publish --events-out demo-events.jsonl "$@" \
    | "$PY" -m consumers notify --events-in -
fi
