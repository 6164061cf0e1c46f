"""Safeguarding: alerts raised by risk messages, their emails, and the evaluators' review queues."""

from app.services.safeguarding import review
from app.services.safeguarding.alerts import raise_alert, raise_alert_for, send_pending_alerts

__all__ = ["raise_alert", "raise_alert_for", "review", "send_pending_alerts"]
