"""Public pages: what Stillwell is, and the health check for monitoring."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, send_from_directory
from flask.typing import ResponseReturnValue
from sqlalchemy import text

from app.extensions import db
from app.security.access import public

bp = Blueprint("public", __name__)


@bp.get("/")
@public
def home() -> ResponseReturnValue:
    return render_template("public/home.html")


@bp.get("/help")
@public
def help_page() -> ResponseReturnValue:
    """Who is texting and why, how to stop the messages, and where to get urgent help (the HELP text links here)."""
    return render_template("public/help.html")


@bp.get("/favicon.ico")
@public
def favicon() -> ResponseReturnValue:
    """The site's icon where browsers look for it first (pages also link app/static/favicon.svg)."""
    return send_from_directory(
        str(current_app.static_folder), "favicon.ico", mimetype="image/vnd.microsoft.icon", max_age=86400
    )


@bp.get("/healthz")
@public
def healthz() -> ResponseReturnValue:
    """Liveness and database reachability, for load balancers and monitoring."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
