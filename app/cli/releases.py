"""`flask releases ...`: Releases of published figures, frozen as of a date."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from app.cli.common import cli_actor, command_with_clear_errors, parse_day, parse_instant
from app.services.publication import packages as package_service
from app.services.publication import releases as release_service


@click.group(help="Releases of published figures, frozen as of a date.")
def releases() -> None:
    pass


@releases.command(
    "create", help="Freeze the published (disclosure-controlled) figures as of a date; prints id and hash."
)
@click.option(
    "--as-of",
    required=True,
    help="Count discharges and answers up to this date (YYYY-MM-DD), not after today in London.",
)
@click.option("--area", "area_code", help="Only this area (default: all services).")
@click.option("--service", "service_code", help="Only this service (default: all services).")
@click.option("--title", help="Title shown on the public page (default: names the scope and date).")
@with_appcontext
@command_with_clear_errors
def create(as_of: str, area_code: str | None, service_code: str | None, title: str | None) -> None:
    if area_code and service_code:
        raise click.UsageError("give --area or --service, not both (a release covers one scope)")
    day = parse_day(as_of, "--as-of")
    now = parse_instant(None, "now")
    kind, code = ("area", area_code) if area_code else ("service", service_code) if service_code else ("all", None)
    release = release_service.create_release(day, kind, code, cli_actor(), now, title=title)
    click.echo(f"release {release.id}")
    click.echo(f"sha256 {release.sha256}")
    base = str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    click.echo(f"public /published/{release.id}  ({base}/published/{release.id}, JSON: /published/{release.id}.json)")


@releases.command("list", help="Every release, newest first: id, as-of date, scope, hash, title.")
@with_appcontext
@command_with_clear_errors
def list_command() -> None:
    items, total = release_service.list_releases(page=1, per_page=1_000_000)
    if not total:
        click.echo("no releases yet (create one with: flask releases create --as-of YYYY-MM-DD)")
        return
    for release in items:
        scope = release.scope_kind if release.scope_code is None else f"{release.scope_kind}:{release.scope_code}"
        click.echo(
            f"{release.id}\t{release.as_of.isoformat()}\t{scope}\t{release.sha256}\t"
            f"{release.created_at:%Y-%m-%dT%H:%M:%SZ}\t{release.title or ''}"
        )


@releases.command("verify", help="Recompute the SHA-256 of a stored release: OK, or mismatch (exit code 1).")
@click.argument("release_id", type=int)
@with_appcontext
@command_with_clear_errors
def verify(release_id: int) -> None:
    result = release_service.verify_release(release_id)
    if result.ok:
        click.echo(f"OK release {result.release_id} sha256 {result.computed}")
        return
    click.echo(f"MISMATCH release {result.release_id}", err=True)
    click.echo(f"  stored   sha256 {result.stored}", err=True)
    click.echo(f"  computed sha256 {result.computed}", err=True)
    if not result.canonical:
        click.echo("  the stored payload is not canonical JSON (sorted keys, ',' and ':', UTF-8)", err=True)
    raise SystemExit(1)


@releases.command(
    "package",
    help="Write a release's open data package (datapackage.json, release.json, figures.csv, counts.csv, "
    "METHODS.md, signature.txt, verify.py) into DIR; check it with `python DIR/verify.py DIR`.",
)
@click.argument("release_id", type=int)
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Folder to write into.")
@click.option("--zip", "as_zip", is_flag=True, help="Write the zip served at /published/ID/package.zip instead.")
@with_appcontext
@command_with_clear_errors
def package(release_id: int, out_dir: str, as_zip: bool) -> None:
    base = str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    written = package_service.write_package(release_id, f"{base}/published/signing-key", Path(out_dir), as_zip)
    for path in written:
        click.echo(f"wrote {path}")
    if not as_zip:
        click.echo(f"check it with: python {Path(out_dir) / 'verify.py'} {out_dir}")
