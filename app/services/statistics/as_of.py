"""The as-of date of figures: never after today in the service's time zone (SPEC section 8.6).

Figures for a day not yet over would move as the day goes on, and a release of them would freeze
numbers that are already wrong tomorrow. Releases (`flask releases create`, /published/new), `flask
stats summary --as-of`, the API's statistics and the dashboard all refuse such a date through here.
"""

from __future__ import annotations

from datetime import date, datetime

from app.domain.protocol import LONDON, LONDON_ZONE_NAME
from app.services.errors import ServiceError


class AsOfAfterToday(ServiceError):
    """An as-of date after today in Europe/London."""


def today_in_service_zone(now: datetime) -> date:
    """Today's date in Europe/London at the instant `now`."""
    return now.astimezone(LONDON).date()


def refuse_future_as_of(as_of: date, now: datetime) -> date:
    """The as-of date if it is today or earlier in Europe/London at `now`; AsOfAfterToday otherwise."""
    today = today_in_service_zone(now)
    if as_of > today:
        raise AsOfAfterToday(f"as-of date {as_of.isoformat()} is after today ({today.isoformat()}, {LONDON_ZONE_NAME})")
    return as_of
