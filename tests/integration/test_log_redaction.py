"""No log holds a survey or unsubscribe token: werkzeug's dev server (`make run`), gunicorn's access and error
logs, and the app's own log lines all write `/s/[redacted]` and `/u/[redacted]`."""

from __future__ import annotations

import importlib.util
import io
import json
import logging
import os
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest
from flask import Flask
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[2]
SURVEY_TOKEN = "SurveyTOKENxyz123-_abc"
UNSUBSCRIBE_TOKEN = "UnsubTOKEN.signature"


def fetch(url: str, method: str = "GET") -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=10) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as refused:
        return int(refused.code)


def test_werkzeugs_dev_server_logs_the_request_without_its_token(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="werkzeug")
    server = make_server("127.0.0.1", 0, app, threaded=True)  # the server `flask run` (scripts/run-dev.sh) uses
    thread = threading.Thread(target=server.serve_forever, name="dev-server", daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        fetch(f"{base}/s/{SURVEY_TOKEN}?from=email")
        fetch(f"{base}/u/{UNSUBSCRIBE_TOKEN}/resume", method="POST")
    finally:
        server.shutdown()
        thread.join(timeout=10)
    ansi = re.compile(r"\x1b\[[0-9;]*m")  # werkzeug colours the request line of a 404
    lines = [ansi.sub("", record.getMessage()) for record in caplog.records if record.name == "werkzeug"]
    assert any('"GET /s/[redacted]?from=email HTTP/1.1"' in line for line in lines), lines
    assert any('"POST /u/[redacted]/resume HTTP/1.1"' in line for line in lines), lines
    assert "TOKEN" not in caplog.text


def load_gunicorn_conf() -> ModuleType:
    spec = importlib.util.spec_from_file_location("stillwell_gunicorn_conf_redaction", ROOT / "gunicorn.conf.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gunicorns_access_and_error_logs_never_hold_a_token() -> None:
    from gunicorn.config import Config

    conf = load_gunicorn_conf()
    config = Config()
    config.set("accesslog", "-")
    config.set("access_log_format", conf.access_log_format)
    logger = conf.MaskingLogger(config)
    written = io.StringIO()
    handler = logging.StreamHandler(written)
    for log in (logger.access_log, logger.error_log):
        log.addHandler(handler)
    try:
        raw_uri = f"/s/{SURVEY_TOKEN}?utm=1"
        environ = {
            "REQUEST_METHOD": "GET",
            "RAW_URI": raw_uri,
            "PATH_INFO": f"/s/{SURVEY_TOKEN}",
            "QUERY_STRING": "utm=1",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
        }
        response = SimpleNamespace(status="200 OK", sent=10, headers=[], status_code=200)
        request = SimpleNamespace(headers=[], uri=raw_uri, path=environ["PATH_INFO"], method="GET")
        logger.access(response, request, environ, timedelta(milliseconds=3))
        # What gunicorn's workers write when a request fails (gthread: "Error handling request %s").
        logger.error("Error handling request %s", f"/u/{UNSUBSCRIBE_TOKEN}/resume")
        try:
            raise OSError(f"client went away during /s/{SURVEY_TOKEN}")
        except OSError:
            logger.exception("Error handling request")
    finally:
        for log in (logger.access_log, logger.error_log):
            log.removeHandler(handler)
    text = written.getvalue()
    assert '"GET /s/[redacted] HTTP/1.1" 200' in text
    assert "Error handling request /u/[redacted]/resume" in text
    assert "client went away during /s/[redacted]" in text
    assert "TOKEN" not in text and "utm" not in text


# In a fresh interpreter the app installs its own stderr handler, as under gunicorn or the scheduler.
APP_LOG_SCRIPT = r"""
import logging
from app import create_app
create_app()
logging.getLogger("stillwell.survey").warning("survey link %s sent", "https://stillwell.example.org/s/SurveyTOKENxyz")
logging.getLogger("stillwell.unsubscribe").warning("unsubscribed through /u/UnsubTOKEN.sig")
try:
    raise RuntimeError("failed on /s/SurveyTOKENxyz")
except RuntimeError:
    logging.getLogger("stillwell").exception("request failed")
print("logged")
"""


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_the_apps_own_log_lines_never_hold_a_token(tmp_path: Path, log_format: str) -> None:
    env = {key: value for key, value in os.environ.items() if key not in {"STILLWELL_ENV", "FLASK_DEBUG"}}
    env.update({"LOG_FORMAT": log_format, "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}"})
    result = subprocess.run(
        [sys.executable, "-c", APP_LOG_SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert result.returncode == 0 and "logged" in result.stdout, result.stderr
    assert "TOKEN" not in result.stderr, result.stderr
    assert "survey link https://stillwell.example.org/s/[redacted] sent" in result.stderr
    assert "unsubscribed through /u/[redacted]" in result.stderr
    assert "failed on /s/[redacted]" in result.stderr
    if log_format == "json":
        records = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
        assert any("failed on /s/[redacted]" in record.get("exception", "") for record in records)
