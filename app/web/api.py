"""The JSON API under /api/v1/, with bearer tokens, described at /api/v1/openapi.json."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
