#!/usr/bin/env bash
# A throw-away PostgreSQL server for tests: `scripts/pg-temp.sh start DIR` prints its URL;
# `scripts/pg-temp.sh stop DIR` stops it and removes DIR. PostgreSQL refuses to run as root, so
# as root the server runs as the `postgres` user.
set -euo pipefail
action=${1:?usage: pg-temp.sh start|stop DIR}
dir=${2:?usage: pg-temp.sh start|stop DIR}

bindir=""
for candidate in /usr/lib/postgresql/*/bin; do
  [ -x "$candidate/pg_ctl" ] && bindir=$candidate
done
if [ -z "$bindir" ]; then
  echo "pg-temp: PostgreSQL server binaries not found; install them with: apt-get install -y postgresql" >&2
  exit 1
fi

as_owner() {
  if [ "$(id -u)" = 0 ]; then
    su postgres -s /bin/sh -c "$*"
  else
    sh -c "$*"
  fi
}

case "$action" in
  start)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_owner "'$bindir/initdb' -D '$dir/data' -U postgres -A trust --no-sync -E UTF8 >'$dir/initdb.log' 2>&1"
    as_owner "'$bindir/pg_ctl' -D '$dir/data' -l '$dir/server.log' -w start \
      -o \"-p $port -k '$dir' -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200\"" >/dev/null
    as_owner "'$bindir/createdb' -h 127.0.0.1 -p $port -U postgres stillwell_test"
    echo "postgresql://postgres@127.0.0.1:$port/stillwell_test"
    ;;
  stop)
    if [ -d "$dir/data" ]; then
      as_owner "'$bindir/pg_ctl' -D '$dir/data' -m fast -w stop" >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: pg-temp.sh start|stop DIR" >&2
    exit 2
    ;;
esac
