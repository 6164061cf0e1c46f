"""`flask privacy ...`: The privacy lifecycle: erase, withdraw, export, rotate keys."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask.cli import with_appcontext

from app.cli.common import cli_actor, command_with_clear_errors, parse_day, parse_instant
from app.services import privacy as privacy_service

_SERVICE = click.option("--service", "service_code", required=True, help="Code of the client's service.")
_CLIENT_REF = click.option("--client-ref", required=True, help="The service's pseudonymous reference for the client.")


@click.group(help="The privacy lifecycle: erase, withdraw, export, rotate keys.")
def privacy() -> None:
    pass


@privacy.command(
    "erase",
    help="Erase one client's contact details now, at their request, and stop all contact. "
    "Answers and figures stay; opted-out contact points stay on the suppression list as keyed hashes.",
)
@_SERVICE
@_CLIENT_REF
@click.option("--now", "now_text", help="Act as of this instant (ISO 8601; default: now).")
@with_appcontext
@command_with_clear_errors
def erase(service_code: str, client_ref: str, now_text: str | None) -> None:
    result = privacy_service.erase_on_request(
        service_code, client_ref, actor=cli_actor(), now=parse_instant(now_text, "--now")
    )
    done = "contact details erased" if result.erased else "contact details were already erased"
    click.echo(f"{done}; contact stopped ({result.withdrawn_check_ins} check-in(s) not yet sent will not be sent)")


@privacy.command("erase-due", help="Erase the contact details of every client whose last check-in closed 90+ days ago.")
@click.option("--now", "now_text", help="Act as of this instant (ISO 8601; default: now).")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(min=1))
@with_appcontext
@command_with_clear_errors
def erase_due(now_text: str | None, batch_size: int) -> None:
    erased = privacy_service.erase_due(parse_instant(now_text, "--now"), batch_size=batch_size, actor=cli_actor())
    click.echo(f"erased={erased}")


@privacy.command(
    "withdraw",
    help="At the client's request, take their answers out of all future figures and stop contact. "
    "Releases already made stay as they are.",
)
@_SERVICE
@_CLIENT_REF
@click.option("--discharge-date", help="Only the episode discharged on this date (YYYY-MM-DD). Default: all.")
@with_appcontext
@command_with_clear_errors
def withdraw(service_code: str, client_ref: str, discharge_date: str | None) -> None:
    day = parse_day(discharge_date, "--discharge-date") if discharge_date else None
    count = privacy_service.withdraw_answers(
        service_code, client_ref, day, actor=cli_actor(), now=parse_instant(None, "now")
    )
    if count:
        click.echo(f"answers withdrawn from future figures: {count} episode(s); contact stopped")
    else:
        click.echo("nothing to do: the answers were already withdrawn")


@privacy.command(
    "export",
    help="Subject-access export (JSON) of everything held about one client, contact details included. Audited.",
)
@_SERVICE
@_CLIENT_REF
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file (mode 0600). Default: stdout."
)
@with_appcontext
@command_with_clear_errors
def export(service_code: str, client_ref: str, out: Path | None) -> None:
    if out is not None and not out.parent.is_dir():
        raise click.BadParameter(f"directory {str(out.parent)!r} does not exist", param_hint="--out")
    data = privacy_service.export_subject_access(
        service_code, client_ref, actor=cli_actor(), now=parse_instant(None, "now"), to="file" if out else "stdout"
    )
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if out is None:
        click.echo(text, nl=False)
        return
    try:
        descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as error:
        raise click.ClickException(f"cannot write {out}: {error.strerror or error}") from None
    os.fchmod(descriptor, 0o600)  # also when the file existed with wider permissions
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    click.echo(f"written to {out} (mode 0600): it holds contact details; delete it once it has been sent")


@privacy.command(
    "rotate-keys",
    help="Re-encrypt every contact detail under the newest key of FIELD_ENCRYPTION_KEYS, in batches. "
    "Safe to interrupt: run it again to carry on. Remove an old key only after a complete run.",
)
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(min=1))
@click.option("--max-batches", type=click.IntRange(min=1), help="Stop after this many batches (run again to continue).")
@with_appcontext
@command_with_clear_errors
def rotate_keys(batch_size: int, max_batches: int | None) -> None:
    with _progress_bar(privacy_service.rows_to_rotate()) as progress:
        result = privacy_service.rotate_keys(
            actor=cli_actor(),
            now=parse_instant(None, "now"),
            batch_size=batch_size,
            max_batches=max_batches,
            progress=progress,
        )
    click.echo(result.summary())


@contextmanager
def _progress_bar(rows: int) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr, only when a person is watching a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    with click.progressbar(length=rows, label="re-encrypting", file=sys.stderr) as bar:
        yield bar.update
