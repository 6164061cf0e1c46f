"""Production settings: each required secret refused when missing, no debugger, plain error pages, safe logs.

tests/integration/test_app.py covers "all secrets missing" and the development keys; these cover each
required secret on its own, the debug switch, what a crash shows a visitor, JSON logs and the gunicorn
access log's masking of survey and unsubscribe tokens. Each app starts in its own process, as it would in
production (the settings are read from the environment at import time).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = (
    "SECRET_KEY",
    "DATABASE_URL",
    "PUBLIC_BASE_URL",
    "FIELD_ENCRYPTION_KEYS",
    "CONTACT_HASH_KEY",
    "SAFEGUARDING_EMAIL",
    "RELEASE_SIGNING_KEY",
)

# In the child: build the production app, add a view that fails with a secret in its message, request it.
CRASH_SCRIPT = r"""
import json, sys
from app import create_app
app = create_app()

@app.get("/test-crash")
def crash():
    raise RuntimeError("secret-detail-4711 in a failing view")

client = app.test_client()
crashed = client.get("/test-crash")
missing = client.get("/no-such-page")
print(json.dumps({
    "debug": app.debug, "testing": app.testing, "propagate": app.config["PROPAGATE_EXCEPTIONS"],
    "status": crashed.status_code, "body": crashed.get_data(as_text=True),
    "missing_status": missing.status_code, "missing_body": missing.get_data(as_text=True),
}))
"""


def production_settings(tmp_path: Path) -> dict[str, str]:
    """A complete, valid production environment (SQLite file, fresh keys)."""
    return {
        "SECRET_KEY": "a-real-long-secret-key-for-production-tests",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'production.db'}",
        "PUBLIC_BASE_URL": "https://stillwell.example.org",
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "CONTACT_HASH_KEY": "a-real-contact-hash-key",
        "SAFEGUARDING_EMAIL": "safeguarding@example.org",
        "RELEASE_SIGNING_KEY": os.urandom(32).hex(),
    }


def run_production(settings: dict[str, str], code: str) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh interpreter with STILLWELL_ENV=production and exactly these settings."""
    env = {key: value for key, value in os.environ.items() if key not in {*REQUIRED, "FLASK_DEBUG", "LOG_FORMAT"}}
    env.update({"STILLWELL_ENV": "production", **settings})
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=90, check=False
    )


STARTS = "from app import create_app; create_app(); print('started')"


@pytest.mark.parametrize("missing", ["SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "PUBLIC_BASE_URL", "RELEASE_SIGNING_KEY"])
def test_production_refuses_to_start_without_each_secret(tmp_path, missing):
    settings = production_settings(tmp_path)
    del settings[missing]
    result = run_production(settings, STARTS)
    assert result.returncode != 0
    assert f"production needs these settings: {missing}" in result.stderr
    assert "started" not in result.stdout
    settings[missing] = ""  # set but empty is as good as missing
    assert run_production(settings, STARTS).returncode != 0


def test_production_refuses_the_debugger(tmp_path):
    settings = production_settings(tmp_path)
    refused = run_production({**settings, "FLASK_DEBUG": "1"}, STARTS)
    assert refused.returncode != 0 and "FLASK_DEBUG" in refused.stderr
    started = run_production({**settings, "FLASK_DEBUG": "0"}, STARTS)
    assert started.returncode == 0, started.stderr


def test_a_crash_in_production_shows_a_plain_page_and_logs_the_traceback(tmp_path):
    result = run_production({**production_settings(tmp_path), "LOG_FORMAT": "json"}, CRASH_SCRIPT)
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert (outcome["debug"], outcome["testing"], outcome["propagate"]) == (False, False, False)
    assert outcome["status"] == 500
    assert "Sorry, something went wrong" in outcome["body"]
    for leak in ("Traceback", "secret-detail-4711", "RuntimeError", 'File "', "werkzeug", "test-crash"):
        assert leak not in outcome["body"]
    assert outcome["missing_status"] == 404 and "Page not found" in outcome["missing_body"]
    # The operator gets the traceback, in the log, as one JSON object a line.
    records = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    crash = [record for record in records if "secret-detail-4711" in record.get("exception", "")]
    assert crash, result.stderr
    assert crash[0]["level"] == "ERROR" and "Traceback" in crash[0]["exception"]
    assert {"time", "level", "logger", "process", "message"} <= set(crash[0])


def load_gunicorn_conf() -> ModuleType:
    spec = importlib.util.spec_from_file_location("stillwell_gunicorn_conf", ROOT / "gunicorn.conf.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("raw_uri", "logged"),
    [
        ("/s/AbC123-_xyzTOKEN", "/s/[redacted]"),
        ("/s/AbC123-_xyzTOKEN?utm=1", "/s/[redacted]"),
        ("/u/UnSubTOKEN.sig", "/u/[redacted]"),
        ("/u/UnSubTOKEN.sig/resume", "/u/[redacted]/resume"),
        ("/webhooks/twilio/sms?x=1", "/webhooks/twilio/sms"),
        ("/healthz", "/healthz"),
    ],
)
def test_gunicorn_access_log_never_holds_a_token_or_query(raw_uri, logged):
    from gunicorn.config import Config

    conf = load_gunicorn_conf()
    assert conf.logger_class is conf.MaskingLogger
    config = Config()
    config.set("accesslog", "-")
    logger = conf.MaskingLogger(config)
    path, _, query = raw_uri.partition("?")
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": raw_uri,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": f"https://stillwell.example.org{raw_uri}",
    }
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])
    request = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])])
    atoms = logger.atoms(response, request, environ, timedelta(milliseconds=3))
    assert atoms["U"] == logged
    assert atoms["r"] == f"GET {logged} HTTP/1.1"
    line = conf.access_log_format % logger.atoms_wrapper_class(atoms)
    assert "TOKEN" not in line and "utm" not in line and "x=1" not in line
    assert all("TOKEN" not in str(value) for value in atoms.values())


def test_gunicorn_workers_hand_the_interpreter_lock_over_every_millisecond(monkeypatch):
    """A webhook thread waits for the lock at each database round trip while a view computes beside it in
    the same worker: 1 ms, not Python's 5 ms (bench/switch_interval.py); GUNICORN_SWITCH_INTERVAL changes it."""
    before = sys.getswitchinterval()
    try:
        monkeypatch.delenv("GUNICORN_SWITCH_INTERVAL", raising=False)
        load_gunicorn_conf().post_worker_init(SimpleNamespace())
        assert sys.getswitchinterval() == pytest.approx(0.001)
        monkeypatch.setenv("GUNICORN_SWITCH_INTERVAL", "0.002")
        load_gunicorn_conf().post_worker_init(SimpleNamespace())
        assert sys.getswitchinterval() == pytest.approx(0.002)
    finally:
        sys.setswitchinterval(before)


def test_production_refuses_a_release_signing_key_that_is_not_32_bytes(tmp_path):
    refused = run_production({**production_settings(tmp_path), "RELEASE_SIGNING_KEY": "too-short"}, STARTS)
    assert refused.returncode != 0 and "RELEASE_SIGNING_KEY must be 32 random bytes" in refused.stderr
