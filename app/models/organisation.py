"""Areas (commissioning bodies, e.g. an Integrated Care Board) and the therapy services in them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.domain.protocol import LONDON_ZONE_NAME
from app.extensions import db
from app.models.types import UTCDateTime, utcnow


class Area(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "area"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    services: Mapped[list[Service]] = relationship(back_populates="area")


class Service(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "service"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)
    # The discreet name clients see in texts: GSM-7, at most 20 characters, no clinical words.
    short_name: Mapped[str] = mapped_column(String(20))
    timezone: Mapped[str] = mapped_column(String(64), default=LONDON_ZONE_NAME)
    send_window: Mapped[str] = mapped_column(String(11), default="10:00-19:00")
    send_days: Mapped[str] = mapped_column(String(40), default="mon-sat")
    plan: Mapped[str] = mapped_column(String(200), default="4,8,18,26,52")
    safeguarding_email: Mapped[str | None] = mapped_column(Text)
    sms_links: Mapped[bool] = mapped_column(Boolean, default=False)
    # Welsh first, then English, in one message to clients who gave no language (SPEC 8.3).
    bilingual: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    area: Mapped[Area] = relationship(back_populates="services")
