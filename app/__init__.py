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
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
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


def configure_logging(app: Flask) -> None:
    """Plain structured-enough logs on stderr; never a phone number or email (callers log hashes)."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("stillwell").setLevel(logging.DEBUG if app.debug else logging.INFO)


def register_extensions(app: Flask) -> None:
    from app.extensions import csrf, db, limiter, login_manager, migrate
    from app.security.fields import init_field_security

    db.init_app(app)
    migrate.init_app(app, db, directory=str(_migrations_dir()), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    init_field_security(app)
    # Every model registered with the metadata, and the Flask-Login user loader.
    importlib.import_module("app.models")
    importlib.import_module("app.security.sessions")


def _migrations_dir() -> Any:
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"


def register_blueprints(app: Flask) -> None:
    from app.extensions import csrf
    from app.web import admin, api, auth, evaluate, public, published, reports, submit, survey, unsubscribe, webhooks

    for blueprint in (public.bp, auth.bp, survey.bp, admin.bp, submit.bp, evaluate.bp, published.bp, reports.bp):
        app.register_blueprint(blueprint)
    csrf.exempt(webhooks.bp)  # Twilio signs these requests instead; it cannot send a CSRF token
    app.register_blueprint(webhooks.bp)
    csrf.exempt(unsubscribe.bp)  # the signed link is the proof; one-click (RFC 8058) POSTs carry no form token
    app.register_blueprint(unsubscribe.bp)
    csrf.exempt(api.bp)  # bearer tokens, not cookies: no cross-site request can carry one
    app.register_blueprint(api.bp)


def register_errorhandlers(app: Flask) -> None:
    from flask import render_template

    def render_error(error: Any) -> tuple[str, int]:
        code = getattr(error, "code", 500) or 500
        return render_template("errors/error.html", code=code), code

    for code in (400, 403, 404, 405, 429, 500):
        app.errorhandler(code)(render_error)


def register_commands(app: Flask) -> None:
    from app.cli import register

    register(app)
