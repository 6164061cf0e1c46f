"""gunicorn settings for the Stillwell web app: `gunicorn -c gunicorn.conf.py wsgi:app` (docs/operations.md).

Every setting can be changed from the environment, so the Procfile, the systemd unit and a container share
this file. The access log never holds a survey or unsubscribe token (`/s/<token>`, `/u/<token>`: a token
is a key to someone's survey) nor a query string: `MaskingLogger` writes them `/s/[redacted]` (the one rule
in app/security/log_redaction.py) and drops queries before anything is written; its error log is redacted too.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gunicorn.glogging import Logger

# gunicorn reads this file before it changes to the app's folder: make the app's package importable.
_ROOT = str(Path(__file__).resolve().parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from app.security.log_redaction import add_filter, redact_tokens  # noqa: E402

# Where to listen: GUNICORN_BIND wins, else PORT (as Heroku-like platforms set it) on every interface.
_port = os.environ.get("PORT")
bind = os.environ.get("GUNICORN_BIND") or (f"0.0.0.0:{_port}" if _port else "127.0.0.1:8000")
# Threads in a few workers: on a 2-core machine 2 workers x 4 threads answered 300 webhooks/s without an
# error where 3 sync workers timed out (bench/webhook_load.py); the app keeps no per-process request state.
workers = int(os.environ.get("WEB_CONCURRENCY") or os.cpu_count() or 2)
worker_class = os.environ.get("GUNICORN_WORKER_CLASS") or "gthread"
threads = int(os.environ.get("GUNICORN_THREADS") or 4)
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 30)
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT") or 30)
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE") or 5)
# Recycling workers bounds the damage of a leak; 0 (the default) keeps them, which the soak test relies on.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS") or 0)
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER") or 0)
# Only a proxy on this machine may say which scheme the client used (Twilio signatures never use it).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS") or "127.0.0.1"
proc_name = "stillwell-web"
wsgi_app = "wsgi:app"
preload_app = False  # each worker builds its own app and database pool after the fork
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None  # an empty value turns the access log off
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL") or "info"
# Method, path (masked), protocol, status, bytes, milliseconds, process: no query string, referrer or agent.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms %(p)s'


def mask_path(text: str) -> str:
    """The text with every survey or unsubscribe token replaced by `[redacted]` and any query string dropped."""
    return redact_tokens(text.split("?", 1)[0])


class MaskingLogger(Logger):  # type: ignore[misc]  (gunicorn ships no type hints)
    """gunicorn's logger, with tokens masked in every access-log atom and error-log line; JSON lines when
    LOG_FORMAT=json."""

    def setup(self, cfg: Any) -> None:
        """gunicorn's set-up, then the token filter on its error and access loggers (`Error handling /s/...`)."""
        super().setup(cfg)
        add_filter(self.error_log)
        add_filter(self.access_log)

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        """gunicorn's atoms with paths masked, the query string and referrer removed."""
        atoms = super().atoms(resp, req, environ, request_time)
        masked: dict[str, Any] = {}
        for key, value in atoms.items():
            if key in {"q", "f", "{referer}i", "{query_string}e"}:
                value = "-"
            elif isinstance(value, str) and ("/s/" in value or "/u/" in value or "?" in value):
                value = mask_path(value) if key != "r" else " ".join(mask_path(part) for part in value.split(" "))
            masked[key] = value
        return masked

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        """One access-log line; a JSON object when LOG_FORMAT=json, else `access_log_format`."""
        if (os.environ.get("LOG_FORMAT") or "").lower() != "json":
            super().access(resp, req, environ, request_time)
            return
        if not self.access_log_enabled:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        entry = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "level": "INFO",
            "logger": "gunicorn.access",
            "process": os.getpid(),
            "method": atoms["m"],
            "path": atoms["U"],
            "status": atoms["s"],
            "bytes": atoms["B"],
            "duration_ms": atoms["M"],
            "remote": atoms["h"],
        }
        self.access_log.info(json.dumps(entry))


logger_class = MaskingLogger


#: How long (seconds) a thread holding the interpreter lock keeps it while another thread waits. A webhook
#: thread gives the lock up at every database call and waits up to this long to get it back while a
#: dashboard view computes in another thread of the same worker; Python's 5 ms made a reply's dozen
#: round trips wait for the views (bench/dashboard_fresh.py). 1 ms costs the views little.
switch_interval = float(os.environ.get("GUNICORN_SWITCH_INTERVAL") or 0.001)


def post_worker_init(worker: Any) -> None:
    """Give waiting request threads the interpreter lock sooner (`switch_interval`), and load the statistics
    and chart libraries in the background, so no evaluator waits seconds for the first dashboard of a new
    worker (the CLI and scheduler never load them unless they need them)."""
    import threading

    sys.setswitchinterval(switch_interval)

    def warm_up() -> None:
        from app.domain.statistics import load_libraries

        load_libraries()
        import app.services.statistics.charts  # noqa: F401  (matplotlib)

    threading.Thread(target=warm_up, name="warm-up", daemon=True).start()
