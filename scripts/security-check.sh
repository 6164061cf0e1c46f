#!/usr/bin/env bash
# Security checks for CI and before a release (docs/security.md):
#   1. bandit over the code that runs in production: fails on any HIGH severity finding; medium ones
#      are printed for review (they do not fail the check).
#   2. pip-audit over the pinned requirements (runtime and dev): fails on any known vulnerability. A pin
#      that could not be audited is printed as UNAUDITED; with --strict it fails the check too.
#
# pip-audit asks PyPI's per-release JSON API (/pypi/NAME/VERSION/json). Where that endpoint is not
# served (some registry mirrors only serve /pypi/NAME/json), a pin that is the project's latest release
# is checked against that project page's `vulnerabilities` list, which PyPI fills for the latest
# release; any other pin is reported as unaudited (upgrade it to the latest release to audit it here).
#
# Usage: scripts/security-check.sh [--strict]   (from the repository root; needs network access to PyPI)
# Exit status: 0 clean, 1 a high bandit finding, a known vulnerability, or (--strict) an unaudited pin.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${VENV:-.venv}/bin"
strict=0
[ "${1:-}" = "--strict" ] && strict=1
status=0

echo "== bandit (fails on high severity)"
if ! "$BIN/bandit" -r app scheduler config.py wsgi.py gunicorn.conf.py --quiet --severity-level high; then
  status=1
fi
echo "== bandit medium severity findings (for review; not failing)"
"$BIN/bandit" -r app scheduler config.py wsgi.py gunicorn.conf.py --quiet --severity-level medium --exit-zero \
  --format custom --msg-template '{relpath}:{line}: {test_id} [{severity}/{confidence}] {msg}'

echo "== pip-audit (requirements.txt, requirements-dev.txt)"
report=$(mktemp /tmp/stillwell-pip-audit.XXXXXX.json)
trap 'rm -f "$report"' EXIT
# Exit 1 means vulnerabilities were found; the JSON report says which, so judge from it below.
"$BIN/pip-audit" -r requirements.txt -r requirements-dev.txt --no-deps --disable-pip \
  --progress-spinner off --format json --output "$report" --timeout 30 2>/dev/null || true
if [ ! -s "$report" ]; then
  echo "pip-audit produced no report (is PyPI reachable?)" >&2
  exit 1
fi
if ! STRICT="$strict" "$BIN/python" - "$report" <<'PY'; then
"""Judge pip-audit's JSON report; audit skipped pins that are their project's latest release."""

import json
import os
import sys
import urllib.request

with open(sys.argv[1], encoding="utf-8") as handle:
    report = json.load(handle)
vulnerable, unaudited, audited, fallback = [], [], 0, 0
for dependency in report["dependencies"]:
    name = dependency["name"]
    if "skip_reason" not in dependency:
        audited += 1
        vulnerable += [(name, dependency["version"], v["id"], v.get("fix_versions", [])) for v in dependency["vulns"]]
        continue
    # --no-deps with exact pins: the version is the one in the skip reason "name (version)".
    version = dependency["skip_reason"].rsplit("(", 1)[-1].rstrip(")")
    try:
        with urllib.request.urlopen(f"https://pypi.org/pypi/{name}/json", timeout=30) as response:  # noqa: S310
            project = json.load(response)
    except OSError as error:
        unaudited.append((name, version, f"PyPI unreachable: {error}"))
        continue
    latest = project["info"]["version"]
    if latest != version or "vulnerabilities" not in project:
        unaudited.append((name, version, f"not the latest release ({latest}); per-release API unavailable"))
        continue
    fallback += 1
    vulnerable += [(name, version, v["id"], v.get("fixed_in", [])) for v in project["vulnerabilities"]
                   if not v.get("withdrawn")]
print(f"audited {audited + fallback} pins ({audited} by pip-audit, {fallback} against the latest-release record)")
for name, version, vuln_id, fixes in vulnerable:
    print(f"VULNERABLE {name}=={version}: {vuln_id} (fixed in {', '.join(fixes) or 'no release yet'})")
for name, version, reason in unaudited:
    print(f"UNAUDITED {name}=={version}: {reason}")
if vulnerable or (unaudited and os.environ.get("STRICT") == "1"):
    sys.exit(1)
print("no known vulnerabilities" + (f" ({len(unaudited)} pin(s) unaudited: see above)" if unaudited else ""))
PY
  status=1
fi

if [ "$status" -ne 0 ]; then
  echo "security check FAILED" >&2
else
  echo "security check passed"
fi
exit "$status"
