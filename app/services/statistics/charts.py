"""Server-rendered charts: SVG text drawn with matplotlib's object-oriented API (no pyplot, no GUI).

Every chart carries a <title> and a <desc> that state its numbers, so a screen reader (or a PDF
reader) gets the same facts as the picture; the pages put the same numbers in a table beside it.
Output is deterministic (fixed hash salt, no date in the metadata), contains no script, and never
relies on colour alone: every bar is labelled with its value.

Rates come as SPEC RATE dicts, either unsuppressed (`rate` a fraction 0-1, `ci95` two fractions)
or published (`published=True`: whole percentages, or "*" when suppressed). A missing rate is drawn
as a short dashed outline at 0 labelled "no data" (never a bar that could be read as 100%), a
suppressed one the same way labelled "suppressed".
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Mapping, Sequence
from typing import Any, Final
from xml.sax.saxutils import escape

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullFormatter

SUPPRESSED: Final = "*"
#: GOV.UK-like palette: dark enough for 3:1 against white for graphics (WCAG 1.4.11).
BAR_COLOUR: Final = "#1d70b8"
EMPTY_COLOUR: Final = "#b1b4b6"
INK: Final = "#0b0c0c"
BAND_COLOUR: Final = "#c5dcf0"
WIDTH_INCHES: Final = 7.0
#: A rate with no data (or suppressed) is a dashed outline this wide (in percent), labelled beside it.
NO_DATA_WIDTH: Final = 2.0
_RC: Final[dict[Any, Any]] = {
    "svg.hashsalt": "stillwell-charts",  # stable clip-path ids: same numbers, same bytes
    "svg.fonttype": "none",  # text stays text: selectable, small, read by assistive technology
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "text.color": INK,
    "axes.labelcolor": INK,
    "axes.edgecolor": INK,
    "xtick.color": INK,
    "ytick.color": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
# rc_context changes global settings: one chart at a time per process keeps them consistent.
_LOCK: Final = threading.Lock()


def rate_bars(
    title: str, rows: Sequence[tuple[str, dict[str, Any]]], *, published: bool = False, description: str | None = None
) -> str:
    """Horizontal bars of RATE dicts with 95% interval whiskers, each bar labelled with its value."""
    labels = [label for label, _ in rows]
    values = [_rate_percent(rate, published) for _, rate in rows]
    texts = [_rate_text(rate, published) for _, rate in rows]
    summary = description or _describe(title, [f"{label}: {text}" for label, text in zip(labels, texts, strict=True)])
    drawn = [_rate_text(rate, published, interval=False) for _, rate in rows]  # the whisker shows the interval
    with _LOCK, matplotlib.rc_context(_RC):
        fig = Figure(figsize=(WIDTH_INCHES, 0.9 + 0.42 * max(len(rows), 1)))
        ax = fig.add_subplot()
        positions = list(range(len(rows)))
        for y, (value, ci) in zip(positions, values, strict=True):
            if value is None:
                # a short outlined stub, labelled beside it: never a bar that could be read as a rate
                ax.barh(y, NO_DATA_WIDTH, color="white", edgecolor=INK, linestyle="--", height=0.6, gid=f"no-data-{y}")
                continue
            ax.barh(y, value, color=BAR_COLOUR, height=0.6, gid=f"bar-{y}")
            if ci is not None:
                # Wilson bounds at a rate of 0 or 1 can land a rounding error beyond the rate itself.
                below, above = max(0.0, value - ci[0]), max(0.0, ci[1] - value)
                ax.errorbar(value, y, xerr=[[below], [above]], fmt="none", ecolor=INK, capsize=4, linewidth=1.2)
        for y, ((value, ci), text) in enumerate(zip(values, drawn, strict=True)):
            right = ci[1] if ci is not None else (value if value is not None else 0)
            x = NO_DATA_WIDTH + 1.5 if value is None else min(right + 1.5, 101)
            ax.text(x, y, text, va="center", ha="left", fontsize=9)
        ax.set_yticks(positions, labels)
        ax.invert_yaxis()
        ax.set_xlim(0, 140)
        ax.set_xticks([0, 20, 40, 60, 80, 100], ["0%", "20%", "40%", "60%", "80%", "100%"])
        ax.spines["bottom"].set_bounds(0, 100)
        ax.set_xlabel("Rate with 95% interval")
        _finish(fig, ax, title, empty=not rows)
        return _svg(fig, title, summary)


def funnel(title: str, steps: Sequence[tuple[str, int | str]], *, description: str | None = None) -> str:
    """The attrition funnel: one bar per step, labelled with its count and its share of the first step."""
    first = steps[0][1] if steps else 0
    texts = [_count_text(count, first) for _, count in steps]
    summary = description or _describe(
        title, [f"{label}: {text}" for (label, _), text in zip(steps, texts, strict=True)]
    )
    widths = [count if isinstance(count, int) else 0 for _, count in steps]
    top = max(widths, default=0) or 1
    with _LOCK, matplotlib.rc_context(_RC):
        fig = Figure(figsize=(WIDTH_INCHES, 0.9 + 0.42 * max(len(steps), 1)))
        ax = fig.add_subplot()
        positions = list(range(len(steps)))
        for y, width in zip(positions, widths, strict=True):
            ax.barh(y, width, color=BAR_COLOUR if width else EMPTY_COLOUR, height=0.6)
        for y, (width, text) in enumerate(zip(widths, texts, strict=True)):
            ax.text(width + top * 0.015, y, text, va="center", ha="left", fontsize=9)
        ax.set_yticks(positions, [label for label, _ in steps])
        ax.invert_yaxis()
        ax.set_xlim(0, top * 1.35)
        ax.set_xlabel("Episodes")
        _finish(fig, ax, title, empty=not steps)
        return _svg(fig, title, summary)


def distribution(title: str, counts: Sequence[tuple[str, int | str]], *, description: str | None = None) -> str:
    """Vertical bars of counts (e.g. the change distribution), each labelled with its count."""
    total = sum(n for _, n in counts if isinstance(n, int))
    texts = [_count_text(n, total) for _, n in counts]
    summary = description or _describe(
        title, [f"{label}: {text}" for (label, _), text in zip(counts, texts, strict=True)]
    )
    heights = [n if isinstance(n, int) else 0 for _, n in counts]
    top = max(heights, default=0) or 1
    with _LOCK, matplotlib.rc_context(_RC):
        fig = Figure(figsize=(WIDTH_INCHES, 3.6))
        ax = fig.add_subplot()
        positions = list(range(len(counts)))
        ax.bar(positions, heights, color=BAR_COLOUR, width=0.6)
        for x, (n, text) in enumerate(zip(heights, texts, strict=True)):
            ax.text(x, n + top * 0.02, text, ha="center", va="bottom", fontsize=9)
        ax.set_xticks(positions, [label for label, _ in counts])
        ax.set_ylim(0, top * 1.2)
        ax.set_ylabel("Episodes")
        _finish(fig, ax, title, empty=not counts or total == 0)
        return _svg(fig, title, summary)


def survival_curve(
    title: str,
    points: Sequence[tuple[float, float]],
    *,
    band: Sequence[tuple[float, float, float]] | None = None,
    marks: Sequence[tuple[float, float | None]] = (),
    at_risk: Sequence[tuple[float, int]] = (),
    followed_weeks: float | None = None,
    minimum: int | None = None,
    description: str | None = None,
) -> str:
    """A Kaplan-Meier step curve: weeks on x, the proportion still well on y, optional 95% band.

    `points`: (weeks, S) steps, starting at (0, 1.0), only as far as the curve is to be drawn;
    `band`: (weeks, lower, upper) steps; `marks`: (weeks, estimate) to label on the curve, e.g. still
    well at 26 and 52 weeks; `at_risk`: (weeks, people at risk), shown as a row of numbers under the
    x axis at those ticks; `followed_weeks`: how far follow-up goes (the x axis spans it even where
    the curve is not drawn); `minimum`: the curve is drawn only while this many or more are at risk.
    """
    if description is None:
        parts = [f"{len(points)} steps"]
        parts += [f"still well at {weeks:g} weeks: {_percent(est)}" for weeks, est in marks]
        if points:
            parts.append(f"last step at {points[-1][0]:.1f} weeks, {_percent(points[-1][1])} still well")
        if minimum is not None and followed_weeks is not None:
            parts.append(_drawn_text(points, minimum))
        if at_risk:
            parts.append("numbers at risk: " + ", ".join(f"{weeks:g} weeks {n}" for weeks, n in at_risk))
        description = _describe(title, parts)
    with _LOCK, matplotlib.rc_context(_RC):
        fig = Figure(figsize=(WIDTH_INCHES, 4.3 if at_risk else 3.8))
        ax = fig.add_subplot()
        if band:
            ax.fill_between(
                [b[0] for b in band],
                [b[1] for b in band],
                [b[2] for b in band],
                step="post",
                color=BAND_COLOUR,
                linewidth=0,
                label="95% interval",
            )
        if points:
            ax.step(
                [p[0] for p in points],
                [p[1] for p in points],
                where="post",
                color=BAR_COLOUR,
                linewidth=2,
                label="Still well (Kaplan-Meier)",
                gid="km-curve",
            )
            ax.legend(loc="lower left", frameon=False, fontsize=9)
        for weeks, estimate in marks:
            ax.axvline(weeks, color=EMPTY_COLOUR, linestyle="--", linewidth=1)
            ax.text(weeks, 1.02, f"{weeks:g} wk: {_percent(estimate)}", ha="center", va="bottom", fontsize=8)
        ax.set_ylim(0, 1.08)
        ax.set_xlim(left=0)
        if followed_weeks:
            ax.set_xlim(0, max(followed_weeks, *(weeks for weeks, _ in marks)) * 1.02)
        ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0], ["0%", "25%", "50%", "75%", "100%"])
        ax.set_ylabel("Still well")
        label = "Weeks since wellness began"
        if minimum is not None and followed_weeks is not None:
            label += f" (curve {_drawn_text(points, minimum)})"
        ax.set_xlabel(label)
        if at_risk:
            ax.set_xticks([weeks for weeks, _ in at_risk], [f"{weeks:g}" for weeks, _ in at_risk])
            row = ("data", "axes fraction")
            ax.annotate(
                "At risk",
                (0, -0.3),
                xycoords=row,
                xytext=(-14, 0),
                textcoords="offset points",
                ha="right",
                fontsize=9,
                fontweight="bold",
            )
            for weeks, n in at_risk:
                ax.annotate(str(n), (weeks, -0.3), xycoords=row, ha="center", fontsize=9, gid=f"at-risk-{weeks:g}")
        _finish(fig, ax, title, empty=not points and not at_risk)
        return _svg(fig, title, description)


#: Funnel limits, widest first: (key of the `funnel` object of SPEC 8.1, legend text, line style).
FUNNEL_LIMITS: Final = (("99.8", "99.8% limits", "-"), ("95", "95% limits", "--"))
#: Above this ratio of the largest to the smallest episode count, the x axis is logarithmic.
LOG_SPAN: Final = 20.0


def funnel_plot(
    title: str,
    points: Sequence[tuple[str, float, float]],
    curves: Mapping[str, Sequence[Sequence[float]]],
    target: float,
    *,
    x_label: str = "Eligible episodes",
    y_label: str = "Durable recovery",
    percent: bool = True,
    description: str | None = None,
) -> str:
    """A funnel plot (SPEC 8.1): each service a labelled point, the target line, the 95% and 99.8% limits.

    `points`: (label, x, y), x the service's denominator (eligible episodes, or expected recoveries for
    O/E), y its rate as a proportion (or its O/E ratio with `percent=False`); `curves`: the `funnel`
    object, {"95": [[x, lo, hi], ...], "99.8": [...]}. The x axis is logarithmic when the denominators
    span more than LOG_SPAN times (a small service and a large one both stay readable), linear otherwise.
    The description names every service with its value and where it lies against the limits.
    """
    show = _percent if percent else _ratio
    if description is None:
        parts = [f"target {show(target)}"] if points else []
        parts += [
            f"{label}: {show(y)}, {_number(x)} {x_label.lower()}, {_against_limits(x, y, curves)}"
            for label, x, y in points
        ]
        description = _describe(title, parts)
    xs = [float(x) for _, x, _ in points] + [float(row[0]) for rows in curves.values() for row in rows]
    positive = [x for x in xs if x > 0]
    logarithmic = bool(positive) and max(positive) / min(positive) > LOG_SPAN
    with _LOCK, matplotlib.rc_context(_RC):
        fig = Figure(figsize=(WIDTH_INCHES, 4.4))
        ax = fig.add_subplot()
        for key, legend, style in FUNNEL_LIMITS:
            rows = sorted((row for row in curves.get(key, ()) if not logarithmic or row[0] > 0), key=lambda r: r[0])
            if not rows:
                continue
            x_line = [float(r[0]) for r in rows]
            ax.plot(x_line, [float(r[1]) for r in rows], color=INK, linestyle=style, linewidth=1, label=legend)
            ax.plot(x_line, [float(r[2]) for r in rows], color=INK, linestyle=style, linewidth=1)
        if points or curves:
            ax.axhline(target, color=BAR_COLOUR, linewidth=1.5, label=f"Target {show(target)}")
        named = _named_points(points, curves)
        for i, (label, x, y) in enumerate(points):
            ax.plot([x], [y], marker="o", markersize=6, color=BAR_COLOUR, markeredgecolor=INK, gid=f"point-{i}")
            if i in named:
                ax.annotate(label, (x, y), xytext=(5, 4), textcoords="offset points", fontsize=8, parse_math=False)
        if logarithmic:
            ax.set_xscale("log")
            ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
            ax.xaxis.set_minor_formatter(NullFormatter())
        elif positive or points:
            ax.set_xlim(left=0)
        values = [float(y) for _, _, y in points] + [target]
        values += [float(v) for rows in curves.values() for row in rows for v in row[1:3]]
        low, high = min(values), max(values)
        margin = max((high - low) * 0.08, 0.02 if percent else 0.05)
        bottom, top = max(0.0, low - margin), high + margin
        if percent:
            top = min(1.0, top)
            digits = 0 if top - bottom >= 0.1 else 1  # a narrow range keeps its ticks apart
            ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{100 * value:.{digits}f}%"))
        ax.set_ylim(bottom, top if top > bottom else bottom + 1)
        ax.set_xlabel(x_label)
        ax.set_ylabel(y_label)
        if points or curves:
            ax.legend(loc="best", frameon=False, fontsize=8)
        _finish(fig, ax, title, empty=not points)
        return _svg(fig, title, description)


#: Up to this many services, every point of a funnel plot is named; beyond, only those outside the limits
#: and the reader's own ("(yours)"): names of services inside the funnel would pile up on each other. The
#: table beside the chart and its description name every one.
MAX_NAMED_POINTS: Final = 12


def _named_points(
    points: Sequence[tuple[str, float, float]], curves: Mapping[str, Sequence[Sequence[float]]]
) -> set[int]:
    if len(points) <= MAX_NAMED_POINTS:
        return set(range(len(points)))
    return {
        i
        for i, (label, x, y) in enumerate(points)
        if label.endswith("(yours)") or not _against_limits(x, y, curves).startswith(("within", "outside"))
    }


def _against_limits(x: float, y: float, curves: Mapping[str, Sequence[Sequence[float]]]) -> str:
    """Where (x, y) lies against the funnel limits, read off the curves at x (linear interpolation)."""
    covered = False
    for key, _, _ in FUNNEL_LIMITS:
        rows = sorted(curves.get(key, ()), key=lambda r: r[0])
        if not rows or not float(rows[0][0]) <= x <= float(rows[-1][0]):
            continue
        covered = True
        xs = [float(r[0]) for r in rows]
        if y > float(np.interp(x, xs, [float(r[2]) for r in rows])):
            return f"above the {key}% limits"
        if y < float(np.interp(x, xs, [float(r[1]) for r in rows])):
            return f"below the {key}% limits"
    return "within the limits" if covered else "outside the range of the limits drawn"


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _ratio(value: float | None) -> str:
    return "no estimate" if value is None else f"{value:.2f}"


def _drawn_text(points: Sequence[tuple[float, float]], minimum: int) -> str:
    if not points:
        return f"no curve drawn: fewer than {minimum} at risk throughout"
    return f"drawn while {minimum} or more are at risk (to {points[-1][0]:.1f} weeks)"


def _rate_percent(rate: dict[str, Any], published: bool) -> tuple[float | None, tuple[float, float] | None]:
    """(value, interval) in percent, or (None, None) for no data or suppressed."""
    value, ci = rate.get("rate"), rate.get("ci95")
    if value is None or value == SUPPRESSED:
        return None, None
    scale = 1.0 if published else 100.0
    interval = (float(ci[0]) * scale, float(ci[1]) * scale) if isinstance(ci, list | tuple) else None
    return float(value) * scale, interval


def _rate_text(rate: dict[str, Any], published: bool, *, interval: bool = True) -> str:
    value, ci = _rate_percent(rate, published)
    if rate.get("rate") == SUPPRESSED:
        return "suppressed"
    if value is None:
        return "no data"
    digits = 0 if published else 1
    counts = f"{rate.get('numerator')} of {rate.get('denominator')}"
    if not interval:
        return f"{value:.{digits}f}% ({counts})"
    between = f" ({ci[0]:.{digits}f}-{ci[1]:.{digits}f}%)" if ci is not None else ""
    return f"{value:.{digits}f}%{between}, {counts}"


def _count_text(count: int | str, whole: int | str) -> str:
    if count == SUPPRESSED or not isinstance(count, int):
        return "suppressed"
    if isinstance(whole, int) and whole > 0:
        return f"{count} ({100 * count / whole:.0f}%)"
    return str(count)


def _percent(value: float | None) -> str:
    return "no estimate" if value is None else f"{100 * value:.1f}%"


def _describe(title: str, parts: Sequence[str]) -> str:
    return f"{title}. " + ("; ".join(parts) + "." if parts else "No data.")


def _finish(fig: Figure, ax: Any, title: str, *, empty: bool) -> None:
    ax.set_title(title, loc="left", fontsize=11, fontweight="bold")
    if empty:
        ax.text(0.5, 0.5, "No data", transform=ax.transAxes, ha="center", va="center", fontsize=11)
    fig.tight_layout()


_SVG_OPEN: Final = re.compile(r"<svg\b[^>]*>")
_STYLE_ELEMENT: Final = re.compile(r"\s*<style[^>]*>.*?</style>", re.DOTALL)
_STYLE_ATTRIBUTE: Final = re.compile(r'style="([^"]*)"')
#: Every property matplotlib writes in style attributes is also an SVG presentation attribute.
_PRESENTATION: Final = frozenset(
    {
        "fill",
        "fill-opacity",
        "stroke",
        "stroke-width",
        "stroke-linejoin",
        "stroke-linecap",
        "stroke-dasharray",
        "stroke-dashoffset",
        "stroke-opacity",
        "stroke-miterlimit",
        "opacity",
        "font-family",
        "font-size",
        "font-weight",
        "font-style",
        "text-anchor",
        "clip-path",
    }
)
_FONTS: Final = "'DejaVu Sans', Verdana, Arial, sans-serif"


def _attributes(match: re.Match[str]) -> str:
    """style="a: b; c: d" -> a="b" c="d": a strict CSP (style-src 'self') blocks style attributes,
    never presentation attributes."""
    pairs = []
    for declaration in match.group(1).split(";"):
        name, _, value = declaration.partition(":")
        name, value = name.strip(), value.strip()
        if not name:
            continue
        if name not in _PRESENTATION:
            raise ValueError(f"chart style property {name!r} has no presentation attribute")
        if name == "font-family":
            value = _FONTS
        pairs.append(f'{name}="{value}"')
    return " ".join(pairs)


def _svg(fig: Figure, title: str, description: str) -> str:
    """The figure as SVG text with an accessible name and description, no creation date, and no CSS
    (presentation attributes instead), so it renders under a strict content security policy."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    text = _STYLE_ATTRIBUTE.sub(_attributes, _STYLE_ELEMENT.sub("", buffer.getvalue(), count=1))
    opening = _SVG_OPEN.search(text)
    if opening is None:  # pragma: no cover - matplotlib always writes one
        raise RuntimeError("matplotlib wrote no <svg> element")
    tag = opening.group(0)
    # what matplotlib's <style> set for every element, inherited from the root instead
    labelled = tag[:-1] + (
        ' stroke-linejoin="round" stroke-linecap="butt" role="img" aria-labelledby="chart-title chart-desc">'
    )
    header = f'\n <title id="chart-title">{escape(title)}</title>\n <desc id="chart-desc">{escape(description)}</desc>'
    return text[: opening.start()] + labelled + header + text[opening.end() :]
