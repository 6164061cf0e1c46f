"""Service staff: submit and withdraw discharge lists, see submission metadata (never answers)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("submit", __name__, url_prefix="/submit")
