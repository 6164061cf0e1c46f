"""Creating user accounts (admin operation)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from app.domain.discharge_list import normalise_email
from app.extensions import db
from app.models import Role, User
from app.security.passwords import WeakPassword, check_strength, hash_password
from app.services import audit
from app.services.errors import AlreadyExists, ServiceError
from app.services.organisation import get_area, get_service


def create_user(
    email: str,
    role: str,
    password: str,
    *,
    service_code: str | None,
    area_code: str | None,
    actor: str,
    now: datetime,
) -> User:
    """Create a user. Service submitters belong to one service, commissioners to one area."""
    try:
        role_value = Role(role)
    except ValueError:
        raise ServiceError(f"role {role!r} must be one of: {', '.join(r.value for r in Role)}") from None
    address = normalise_email(email)
    if address is None:
        raise ServiceError(f"{email!r} is not a valid email address")
    try:
        check_strength(password)
    except WeakPassword as error:
        raise ServiceError(str(error)) from None
    service_id = area_id = None
    if role_value is Role.SERVICE_SUBMITTER:
        if not service_code or area_code:
            raise ServiceError("a service_submitter needs --service CODE (and no --area)")
        service_id = get_service(service_code).id
    elif role_value is Role.COMMISSIONER:
        if not area_code or service_code:
            raise ServiceError("a commissioner needs --area CODE (and no --service)")
        area_id = get_area(area_code).id
    elif service_code or area_code:
        raise ServiceError(f"an {role_value.value} sees every service: give neither --service nor --area")
    if db.session.scalar(select(func.count()).select_from(User).where(User.email == address)):
        raise AlreadyExists("a user with that email already exists")
    user = User(
        email=address,
        password_hash=hash_password(password),
        role=role_value.value,
        service_id=service_id,
        area_id=area_id,
        created_at=now,
    )
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "user.create", now, subject=f"user:{user.id}", role=role_value.value)
    db.session.commit()
    return user
