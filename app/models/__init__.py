"""The data model, one module per aggregate."""

from app.models.assessment import AssessmentCall, AssessmentSample, CallStatus, CriteriaStatus
from app.models.audit import AuditEvent
from app.models.checkin import CheckIn, CheckInStatus
from app.models.contact import ContactPoint, OptEvent
from app.models.episode import Client, Episode
from app.models.message import Channel, InboundMessage, MessagePurpose, MessageStatus, OutboundMessage
from app.models.organisation import Area, Service
from app.models.outcome import OutcomeFact, OutcomeStale, OutcomeState, OutcomeTotal
from app.models.publication import MonthlyReport, Release
from app.models.submission import Submission
from app.models.user import ApiToken, Role, User

__all__ = [
    "ApiToken",
    "Area",
    "AssessmentCall",
    "AssessmentSample",
    "AuditEvent",
    "CallStatus",
    "Channel",
    "CheckIn",
    "CheckInStatus",
    "Client",
    "ContactPoint",
    "CriteriaStatus",
    "Episode",
    "InboundMessage",
    "MessagePurpose",
    "MessageStatus",
    "MonthlyReport",
    "OptEvent",
    "OutboundMessage",
    "OutcomeFact",
    "OutcomeStale",
    "OutcomeState",
    "OutcomeTotal",
    "Release",
    "Role",
    "Service",
    "Submission",
    "User",
]
