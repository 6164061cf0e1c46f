"""The web app starts, answers its health check, and refuses production without its secrets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]


def test_healthz_reports_database(app):
    client = app.test_client()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_home_and_404_pages(app):
    client = app.test_client()
    assert b"Stillwell" in client.get("/").data
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and b"Page not found" in missing.data


def start_in_production(extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "SECRET_KEY",
            "DATABASE_URL",
            "PUBLIC_BASE_URL",
            "FIELD_ENCRYPTION_KEYS",
            "CONTACT_HASH_KEY",
            "SAFEGUARDING_EMAIL",
            "RELEASE_SIGNING_KEY",
        }
    }
    env.update({"STILLWELL_ENV": "production", **extra})
    return subprocess.run(
        [sys.executable, "-c", "from app import create_app; create_app(); print('started')"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_secrets():
    result = start_in_production({})
    assert result.returncode != 0
    assert "production needs these settings" in result.stderr
    for name in ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "PUBLIC_BASE_URL", "CONTACT_HASH_KEY"):
        assert name in result.stderr


def test_production_refuses_development_keys(tmp_path):
    from config import DEV_SECRET_KEY

    settings = {
        "SECRET_KEY": DEV_SECRET_KEY,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}",
        "PUBLIC_BASE_URL": "https://stillwell.example.org",
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "CONTACT_HASH_KEY": "a-real-secret-hash-key",
        "SAFEGUARDING_EMAIL": "safe@example.org",
        "RELEASE_SIGNING_KEY": "5a" * 32,
    }
    refused = start_in_production(settings)
    assert refused.returncode != 0 and "development key" in refused.stderr
    settings["SECRET_KEY"] = "a-real-long-secret-key-for-production"
    started = start_in_production(settings)
    assert started.returncode == 0, started.stderr
    assert "started" in started.stdout


def test_web_entry_point_does_not_start_a_scheduler():
    code = "import wsgi, threading; print(sorted(t.name for t in threading.enumerate()))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "STILLWELL_ENV": "development"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['MainThread']"
    assert (
        "apscheduler"
        not in subprocess.run(
            [sys.executable, "-c", "import sys, wsgi; print(' '.join(sys.modules))"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
    )
