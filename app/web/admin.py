"""Platform operators: areas, services, users and plans (never answers or outcomes)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
