"""Who may reach which page: every view declares its audience, and the role matrix test reads it.

`allow(Role.EVALUATOR, ...)` wraps a view: anonymous visitors are sent to sign in, a signed-in user
of another role gets 403, and admins, evaluators and assessors must also have passed the second factor this
session (sign-in only ever starts their session after it; a session without it is ended).
`public(view)` marks a view anyone may reach. A view with neither is a bug the role matrix test
reports (tests/web/test_role_matrix.py).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Final, TypeVar

from flask import abort, current_app, redirect, request, session, url_for
from flask_login import current_user, logout_user
from sqlalchemy import select

from app.extensions import db
from app.models import Area, Role, Service, User

F = TypeVar("F", bound=Callable[..., Any])

#: The attribute a view's audience is recorded on: a frozenset of role values, or PUBLIC.
ACCESS_ATTRIBUTE: Final = "stillwell_access"
PUBLIC: Final = "public"
#: Roles that must pass a TOTP second factor before reaching any of their pages (SPEC section 1).
SECOND_FACTOR_ROLES: Final = frozenset({Role.ADMIN.value, Role.EVALUATOR.value, Role.ASSESSOR.value})
#: The session key set once the second factor has been passed in this session.
SECOND_FACTOR_SESSION_KEY: Final = "second_factor"


def public(view: F) -> F:
    """Mark a view anyone may reach, signed in or not."""
    setattr(view, ACCESS_ATTRIBUTE, PUBLIC)
    return view


def allow(*roles: Role) -> Callable[[F], F]:
    """Let only signed-in users of these roles (with a second factor where required) reach a view."""
    allowed = frozenset(role.value for role in roles)

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            refusal = refuse(allowed)
            if refusal is not None:
                return refusal
            return view(*args, **kwargs)

        setattr(guarded, ACCESS_ATTRIBUTE, allowed)
        return guarded  # type: ignore[return-value]

    return decorate


def refuse(allowed: frozenset[str]) -> Any | None:
    """The response refusing the current visitor a view for `allowed` roles, or None to let them in."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=_here()))
    if current_user.role in SECOND_FACTOR_ROLES and not session.get(SECOND_FACTOR_SESSION_KEY):
        # Sign-in always sets the flag for these roles; a session without it is not to be trusted.
        logout_user()
        session.clear()
        return redirect(url_for("auth.login", next=_here()))
    if current_user.role not in allowed:
        abort(403)
    return None


#: Blinding (SPEC 8.4): the only blueprints a signed-in assessor may reach, whatever a view declares, and
#: the few endpoints outside them a page needs (its style sheet and icon) or that show nothing of anyone
#: (the liveness probe `/healthz`: a status and whether the database answers, no figure). Everything else,
#: public pages included, answers 403: an assessor must not read texted answers, outcomes or figures before
#: an interview.
ASSESSOR_BLUEPRINTS: Final = frozenset({"assess", "auth", "account"})
ASSESSOR_ENDPOINTS: Final = frozenset({"static", "public.favicon", "public.healthz"})


def blinded_out(endpoint: str | None, role: str | None) -> bool:
    """Whether blinding keeps a user of `role` away from `endpoint` (only assessors are blinded)."""
    if role != Role.ASSESSOR.value:
        return False
    if endpoint is None:
        return False  # no route: the 404 (or 405) says nothing about anyone
    if endpoint.partition(".")[0] == "api":
        return False  # bearer tokens, not the session: `api_allow` lets no assessor's token in
    return endpoint not in ASSESSOR_ENDPOINTS and endpoint.partition(".")[0] not in ASSESSOR_BLUEPRINTS


def refuse_blinded() -> None:
    """Before every request: a signed-in assessor outside their pages gets 403 (the API's bearer tokens are
    checked by role in `api_allow`, which never lets an assessor in)."""
    if current_user.is_authenticated and blinded_out(request.endpoint, current_user.role):
        abort(403)


def _here() -> str:
    """The path (and query) being asked for, to come back to after signing in."""
    return request.full_path if request.query_string else request.path


def may_visit(endpoint: str) -> bool:
    """Whether the current visitor would be let into the view of `endpoint`, by the rule its view declares.

    For templates (as `may_visit`): a link is shown exactly when following it would not be refused.
    """
    if current_user.is_authenticated and blinded_out(endpoint, current_user.role):
        return False
    view = current_app.view_functions.get(endpoint)
    declared = audience(view) if view is not None else None
    if declared == PUBLIC:
        return True
    if not declared or not current_user.is_authenticated:
        return False
    if current_user.role in SECOND_FACTOR_ROLES and not session.get(SECOND_FACTOR_SESSION_KEY):
        return False
    return current_user.role in declared


def audience(view: Callable[..., Any]) -> frozenset[str] | str | None:
    """What a view declared: PUBLIC, a set of role values, or None when it declared nothing."""
    return getattr(view, ACCESS_ATTRIBUTE, None)


# --- whose data a signed-in user (or a bearer token's user) may ask for -------------------------------------


class ScopeRefused(Exception):
    """A request outside what the user may see: `parameter` names the part asked for, when one is to blame."""

    def __init__(self, message: str, parameter: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.parameter = parameter


def commissioner_area(user: User, area_code: str | None, service_code: str | None) -> str:
    """A commissioner's own area code: any other area is refused, and any service outside it (SPEC section 1).
    The caller has answered an unknown service code already ("not found")."""
    own = db.session.get(Area, user.area_id) if user.area_id is not None else None
    if own is None:
        raise ScopeRefused("this commissioner account is not attached to an area")
    if area_code is not None and area_code != own.code:
        raise ScopeRefused(f"commissioners see their own area only ({own.code})", "area")
    if service_code is not None:
        service = db.session.scalar(select(Service).where(Service.code == service_code))
        if service is None or service.area_id != own.id:
            raise ScopeRefused(f"service {service_code} is not in your area ({own.code})", "service")
    return str(own.code)


def submitter_service(user: User) -> Service:
    """The one service a service submitter acts for: they submit lists for it and see its history only."""
    service = db.session.get(Service, user.service_id) if user.service_id is not None else None
    if service is None:
        raise ScopeRefused("this account is not attached to a service")
    return service
