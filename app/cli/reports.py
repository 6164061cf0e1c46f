"""`flask reports ...`: Monthly reports for commissioners."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.cli.common import cli_actor, command_with_clear_errors, parse_instant


@click.group(help="Monthly reports for commissioners.")
def reports() -> None:
    pass


@reports.command("monthly", help="Build an area's (or every area's) PDF and CSV report for a month that is over.")
@click.option("--month", required=True, help="The month to report (YYYY-MM); it must be over.")
@click.option("--area", "area_code", help="Only this area (default: every area).")
@click.option("--send", is_flag=True, help="Email the PDF and CSV to the area's commissioners (once per report).")
@click.option("--replace", is_flag=True, help="Rebuild a report that was built already (and send it again).")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write <AREA>-<YYYY-MM>.pdf and .csv into this directory.",
)
@with_appcontext
@command_with_clear_errors
def monthly(month: str, area_code: str | None, send: bool, replace: bool, out_dir: Path | None) -> None:
    from app.extensions import db
    from app.models import Area
    from app.services.organisation import get_area
    from app.services.publication import reports as service

    now = parse_instant(None, "now")
    actor = cli_actor()
    try:
        first = service.parse_month(month)
    except service.ReportError as error:
        raise click.BadParameter(str(error), param_hint="--month") from None
    label = service.month_label(first)
    service.check_reportable(first, now)
    areas = [get_area(area_code)] if area_code else list(db.session.scalars(select(Area).order_by(Area.code)))
    if not areas:
        raise click.ClickException("there are no areas yet (create one with: flask areas create)")
    codes = [area.code for area in areas]
    lines: list[str] = []
    show_bar = len(codes) > 1 and sys.stderr.isatty()

    def one(code: str) -> str:
        line = service.produce_report(code, label, now, actor=actor, send=send, replace=replace, out_dir=out_dir)
        words = ["rebuilt" if line.rebuilt else "built" if line.built else "already built, skipped"]
        if line.send is not None:
            words.append(_send_words(line.send))
        if line.written:
            words.append(f"written to {', '.join(str(path) for path in line.written)}")
        return f"{code} {label}: {'; '.join(words)}"

    if show_bar:
        with click.progressbar(codes, label=f"Reports for {label}", file=sys.stderr) as bar:
            for code in bar:
                lines.append(one(code))
        for line in lines:
            click.echo(line)
    else:
        for code in codes:
            click.echo(one(code))


def _send_words(result: object) -> str:
    from app.services.publication.reports import SendResult

    assert isinstance(result, SendResult)
    if result.status == "sent":
        failed = f" ({result.failed} could not be delivered)" if result.failed else ""
        return f"sent to {result.sent_to}{failed}"
    if result.status == "already_sent":
        return "already sent, not sent again (use --replace to rebuild and resend)"
    if result.status == "no_recipients":
        return "not sent: the area has no active commissioner"
    return f"not sent: none of the {result.failed} email(s) was accepted; try --send again later"
