"""`flask intake ...`: discharge lists from services."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import click
from flask.cli import with_appcontext

from app.cli.common import cli_actor, command_with_clear_errors, parse_day, parse_instant, today_in_london
from app.domain import discharge_columns
from app.domain.discharge_list import Problem
from app.services import intake as intake_service


@click.group(help="Discharge lists submitted by services.")
def intake() -> None:
    pass


@intake.command(
    "import",
    help=(
        "Import a discharge list (CSV). All or nothing: any problem and nothing is written. Rows whose language"
        " has no texts yet are imported with a warning on stderr (those clients get English texts)."
    ),
    epilog=discharge_columns.help_epilog(),
)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--service", "service_code", required=True, help="Code of the submitting service.")
@click.option("--dry-run", is_flag=True, help="Check the file and report what would change, writing nothing.")
@with_appcontext
@command_with_clear_errors
def import_list(file: Path, service_code: str, dry_run: bool) -> None:
    try:
        data = file.read_bytes()
    except OSError as error:
        _fail([Problem(f"cannot read {file}: {error.strerror or error}")])
    now = parse_instant(None, "now")
    with _progress_bar(data.count(b"\n")) as progress:
        try:
            result = intake_service.submit_discharge_list(
                service_code,
                data,
                filename=file.name,
                actor=cli_actor(),
                now=now,
                today=today_in_london(now),
                dry_run=dry_run,
                progress=progress,
            )
        except intake_service.IntakeRejected as rejected:
            _fail(rejected.problems)
    click.echo(result.summary())
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)


@contextmanager
def _progress_bar(rows: int) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr for long files, only when a person is watching a terminal."""
    stderr = sys.stderr
    if rows < 5000 or not stderr.isatty():
        yield None
        return
    with click.progressbar(length=rows, label="importing rows", file=stderr) as bar:
        yield bar.update


def _fail(problems: list[Problem]) -> NoReturn:
    for problem in problems:
        click.echo(str(problem), err=True)
    raise SystemExit(1)


@intake.command("withdraw", help="Withdraw one episode: all contact with the client for it stops at once.")
@click.option("--service", "service_code", required=True, help="Code of the service.")
@click.option("--client-ref", required=True, help="The service's reference for the client.")
@click.option("--discharge-date", required=True, help="Discharge date of the episode (YYYY-MM-DD).")
@with_appcontext
@command_with_clear_errors
def withdraw(service_code: str, client_ref: str, discharge_date: str) -> None:
    withdrawn = intake_service.withdraw_episode(
        service_code,
        client_ref,
        parse_day(discharge_date, "--discharge-date"),
        actor=cli_actor(),
        now=parse_instant(None, "now"),
    )
    click.echo(f"withdrawn: contact stopped; {withdrawn} check-in(s) not yet sent will not be sent")
