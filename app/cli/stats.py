"""`flask stats ...`: durable-recovery statistics. Printing outcomes is operator access, so it is audited."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import click
from flask.cli import with_appcontext

from app.cli.common import cli_actor, command_with_clear_errors, parse_day, parse_instant, today_in_london
from app.domain.labels import DISORDER_LABELS


def _day_and_now(as_of: str | None) -> tuple[date, datetime]:
    """The as-of date given (YYYY-MM-DD), else today in London; and now."""
    now = parse_instant(None, "now")
    return (parse_day(as_of, "--as-of") if as_of else today_in_london(now)), now


def _echo(result: dict[str, Any], output_format: str, table: Callable[[], str]) -> None:
    """The result as indented JSON, or as the table `table` renders."""
    click.echo(json.dumps(result, indent=2) if output_format == "json" else table())


@click.group(help="Durable-recovery statistics.")
def stats() -> None:
    pass


# app.domain.agreement's defaults, kept here so that `flask --help` does not load numpy
# (tests/integration/test_stats_agreement.py checks they agree).
AGREEMENT_SEED = 1
AGREEMENT_RESAMPLES = 2000


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

    day, now = _day_and_now(as_of)
    result = statistics.facts.summary(  # from the outcome facts when they are current enough
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
    _echo(result, output_format, lambda: render_table(result, service_code or area_code or "all services", published))


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


@stats.command(
    "compare",
    help="Every service beside the pooled target: durable recovery (ITT) with exact binomial funnel limits "
    "(95% and 99.8%), the overdispersion check, case-mix adjusted rates (O/E) and what each service reports "
    "about itself (SPEC 8.1, methodology version 2).",
)
@click.option(
    "--as-of",
    help="Count discharges and answers up to this date (YYYY-MM-DD), not after today in London. Default: today.",
)
@click.option("--area", "area_code", help="Only the services of this area (the target pools them).")
@click.option("--published", is_flag=True, help="Apply disclosure control, as for anything published.")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True)
@with_appcontext
@command_with_clear_errors
def compare(as_of: str | None, area_code: str | None, published: bool, output_format: str) -> None:
    from app.services import statistics

    day, now = _day_and_now(as_of)
    result = statistics.compare(day, area_code=area_code, published=published, actor=cli_actor(), now=now)
    _echo(result, output_format, lambda: render_comparison(result, area_code or "all services", published))


def _share(value: Any, published: bool) -> str:
    """A proportion as a percentage (published figures are whole percentages already)."""
    if value is None:
        return "-"
    if value == "*":
        return "*"
    return f"{value}%" if published else f"{value * 100:.1f}%"


def _pair(pair: Any, published: bool, ratio: bool = False) -> str:
    if pair is None or pair == "*":
        return "-" if pair is None else "*"
    if ratio:
        return f"{pair[0]:.2f}-{pair[1]:.2f}"
    return f"{_share(pair[0], published)}-{_share(pair[1], published)}"


def _level(limits: Any, level: str) -> Any:
    """One level's limits: None (too few to judge), "*" (suppressed) or [low, high]."""
    return limits[level] if isinstance(limits, dict) else limits


def _ratio(value: Any) -> str:
    if value is None:
        return "-"
    return "*" if value == "*" else f"{value:.2f}"


def _gap(gap: Any, published: bool) -> str:
    """Independent minus reported, in percentage points."""
    if gap is None or gap == "*":
        return "-" if gap is None else "*"
    return f"{gap:+.0f}" if published else f"{gap * 100:+.1f}"


