#!/usr/bin/env bash
# `make test`: the whole suite on SQLite and on a real PostgreSQL server.
# Uses TEST_POSTGRES_URL when given (CI starts its own server); otherwise starts a temporary one.
set -euo pipefail
cd "$(dirname "$0")/.."
pg_dir=""
cleanup() { if [ -n "$pg_dir" ]; then scripts/pg-temp.sh stop "$pg_dir"; fi; }
trap cleanup EXIT
if [ -z "${TEST_POSTGRES_URL:-}" ]; then
  pg_dir=$(mktemp -d /tmp/stillwell-pg.XXXXXX)
  chmod 755 "$pg_dir"
  TEST_POSTGRES_URL=$(scripts/pg-temp.sh start "$pg_dir")
  export TEST_POSTGRES_URL
fi
export REQUIRE_POSTGRES=1
set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [ "$status" = 5 ]; then
  echo "make test: no tests were collected; that is a failure" >&2
  exit 1
fi
exit "$status"
