"""What every command shares: who is acting, what time it is, and turning errors into clear messages."""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

import click

from app.domain.discretion import DiscretionError
from app.domain.protocol import LONDON
from app.domain.schedule import ScheduleError
from app.models.types import utcnow
from app.services.errors import ServiceError
from config import ConfigError


def cli_actor() -> str:
    """Command-line access is operator access: the audit log names the operating-system user."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def parse_instant(value: str | None, option: str) -> datetime:
    """ISO 8601 instant; a time without an offset is UTC. None means now."""
    if value is None:
        return utcnow()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO 8601 time such as 2027-01-31T09:00:00Z", param_hint=option
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date such as 2027-01-31", param_hint=option) from None


def today_in_london(now: datetime) -> date:
    return now.astimezone(LONDON).date()


@contextmanager
def clear_errors() -> Iterator[None]:
    """Service errors become one clear line on stderr and exit code 1, never a traceback."""
    try:
        yield
    except (ServiceError, ScheduleError, DiscretionError, ConfigError) as error:
        raise click.ClickException(str(error)) from None


def command_with_clear_errors(function: Callable[..., None]) -> Callable[..., None]:
    import functools

    @functools.wraps(function)
    def wrapper(*args: object, **kwargs: object) -> None:
        with clear_errors():
            function(*args, **kwargs)

    return wrapper
