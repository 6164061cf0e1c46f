"""Stillwell: independent follow-up after NHS psychological therapy."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask

from config import Config, config_for_environment


def create_app(config: type[Config] | None = None, overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the web application: configuration, extensions, blueprints, error pages, commands."""
    config = config or config_for_environment()
    config.check()
    app = Flask(__name__, instance_relative_config=True, template_folder="../templates")
    app.config.from_object(config)
    if overrides:
        app.config.update(overrides)
    _tune_engine(app)
    _ensure_instance_folder(app)
    configure_logging(app)
    register_request_limits(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_globals(app)
    register_commands(app)
    return app


def _tune_engine(app: Flask) -> None:
    """SQLite: wait for the writer lock instead of failing at once when several processes dispatch."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options["connect_args"] = {"timeout": 60, **options.get("connect_args", {})}
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _ensure_instance_folder(app: Flask) -> None:
    from pathlib import Path

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)


class JsonLineFormatter(logging.Formatter):
    """One JSON object per record, for log shippers: time, level, logger, process, message, exception."""

    def format(self, record: logging.LogRecord) -> str:
        import json
        from datetime import UTC, datetime

        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "process": record.process,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = record.exc_text or self.formatException(record.exc_info)  # redacted (log_redaction)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(app: Flask) -> None:
    """Logs on stderr, plain or one JSON object a line (`LOG_FORMAT=json`); never a phone number or email,
    nor a survey or unsubscribe token (app.security.log_redaction)."""
    import os

    from app.security.log_redaction import redact_logs

    log_format = str(app.config.get("LOG_FORMAT") or os.environ.get("LOG_FORMAT") or "text").lower()
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        if log_format == "json":
            handler.setFormatter(JsonLineFormatter())
        else:
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.WARNING)
    logging.getLogger("stillwell").setLevel(logging.DEBUG if app.debug else logging.INFO)
    # urllib3 logs each request line at DEBUG, query string included: Twilio's message list is
    # filtered by phone number (reconciliation), so never let it log below WARNING.
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    redact_logs()


def register_request_limits(app: Flask) -> None:
    """Request bodies capped before anything parses them (app/security/limits.py)."""
    from app.security.limits import init_request_limits

    init_request_limits(app)


def register_extensions(app: Flask) -> None:
    from app.database import ping_idle_connections, write_ahead_log
    from app.extensions import csrf, db, limiter, login_manager, migrate
    from app.security.fields import init_field_security

    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            ping_idle_connections(engine, float(app.config["DB_PING_AFTER_IDLE_SECONDS"]))
            write_ahead_log(engine)
    migrate.init_app(app, db, directory=str(_migrations_dir()), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    init_field_security(app)
    # Every model registered with the metadata, and the Flask-Login user loader.
    importlib.import_module("app.models")
    importlib.import_module("app.security.sessions").init_sessions(app)
    importlib.import_module("app.security.headers").init_security_headers(app)


def _migrations_dir() -> Any:
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"


def register_blueprints(app: Flask) -> None:
    from app.extensions import csrf
    from app.security.access import refuse_blinded
    from app.web import (
        admin,
        api,
        assess,
        auth,
        evaluate,
        public,
        published,
        reports,
        submit,
        survey,
        unsubscribe,
        webhooks,
    )
    from app.web.account import bp as account_bp

    for blueprint in (
        public.bp,
        auth.bp,
        survey.bp,
        admin.bp,
        submit.bp,
        evaluate.bp,
        published.bp,
        reports.bp,
        assess.bp,
    ):
        app.register_blueprint(blueprint)
    app.register_blueprint(account_bp)
    csrf.exempt(webhooks.bp)  # Twilio signs these requests instead; it cannot send a CSRF token
    app.register_blueprint(webhooks.bp)
    csrf.exempt(unsubscribe.bp)  # the signed link is the proof; one-click (RFC 8058) POSTs carry no form token
    app.register_blueprint(unsubscribe.bp)
    csrf.exempt(api.bp)  # bearer tokens, not cookies: no cross-site request can carry one
    app.register_blueprint(api.bp)
    app.before_request(refuse_blinded)  # blinding (SPEC 8.4): assessors reach their own pages only


def register_errorhandlers(app: Flask) -> None:
    from flask import jsonify, render_template, request

    from app.web import client_pages

    def render_error(error: Any) -> Any:
        code = getattr(error, "code", 500) or 500
        if request.path.startswith("/api/"):  # unknown paths and methods under the API answer in JSON too
            return jsonify(error=getattr(error, "description", None) or "error"), code
        if request.blueprint in client_pages.CLIENT_BLUEPRINTS:  # a respondent's page: their language, kind words
            return client_pages.render_client_error(code), code
        described = getattr(error, "description", None)
        # A description the code gave (abort(404, description=...)) is shown; werkzeug's stock text is not.
        message = described if described and described != getattr(type(error), "description", None) else None
        return render_template("errors/error.html", code=code, message=message), code

    for code in (400, 403, 404, 405, 413, 429, 500):
        app.errorhandler(code)(render_error)


def register_template_globals(app: Flask) -> None:
    """One wording for answers, outcomes and funnel steps on every page (app/domain/labels.py)."""
    from app.domain import labels

    app.jinja_env.globals.update(
        change_labels=labels.CHANGE_LABELS,
        usual_self_labels=labels.USUAL_SELF_LABELS,
        outcome_labels=labels.OUTCOME_LABELS,
        funnel_labels=labels.FUNNEL_LABELS,
        disorder_labels=labels.DISORDER_LABELS,
    )


def register_commands(app: Flask) -> None:
    from app.cli import register

    register(app)
