#!/usr/bin/env bash
# Set up, then play the demo match end to end: physics, two goal-line cameras rendered,
# the ball found in the pixels, Law 10 decisions, CloudEvents out (to demo-events.jsonl too),
# and a summary against the physics' truth.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m camera_sim run scenarios/demo_match.yaml --no-publish --events-out demo-events.jsonl "$@"
