#!/usr/bin/env bash
# `make run`: the web app on http://127.0.0.1:5000 and the scheduler process beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m scheduler &
scheduler_pid=$!
trap 'kill "$scheduler_pid" 2>/dev/null || true' EXIT INT TERM
echo "Stillwell: web on http://127.0.0.1:${PORT:-5000} (scheduler pid $scheduler_pid); Ctrl-C stops both."
.venv/bin/flask --app wsgi run --host 127.0.0.1 --port "${PORT:-5000}"
