"""Signing in and out, the TOTP second factor and its enrolment."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("auth", __name__)
