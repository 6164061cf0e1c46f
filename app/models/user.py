"""People who sign in: admins, evaluators, commissioners, service submitters and assessors."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime, utcnow


class Role(enum.StrEnum):
    ADMIN = "admin"
    EVALUATOR = "evaluator"
    COMMISSIONER = "commissioner"
    SERVICE_SUBMITTER = "service_submitter"
    ASSESSOR = "assessor"


#: How each role is named on pages (the admin's role choice lists them in this order).
ROLE_LABELS: dict[str, str] = {
    Role.ADMIN.value: "Admin",
    Role.EVALUATOR.value: "Evaluator",
    Role.COMMISSIONER.value: "Commissioner",
    Role.SERVICE_SUBMITTER.value: "Service submitter",
    Role.ASSESSOR.value: "Assessor",
}


class User(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(24))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id"))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"))
    totp_secret_enc: Mapped[str | None] = mapped_column(String(200))  # Fernet, as contact details
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # enrolment finished
    totp_last_step: Mapped[int | None] = mapped_column(Integer)  # a TOTP code is accepted once
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: bumped to end every session of the user (password change, lockout, sign-out everywhere)
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Flask-Login protocol
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)


class ApiToken(db.Model):  # type: ignore[name-defined,misc]
    """A bearer token for /api/v1/, one user's; only its SHA-256 is stored. It works until `expires_at`
    unless revoked first: by hand, or when its user is deactivated, has the authenticator reset or
    changes password (`revoked_reason` says which)."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: why it was revoked: "revoked" (by hand), "user_deactivated", "totp_reset" or "password_changed"
    revoked_reason: Mapped[str | None] = mapped_column(String(24))
