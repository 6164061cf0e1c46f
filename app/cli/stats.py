"""`flask stats ...`: durable-recovery statistics. Printing outcomes is operator access, so it is audited."""

from __future__ import annotations

import json
from typing import Any

import click
from flask.cli import with_appcontext

from app.cli.common import cli_actor, command_with_clear_errors, parse_day, parse_instant, today_in_london
from app.domain.labels import DISORDER_LABELS


@click.group(help="Durable-recovery statistics.")
def stats() -> None:
    pass


@stats.command("summary", help="Durable recovery, response, follow-up points and breakdowns as of a date.")
@click.option(
    "--as-of",
    help="Count discharges and answers up to this date (YYYY-MM-DD), not after today in London. Default: today.",
)
@click.option("--service", "service_code", help="Only this service.")
@click.option("--area", "area_code", help="Only this area.")
@click.option("--problem-group", type=click.Choice(["depression", "anxiety", "other"]), help="Only this problem group.")
@click.option("--discharged-from", help="Only episodes discharged on or after this date (YYYY-MM-DD).")
@click.option("--discharged-to", help="Only episodes discharged on or before this date (YYYY-MM-DD).")
@click.option("--published", is_flag=True, help="Apply disclosure control, as for anything published.")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True)
@with_appcontext
@command_with_clear_errors
def summary(
    as_of: str | None,
    service_code: str | None,
    area_code: str | None,
    problem_group: str | None,
    discharged_from: str | None,
    discharged_to: str | None,
    published: bool,
    output_format: str,
) -> None:
    from app.services import statistics  # numpy/scipy load only for the commands that need them

    now = parse_instant(None, "now")
    day = parse_day(as_of, "--as-of") if as_of else today_in_london(now)
    result = statistics.summary(
        day,
        service_code=service_code,
        area_code=area_code,
        problem_group=problem_group,
        discharged_from=parse_day(discharged_from, "--discharged-from") if discharged_from else None,
        discharged_to=parse_day(discharged_to, "--discharged-to") if discharged_to else None,
        published=published,
        actor=cli_actor(),
        now=now,
    )
    if output_format == "json":
        click.echo(json.dumps(result, indent=2))
    else:
        click.echo(render_table(result, service_code or area_code or "all services", published))


def _rate(rate: dict[str, Any], published: bool) -> str:
    value, interval = rate["rate"], rate["ci95"]
    counts = f"{rate['numerator']}/{rate['denominator']}"
    if value is None:
        return f"{counts:>13}   -"
    if value == "*":
        return f"{counts:>13}   * (suppressed)"
    if published:
        return f"{counts:>13}  {value:>3}%  (95% CI {interval[0]}-{interval[1]}%)"
    return f"{counts:>13}  {value * 100:5.1f}%  (95% CI {interval[0] * 100:.1f}-{interval[1] * 100:.1f}%)"


def render_table(result: dict[str, Any], scope: str, published: bool) -> str:
    """A readable summary for people at a terminal; the JSON format has every figure."""
    cohort, outcomes = result["cohort"], result["outcomes"]
    lines = [
        f"Stillwell summary: {scope}, as of {result['as_of']} (methodology {result['methodology']}"
        f"{', published: small counts suppressed, others rounded to 5' if published else ''})",
        "",
        f"Episodes {cohort['episodes']}  consented {cohort['consented']}  eligible {cohort['eligible']}"
        f"  pending {cohort['pending']}",
        "",
        "Durable recovery",
        f"  intention to treat (primary)   {_rate(result['durable_recovery']['itt'], published)}",
        f"  available case                 {_rate(result['durable_recovery']['available_case'], published)}",
        f"  response                       {_rate(result['response'], published)}",
        "",
        "Outcomes",
        *(f"  {name.replace('_', ' '):<30} {count:>8}" for name, count in outcomes.items()),
        "",
        "Follow-up points (weeks after discharge)",
    ]
    if not result["follow_up_points"]:
        lines.append("  none due yet")
    for point in result["follow_up_points"]:
        lines.append(
            f"  {point['weeks']:>3} weeks: closed {point['closed']}, answered {point['answered']}, "
            f"recovered {point['recovered']}; ITT {_rate(point['itt'], published).strip()}"
        )
    lines += ["", "By disorder first presented with (episodes; durable recovery, intention to treat)"]
    for name, block in result["by_disorder"].items():
        itt = _rate(block["durable_recovery"]["itt"], published)
        lines.append(f"  {DISORDER_LABELS[name]:<37} {block['episodes']:>7}  {itt}")
    reported = result["service_reported"]
    lines += [
        "",
        "What services report (PHQ-9/GAD-7 simplification)",
        f"  recovery                       {_rate(reported['recovery'], published)}",
        f"  reliable recovery              {_rate(reported['reliable_recovery'], published)}",
    ]
    return "\n".join(lines)
