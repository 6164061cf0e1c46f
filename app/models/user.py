"""People who sign in: admins, evaluators, commissioners and service submitters."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime, utcnow


class Role(enum.StrEnum):
    ADMIN = "admin"
    EVALUATOR = "evaluator"
    COMMISSIONER = "commissioner"
    SERVICE_SUBMITTER = "service_submitter"


class User(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(24))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id"))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"))
    totp_secret_enc: Mapped[str | None] = mapped_column(String(200))
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
