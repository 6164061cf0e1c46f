"""Commissioners: their own area's monthly reports, to read and download."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")
