"""Independent evaluators: the dashboard, pseudonymised responses, the safeguarding queue."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("evaluate", __name__, url_prefix="/evaluate")
