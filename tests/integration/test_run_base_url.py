"""`make run` records the base URL it serves on, so links printed from a second shell use its port (issue 14)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import config

ROOT = Path(__file__).resolve().parents[2]


def test_a_recorded_base_url_is_read_and_junk_is_not(tmp_path: Path) -> None:
    recorded = tmp_path / "run-base-url"
    assert config.recorded_base_url(recorded) is None  # nothing recorded: the default applies
    recorded.write_text("http://127.0.0.1:5077\n")
    assert config.recorded_base_url(recorded) == "http://127.0.0.1:5077"
    recorded.write_text("not a url")
    assert config.recorded_base_url(recorded) is None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_run_dev_records_its_port_for_a_second_shell_and_forgets_it_on_exit(tmp_path: Path) -> None:
    record = ROOT / "instance" / "run-base-url"
    if record.exists():  # a `make run` of this checkout is running: leave it alone
        pytest.skip("instance/run-base-url exists: a make run of this checkout is running")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "PUBLIC_BASE_URL"}
    env.update(PORT=str(port), DATABASE_URL=f"sqlite:///{tmp_path}/run.db", STILLWELL_ENV="development")
    server = subprocess.Popen(
        ["bash", str(ROOT / "scripts" / "run-dev.sh")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not record.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert record.read_text().strip() == f"http://127.0.0.1:{port}"
        second_shell = {k: v for k, v in env.items() if k != "PORT"}
        printed = subprocess.run(
            [sys.executable, "-c", "import config; print(config.DevelopmentConfig.PUBLIC_BASE_URL)"],
            cwd=ROOT,
            env=second_shell,
            capture_output=True,
            text=True,
            check=True,
        )
        assert printed.stdout.strip() == f"http://127.0.0.1:{port}"
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
    assert not record.exists()  # stopped: a later shell falls back to the default (or .env)
