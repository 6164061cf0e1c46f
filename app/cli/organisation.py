"""`flask areas ...` and `flask services ...`."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.cli.common import cli_actor, command_with_clear_errors, parse_instant
from app.domain.protocol import LONDON_ZONE_NAME
from app.extensions import db
from app.messaging import mask_email
from app.models import Area, Service
from app.services import organisation


@click.group(help="Commissioning areas such as Integrated Care Boards.")
def areas() -> None:
    pass


@areas.command("create", help="Create an area.")
@click.option("--code", required=True, help="Short unique code, e.g. QWE.")
@click.option("--name", required=True, help="Full name, e.g. 'North East ICB'.")
@with_appcontext
@command_with_clear_errors
def create_area(code: str, name: str) -> None:
    area = organisation.create_area(code, name, actor=cli_actor(), now=parse_instant(None, "now"))
    click.echo(f"created area {area.code}: {area.name}")


@areas.command("list", help="List areas.")
@with_appcontext
def list_areas() -> None:
    rows = db.session.scalars(select(Area).order_by(Area.code)).all()
    if not rows:
        click.echo("no areas yet: create one with flask areas create --code CODE --name NAME")
    for area in rows:
        click.echo(f"{area.code}\t{area.name}")


@click.group(help="Therapy services that submit discharge lists.")
def services() -> None:
    pass


@services.command("create", help="Create a service in an area, with how and when its clients are contacted.")
@click.option("--code", required=True, help="Short unique code used in files and commands.")
@click.option("--name", required=True, help="Full name (never shown to clients).")
@click.option("--area", "area_code", required=True, help="Code of the area the service belongs to.")
@click.option(
    "--short-name", help="Discreet name clients see in texts: GSM-7, at most 20 characters. Default: the code."
)
@click.option("--timezone", default=LONDON_ZONE_NAME, show_default=True, help="IANA time zone of the send window.")
@click.option("--send-window", default="10:00-19:00", show_default=True, help="Local hours for messages we start.")
@click.option("--send-days", default="mon-sat", show_default=True, help="Days for messages we start, e.g. mon-fri.")
@click.option("--plan", default="4,8,18,26,52", show_default=True, help="Weeks after discharge to check in.")
@click.option("--safeguarding-email", help="Who is told of a safeguarding alert (default: SAFEGUARDING_EMAIL).")
@click.option("--sms-links/--no-sms-links", default=False, show_default=True, help="Put web-survey links in texts.")
@click.option(
    "--bilingual/--no-bilingual",
    default=False,
    show_default=True,
    help="Send Welsh then English in one text to clients whose discharge row gives no language (cy: Welsh only,"
    " any other: English only).",
)
@with_appcontext
@command_with_clear_errors
def create_service(
    code: str,
    name: str,
    area_code: str,
    short_name: str | None,
    timezone: str,
    send_window: str,
    send_days: str,
    plan: str,
    safeguarding_email: str | None,
    sms_links: bool,
    bilingual: bool,
) -> None:
    settings = organisation.ServiceSettings(
        short_name=short_name,
        timezone=timezone,
        send_window=send_window,
        send_days=send_days,
        plan=plan,
        safeguarding_email=safeguarding_email,
        sms_links=sms_links,
        bilingual=bilingual,
    )
    service = organisation.create_service(
        code, name, area_code, settings, actor=cli_actor(), now=parse_instant(None, "now")
    )
    click.echo(
        f"created service {service.code} in area {area_code}: short name {service.short_name!r}, "
        f"plan {service.plan} weeks, window {service.send_window} {service.send_days} {service.timezone}"
        + (", bilingual (Welsh then English)" if service.bilingual else "")
    )


@services.command(
    "update",
    help="Change a service's languages (whether it sends Welsh and English together) or its safeguarding contact."
    " Every option given is checked before anything is written.",
)
@click.option("--code", required=True, help="Code of the service.")
@click.option(
    "--bilingual/--no-bilingual",
    default=None,
    help="Send Welsh then English in one text to clients whose discharge row gives no language (cy: Welsh only,"
    " any other: English only).",
)
@click.option(
    "--safeguarding-email",
    metavar="ADDRESS",
    help="Who is told of this service's safeguarding alerts; '' to clear it (alerts then go to SAFEGUARDING_EMAIL)."
    " Printed masked, never in clear.",
)
@with_appcontext
@command_with_clear_errors
def update_service(code: str, bilingual: bool | None, safeguarding_email: str | None) -> None:
    changes = organisation.ServiceChanges(bilingual=bilingual, safeguarding_email=safeguarding_email)
    if changes.is_empty():
        raise click.UsageError("nothing to change: give --bilingual, --no-bilingual or --safeguarding-email")
    service = organisation.update_service(code, changes, actor=cli_actor(), now=parse_instant(None, "now"))
    settings = ["bilingual (Welsh then English)" if service.bilingual else "not bilingual"]
    if safeguarding_email is not None:
        settings.append(
            f"safeguarding alerts to {mask_email(service.safeguarding_email)}"
            if service.safeguarding_email
            else "safeguarding alerts to SAFEGUARDING_EMAIL"
        )
    click.echo(f"service {service.code}: " + ", ".join(settings))


@services.command("list", help="List services.")
@with_appcontext
def list_services() -> None:
    rows = db.session.scalars(select(Service).order_by(Service.code)).all()
    if not rows:
        click.echo("no services yet: create one with flask services create")
    for service in rows:
        languages = "cy+en" if service.bilingual else "-"
        click.echo(
            f"{service.code}\t{service.area.code}\t{service.short_name}\t{service.plan}\t{languages}\t{service.name}"
        )
