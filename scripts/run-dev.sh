#!/usr/bin/env bash
# `make run`: the web app on http://127.0.0.1:${PORT:-5000} and the scheduler process beside it.
# While it runs, instance/run-base-url holds the base URL it serves on, so that commands run from another shell
# (`flask demo reply`, `flask dispatch tick`...) print links to this port too (config.py reads it in development).
set -euo pipefail
cd "$(dirname "$0")/.."
port="${PORT:-5000}"
base_url="${PUBLIC_BASE_URL:-http://127.0.0.1:$port}"
mkdir -p instance
printf '%s\n' "$base_url" > instance/run-base-url
PUBLIC_BASE_URL="$base_url" .venv/bin/python -m scheduler &
scheduler_pid=$!
trap 'kill "$scheduler_pid" 2>/dev/null || true; rm -f instance/run-base-url' EXIT INT TERM
echo "Stillwell: web on $base_url (scheduler pid $scheduler_pid); Ctrl-C stops both."
PUBLIC_BASE_URL="$base_url" .venv/bin/flask --app wsgi run --host 127.0.0.1 --port "$port"
