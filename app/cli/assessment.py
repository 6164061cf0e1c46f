"""`flask assessment ...`: the independent telephone assessment (SPEC 8.4, docs/assessment.md)."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from app.cli.common import cli_actor, command_with_clear_errors, parse_day, parse_instant


@click.group(help="The independent telephone assessment: samples of clients who agreed to a call (docs/assessment.md).")
def assessment() -> None:
    pass


@assessment.command(
    "sample",
    help=(
        "Draw a random sample of eligible episodes to call, stratified by service and by the texted outcome "
        "category as of the date (proportional allocation, at least one per stratum when the size allows). "
        "Only episodes with consent to a call, at least one answered check-in and a phone number held are "
        "drawn; never a client who opted out, whose contact was stopped or answers withdrawn, or who is in "
        "an earlier sample. The same seed and data give the same sample; without --seed a fresh one is "
        "chosen, printed and stored with the sample. The calls appear on the assessors' list at /assess."
    ),
)
@click.option(
    "--as-of", "as_of", required=True, help="Outcomes as of this date (YYYY-MM-DD), not after today in London."
)
@click.option(
    "--size", required=True, type=int, help="How many episodes to draw (at least 1; fewer if fewer may be called)."
)
@click.option("--seed", type=int, help="The random seed (0 to 2147483647), to reproduce a draw. Default: a fresh one.")
@click.option("--service", "service_code", help="Only this service's episodes (its code).")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True)
@with_appcontext
@command_with_clear_errors
def sample(as_of: str, size: int, seed: int | None, service_code: str | None, output_format: str) -> None:
    from app.services.assessment import draw_sample

    now = parse_instant(None, "now")
    result = draw_sample(
        parse_day(as_of, "--as-of"),
        size,
        seed=seed,
        service_code=service_code,
        actor=cli_actor(),
        now=now,
        progress=lambda message: click.echo(message, err=True),
    )
    if output_format == "json":
        click.echo(json.dumps(result.as_dict(), indent=2))
        return
    click.echo(
        f"sample {result.sample_id}: drew {result.drawn} of {result.eligible} episodes that may be called "
        f"(asked for {result.size}), as of {result.as_of.isoformat()}, seed {result.seed}"
    )
    click.echo(f"{'service':<12} {'texted category':<20} {'may be called':>13} {'drawn':>6}")
    for stratum in result.strata:
        category = stratum.category.replace("_", " ")
        click.echo(f"{stratum.service_code:<12} {category:<20} {stratum.eligible:>13} {stratum.drawn:>6}")
    click.echo(
        f"reproduce it with: flask assessment sample --as-of {result.as_of.isoformat()} --size {result.size} "
        f"--seed {result.seed}"
        + (f" --service {result.service_code}" if result.service_code else "")
        + " (on the same data, before this sample's clients are excluded)"
    )