def render_comparison(result: dict[str, Any], scope: str, published: bool) -> str:
    """A readable comparison for people at a terminal; the JSON format has every figure."""
    target, od = result["target"], result["overdispersion"]
    lines = [
        f"Stillwell comparison: {scope}, as of {result['as_of']} (methodology {result['methodology']}"
        f"{', published: small counts suppressed, others rounded to 5' if published else ''})",
        f"Target (pooled ITT durable recovery): {_rate(target, published).strip()}",
        f"Overdispersion: {od['services']} services judged, phi {od['phi']:.2f}, tau2 {od['tau2']:.4f}; "
        + ("random-effects limits (services differ more than chance allows)" if od["adjusted"] else "exact limits"),
        "",
        f"{'service':<12} {'eligible':>8} {'observed':>9} {'95% limits':>13} {'99.8% limits':>13} {'position':<11}"
        f" {'O/E':>5} {'adjusted':>9} {'adj. position':<13} {'reported':>9} {'gap':>7}",
    ]
    for row in result["services"]:
        observed, limits = row["observed"], row["limits"]
        gap = row.get("gap")
        lines.append(
            f"{row['service']:<12} {observed['denominator']!s:>8} {_share(observed['rate'], published):>9}"
            f" {_pair(_level(limits, '95'), published):>13} {_pair(_level(limits, '99.8'), published):>13}"
            f" {row['position']:<11} {_ratio(row['observed_expected']):>5}"
            f" {_share(row['adjusted_rate'], published):>9} {row.get('adjusted_position', '-'):<13}"
            f" {_share(row['service_reported_recovery']['rate'], published):>9}"
            f" {_gap(gap, published):>7}"
        )
    if not result["services"]:
        lines.append("(no services in scope)")
    lines += [
        "",
        "observed: durably recovered / eligible; limits around the target for the service's number of eligible "
        "episodes; too_few: under 20 eligible.",
        "O/E: observed / expected recoveries from the case-mix regression; adjusted = O/E x target; "
        "reported: the service's own recovery figure (PHQ-9/GAD-7 simplification); gap = observed - reported "
        "(percentage points).",
    ]
    return "\n".join(lines)


@stats.command(
    "agreement",
    help="Agreement between the texted outcomes and the blind telephone assessor (SPEC 8.4): the 2x2 table of "
    "text-based against assessor durable recovery, percent agreement, Cohen's kappa with its 95% interval, the "
    "sensitivity and specificity of the texts (Wilson intervals), and the ITT durable recovery corrected for "
    "misclassification (Rogan-Gladen) with a seeded bootstrap 95% interval. The pairs are the calls reached with "
    "an interview on or before the as-of date whose episode is in scope.",
)
@click.option(
    "--as-of",
    help="Count discharges, answers and interviews up to this date (YYYY-MM-DD), not after today in London. "
    "Default: today.",
)
@click.option("--service", "service_code", help="Only this service.")
@click.option("--area", "area_code", help="Only this area.")
@click.option(
    "--seed",
    type=int,
    default=AGREEMENT_SEED,
    show_default=True,
    help="Seed of the bootstrap (same seed, same interval).",
)
@click.option(
    "--resamples",
    type=click.IntRange(min=1),
    default=AGREEMENT_RESAMPLES,
    show_default=True,
    help="Bootstrap resamples for the corrected figure's interval.",
)
@click.option("--published", is_flag=True, help="Apply disclosure control, as for anything published.")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True)
@with_appcontext
@command_with_clear_errors
def agreement(
    as_of: str | None,
    service_code: str | None,
    area_code: str | None,
    seed: int,
    resamples: int,
    published: bool,
    output_format: str,
) -> None:
    from app.services import statistics

    if service_code and area_code:
        raise click.UsageError("give --service or --area, not both")
    day, now = _day_and_now(as_of)
    result = statistics.agreement(
        day,
        service_code=service_code,
        area_code=area_code,
        seed=seed,
        resamples=resamples,
        published=published,
        actor=cli_actor(),
        now=now,
    )
    _echo(
        result, output_format, lambda: render_agreement(result, service_code or area_code or "all services", published)
    )


def _estimate(figure: dict[str, Any], published: bool, *, percent: bool) -> str:
    value, interval = figure["estimate"], figure["ci95"]
    if value is None:
        return f"{'':>13}   -"
    if value == "*":
        return f"{'':>13}   * (suppressed)"
    shown = (lambda x: f"{x}%") if published else (lambda x: f"{x * 100:.1f}%")
    if not percent:
        shown = (lambda x: f"{x:.2f}") if published else (lambda x: f"{x:.3f}")
    ci = "no interval" if interval is None else f"95% CI {shown(interval[0])} to {shown(interval[1])}"
    return f"{'':>13}  {shown(value)}  ({ci})"


