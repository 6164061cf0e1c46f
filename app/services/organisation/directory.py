"""What the admin pages list: areas, services and users (never answers, outcomes or contact details)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Area, Service


def list_areas() -> list[Area]:
    """Every area, by code."""
    return list(db.session.scalars(select(Area).order_by(Area.code)))


def list_services() -> list[Service]:
    """Every service with its area, by code."""
    return list(db.session.scalars(select(Service).options(selectinload(Service.area)).order_by(Service.code)))
