"""Releases: created by evaluators, public at /published/<id> with CSV and JSON downloads."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("published", __name__)