def render_agreement(result: dict[str, Any], scope: str, published: bool) -> str:
    """The agreement figures for people at a terminal; the JSON format has every figure."""
    table, calls, corrected = result["table"], result["calls"], result["corrected_itt_durable_recovery"]
    lines = [
        f"Stillwell agreement with the independent assessor: {scope}, as of {result['as_of']}"
        f"{' (published: small counts suppressed, others rounded to 5)' if published else ''}",
        "",
        f"Calls sampled {calls['sampled']}: reached {calls['reached']}, declined {calls['declined']}, "
        f"not reached {calls['not_reached']}, still to call {calls['to_call']}, "
        f"answers withdrawn since {calls['answers_withdrawn']}",
        f"Pairs (text and assessor) {result['pairs']}",
        "",
        f"{'':<28} {'assessor recovered':>19} {'assessor not':>13}",
        f"{'texts: durably recovered':<28} {table['both_recovered']!s:>19} {table['text_only']!s:>13}",
        f"{'texts: not recovered':<28} {table['assessor_only']!s:>19} {table['neither']!s:>13}",
        "",
        f"  percent agreement              {_rate(result['percent_agreement'], published)}",
        f"  sensitivity of the texts       {_rate(result['sensitivity'], published)}",
        f"  specificity of the texts       {_rate(result['specificity'], published)}",
        f"  Cohen's kappa                  {_estimate(result['kappa'], published, percent=False)}",
        "",
        f"  ITT durable recovery (texts)   {_rate(result['itt_durable_recovery'], published)}",
        f"  corrected (Rogan-Gladen)       {_estimate(corrected, published, percent=True)}",
        f"    bootstrap: {corrected['resamples']} resamples, seed {corrected['seed']}, "
        f"{corrected['undefined_resamples']} left out (Se + Sp - 1 <= 0, or Se or Sp undefined)",
    ]
    return "\n".join(lines)


@stats.group(
    "facts",
    help="The outcome facts the dashboard reads (SPEC 8.5): each episode's part of the summary, kept in the "
    "database and folded in as changes arrive. The scheduler keeps them current; these commands build, fold "
    "and inspect them by hand.",
)
def facts_group() -> None:
    pass


@facts_group.command("rebuild", help="Compute every episode's outcome fact and the totals from scratch, as of a day.")
@click.option("--as-of", help="The facts' day (YYYY-MM-DD), not after today in London. Default: today.")
@with_appcontext
@command_with_clear_errors
def facts_rebuild(as_of: str | None) -> None:
    import sys

    from app.services.statistics import facts, refuse_future_as_of

    now = parse_instant(None, "now")
    day = refuse_future_as_of(parse_day(as_of, "--as-of"), now) if as_of else today_in_london(now)
    with click.progressbar(length=1, label="computing outcome facts", file=sys.stderr) as bar:

        def progress(done: int, total: int) -> None:
            bar.length = total
            bar.update(done - bar.pos)

        counted = facts.rebuild(day, now, progress=progress)
    click.echo(f"outcome facts rebuilt as of {day.isoformat()}: {counted} episodes")


@facts_group.command("fold", help="Move the facts' day on to today and fold in every episode changes have queued.")
@with_appcontext
@command_with_clear_errors
def facts_fold() -> None:
    from app.services.statistics import facts

    now = parse_instant(None, "now")
    if facts.state() is None:
        raise click.ClickException("the outcome facts are not built yet: run `flask stats facts rebuild`")
    advanced = facts.advance(today_in_london(now))
    folded = facts.fold_all()
    click.echo(
        f"{folded} episodes folded in" + (f"; the facts' day moved on to {today_in_london(now)}" if advanced else "")
    )


@facts_group.command("status", help="As of which day the facts are, how many there are and how many are pending.")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True)
@with_appcontext
@command_with_clear_errors
def facts_status(output_format: str) -> None:
    from app.services.statistics import facts

    current = facts.status()
    values = {
        "as_of": current.as_of.isoformat() if current.as_of else None,
        "version": current.version,
        "facts": current.facts,
        "stale": current.stale,
        "expired": current.expired,
        "cells": current.cells,
    }
    if output_format == "json":
        click.echo(json.dumps(values, indent=2))
        return
    if current.as_of is None:
        click.echo(
            "outcome facts: not built (the dashboard computes every view in full); run `flask stats facts rebuild`"
        )
        return
    click.echo(
        f"outcome facts as of {values['as_of']}: {current.facts} episodes in {current.cells} cells; pending: "
        f"{current.stale} changed, {current.expired} whose day has come"
    )
