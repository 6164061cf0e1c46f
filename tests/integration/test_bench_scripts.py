"""Every benchmark script still imports what it uses: `--help` runs (a refactor once broke three unseen)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
SCRIPTS = sorted(path.name for path in BENCH.glob("*.py") if path.name != "cohort.py")  # cohort.py: a library


def test_every_script_is_listed() -> None:
    assert {
        "dashboard_fresh.py",
        "dispatch_tick.py",
        "intake_refusal.py",
        "stats_summary.py",
        "webhook_load.py",
    } <= set(SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS)
def test_the_bench_script_loads_and_explains_itself(script: str) -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH / script), "--help"], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "usage:" in result.stdout
