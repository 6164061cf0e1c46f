#!/usr/bin/env bash
# The Debian packages Stillwell needs, installed with apt-get when missing (and only then).
#   scripts/system-deps.sh [--check] [run|test]
# `run` (what `make run` needs): make, python3-venv, and Pango and fonts for WeasyPrint, which the
# scheduler uses at start-up to build any monthly report still missing.
# `test` (the default; `make test` and `.ci/run`): all of that, plus PostgreSQL's server binaries,
# Debian's Chromium at /usr/bin/chromium (the browser tests) and poppler-utils (the report tests).
# --check: install nothing; exit 1 if anything is missing.
# Not root and something missing: exits 1 naming the packages and the command to run.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"  # ldconfig, for users whose PATH lacks the sbin directories

usage="usage: scripts/system-deps.sh [--check] [run|test]"
check_only=0
need="test"
for arg in "$@"; do
  case "$arg" in
    --check) check_only=1 ;;
    run | test) need=$arg ;;
    -h | --help) echo "$usage"; exit 0 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done

has_lib() { ldconfig -p 2>/dev/null | grep -F "$1" >/dev/null; }  # not grep -q: SIGPIPE under pipefail

# The packages missing now, one a line.
missing() {
  command -v make >/dev/null 2>&1 || echo make
  python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || echo python3-venv
  has_lib 'libpango-1.0.so.0' || echo libpango-1.0-0
  has_lib 'libpangoft2-1.0.so.0' || echo libpangoft2-1.0-0
  [ -d /usr/share/fonts/truetype/dejavu ] || echo fonts-dejavu-core  # so the PDFs have text to check
  if [ "$need" = test ]; then
    ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || echo postgresql
    [ -x /usr/bin/chromium ] || echo chromium
    { command -v pdftoppm && command -v pdftotext; } >/dev/null 2>&1 || echo poppler-utils
  fi
}

mapfile -t packages < <(missing)
if [ "${#packages[@]}" = 0 ]; then
  echo "system-deps: everything for '$need' is installed; nothing to install"
  exit 0
fi
if [ "$check_only" = 1 ]; then
  echo "system-deps: missing for '$need': ${packages[*]}" >&2
  exit 1
fi
if [ "$(id -u)" != 0 ]; then
  echo "system-deps: missing for '$need': ${packages[*]}" >&2
  echo "system-deps: installing them needs root; run: sudo scripts/system-deps.sh $need" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: missing for '$need': ${packages[*]} (Debian names); no apt-get here, install them by hand" >&2
  exit 1
fi

echo "system-deps: installing ${packages[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${packages[@]}"

mapfile -t still < <(missing)
if [ "${#still[@]}" -gt 0 ]; then
  echo "system-deps: still missing after apt-get install: ${still[*]}" >&2
  exit 1
fi
echo "system-deps: installed ${packages[*]}"
