"""Releases: the published figures for a scope, frozen as of a date, with a SHA-256 anyone can check.

What is hashed is exactly the JSON document served at /published/<id>.json (and by the API at
/api/v1/releases/<id>): an object with the release's metadata (`format`, `title`, `as_of`,
`scope`, `methodology`, `software_version`, `created_at`, `disclosure_control`) and `figures`,
the output of `flask stats summary --published` for that scope and date, serialised with sorted
keys, separators "," and ":", no ASCII escaping, UTF-8 (SPEC section 4). The stored `payload` is
that text, so the download is byte for byte what was hashed. A release is never updated: the
ORM refuses any change to a stored row (see `_refuse_change`).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from sqlalchemy import func, select

from app.domain.disclosure import PublishedCount, publish_count
from app.extensions import db
from app.models import Area, Episode, Release, Service
from app.services import audit
from app.services.errors import NotFound, ServiceError
from app.services.organisation import get_area, get_service

SCOPE_KINDS: Final = ("all", "area", "service")
#: Identifies the layout of the released document, so readers can tell future layouts apart.
FORMAT: Final = "stillwell-release/1"
TITLE_MAX: Final = 200
#: Dates the statistics can be computed for (the readers step a day either side of A).
EARLIEST_AS_OF: Final = date(1900, 1, 1)
LATEST_AS_OF: Final = date(2999, 12, 31)
#: The largest id an integer primary key can hold on every database (PostgreSQL's int4).
MAX_ID: Final = 2**31 - 1
DISCLOSURE_CONTROL: Final = (
    'counts of 1-7 are shown as "*"; other counts are rounded to the nearest 5; a rate whose numerator '
    'or denominator is 1-7 is "*" with its interval; rates and intervals are whole percentages computed '
    'from unrounded counts; Kaplan-Meier and effect-size figures are "*" when their n or events are 1-7'
)
_REPOSITORY = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Verification:
    """The outcome of re-hashing a stored release."""

    release_id: int
    stored: str
    computed: str
    canonical: bool  # the payload is exactly the canonical serialisation of its own content

    @property
    def ok(self) -> bool:
        return self.stored == self.computed and self.canonical


def canonical_json(document: Any) -> bytes:
    """Sorted keys, separators "," and ":", no ASCII escaping, UTF-8; NaN and infinity refused."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode(
        "utf-8"
    )


def sha256_hex(data: bytes) -> str:
    """The SHA-256 of some bytes, as 64 lower-case hex digits (what `sha256sum` prints)."""
    return hashlib.sha256(data).hexdigest()


@lru_cache(maxsize=1)
def software_version() -> str:
    """`git describe --always --dirty --tags` of the running code; STILLWELL_VERSION or "unknown" without git."""
    try:
        described = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--tags"],  # noqa: S607 - git from PATH, fixed arguments
            cwd=_REPOSITORY,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        described = ""
    return (described or os.environ.get("STILLWELL_VERSION", "").strip() or "unknown")[:100]


def check_as_of(as_of: date) -> date:
    """Refuse dates the statistics cannot be computed for."""
    if not EARLIEST_AS_OF <= as_of <= LATEST_AS_OF:
        raise ServiceError(f"the as-of date must be between {EARLIEST_AS_OF} and {LATEST_AS_OF}")
    return as_of


def check_scope(scope_kind: str, scope_code: str | None) -> str | None:
    """A valid (kind, code) pair: no code for "all"; an existing area or service code otherwise."""
    if scope_kind not in SCOPE_KINDS:
        raise ServiceError(f"scope must be one of {', '.join(SCOPE_KINDS)}, not {scope_kind!r}")
    if scope_kind == "all":
        if scope_code:
            raise ServiceError("a release of all services takes no area or service code")
        return None
    if not scope_code:
        raise ServiceError(f"a release of one {scope_kind} needs its code")
    (get_area if scope_kind == "area" else get_service)(scope_code)  # NotFound names the code
    return scope_code


def default_title(as_of: date, scope_kind: str, scope_code: str | None) -> str:
    """A plain title naming the scope and the date."""
    scope = "all services" if scope_kind == "all" else f"{scope_kind} {scope_code}"
    return f"Durable recovery after NHS Talking Therapies: {scope}, as of {as_of.isoformat()}"


def build_document(
    figures: dict[str, Any],
    *,
    as_of: date,
    scope_kind: str,
    scope_code: str | None,
    title: str,
    software: str,
    created_at: datetime,
    comparison: dict[str, Any] | None = None,
    agreement: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The released document: its metadata and the published figures (with, for all services or an area,
    the published comparison of its services, SPEC 8.1; and the published agreement with the independent
    assessor, SPEC 8.4). Its canonical JSON is hashed."""
    document = {
        "format": FORMAT,
        "title": title,
        "as_of": as_of.isoformat(),
        "scope": {"kind": scope_kind, "code": scope_code},
        "methodology": figures["methodology"],
        "software_version": software,
        "created_at": created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "disclosure_control": DISCLOSURE_CONTROL,
        "figures": figures,
    }
    if comparison is not None:
        document["comparison"] = comparison
    if agreement is not None:
        document["agreement"] = agreement
    return document


def create_release(
    as_of: date,
    scope_kind: str,
    scope_code: str | None,
    actor: str,
    now: datetime,
    title: str | None = None,
) -> Release:
    """Freeze the published figures for a scope as of a date; returns the stored release."""
    from app.services import statistics  # numpy and friends load only when figures are made

    check_as_of(as_of)
    statistics.refuse_future_as_of(as_of, now)  # figures for a day not over yet would be frozen wrong
    scope_code = check_scope(scope_kind, scope_code)
    title = (title or "").strip() or default_title(as_of, scope_kind, scope_code)
    if len(title) > TITLE_MAX:
        raise ServiceError(f"a release title has at most {TITLE_MAX} characters")
    service_code = scope_code if scope_kind == "service" else None
    area_code = scope_code if scope_kind == "area" else None
    figures = statistics.summary(as_of, service_code=service_code, area_code=area_code, published=True)
    # The corrected figure corrects the unrounded ITT rate of the same scope (read as `stats summary` reads it).
    agreement = statistics.agreement(as_of, service_code=service_code, area_code=area_code, published=True)
    comparison = None
    if scope_kind in ("all", "area"):  # a service alone has nothing to be compared with
        comparison = statistics.compare(as_of, area_code=scope_code, published=True)
    software = software_version()
    document = build_document(
        figures,
        as_of=as_of,
        scope_kind=scope_kind,
        scope_code=scope_code,
        title=title,
        software=software,
        created_at=now,
        comparison=comparison,
        agreement=agreement,
    )
    payload = canonical_json(document)
    release = Release(
        created_at=now,
        created_by=actor[:254],
        as_of=as_of,
        scope_kind=scope_kind,
        scope_code=scope_code,
        methodology=int(figures["methodology"]),
        software_version=software,
        sha256=sha256_hex(payload),
        payload=payload.decode("utf-8"),
        title=title,
    )
    db.session.add(release)
    db.session.flush()
    audit.record(
        actor,
        "release.created",
        now,
        subject=f"release:{release.id}",
        as_of=as_of.isoformat(),
        scope=scope_kind if scope_code is None else f"{scope_kind}:{scope_code}",
        sha256=release.sha256,
    )
    db.session.commit()
    return release


def get_release(release_id: int) -> Release:
    """One release, or NotFound."""
    release = db.session.get(Release, release_id) if 1 <= release_id <= MAX_ID else None
    if release is None:
        raise NotFound(f"no release has id {release_id}")
    return release


def list_releases(page: int = 1, per_page: int = 20) -> tuple[list[Release], int]:
    """One page of releases, newest first, and how many there are in all."""
    total = db.session.scalar(select(func.count()).select_from(Release)) or 0
    rows = db.session.scalars(
        select(Release)
        .order_by(Release.created_at.desc(), Release.id.desc())
        .limit(per_page)
        .offset((max(page, 1) - 1) * per_page)
    ).all()
    return list(rows), int(total)


def releases_for_area(area_id: int, limit: int = 50) -> list[Release]:
    """The newest releases covering one area: those of the area itself and of its services (for its commissioners)."""
    area = db.session.get(Area, area_id)
    if area is None:
        return []
    service_codes = select(Service.code).where(Service.area_id == area.id)
    rows = db.session.scalars(
        select(Release)
        .where(
            ((Release.scope_kind == "area") & (Release.scope_code == area.code))
            | ((Release.scope_kind == "service") & Release.scope_code.in_(service_codes))
        )
        .order_by(Release.created_at.desc(), Release.id.desc())
        .limit(limit)
    ).all()
    return list(rows)


def payload_bytes(release: Release) -> bytes:
    """The exact bytes whose SHA-256 is the release's hash."""
    return release.payload.encode("utf-8")


def document(release: Release) -> dict[str, Any]:
    """The released document, parsed."""
    parsed: dict[str, Any] = json.loads(release.payload)
    return parsed


def tidy_rows(released: dict[str, Any]) -> list[tuple[str, str, str | int | float]]:
    """A released document as (section, key, value) rows: metadata, then every figure, in document order.

    Sections are the top-level names (`release` for the metadata); keys are dotted paths below them,
    a follow-up point named by its weeks (`26_weeks.itt.rate`) and an interval by its ends
    (`ci95.low`, `ci95.high`). Values are as published: numbers (as numbers), "*" for suppressed, empty for
    null.
    """
    rows: list[tuple[str, str, str | int | float]] = []
    for key, value in released.items():
        if key in ("figures", "comparison", "agreement"):
            continue
        if key == "scope":
            rows += [("release", "scope.kind", _cell(value["kind"])), ("release", "scope.code", _cell(value["code"]))]
        else:
            rows.append(("release", key, _cell(value)))
    for section, value in released["figures"].items():
        if section in ("methodology", "as_of"):
            continue  # already in the release metadata
        if section == "follow_up_points":
            for point in value:
                rows += _flatten(section, f"{point['weeks']}_weeks", {k: v for k, v in point.items() if k != "weeks"})
        else:
            rows += _flatten(section, "", value)
    comparison = released.get("comparison")
    if comparison is not None:  # every service by its code; the limit curves by level and row
        for key, value in comparison.items():
            if key in ("methodology", "as_of"):
                rows.append(("comparison", key, _cell(value)))
            elif key == "services":
                for row in value:
                    rows += _flatten(
                        "comparison", f"services.{row['service']}", {k: v for k, v in row.items() if k != "service"}
                    )
            else:
                rows += _flatten("comparison", key, value)
    agreement = released.get("agreement")
    if agreement is not None:  # releases made before SPEC 8.4's agreement have none
        rows += _flatten("agreement", "", {k: v for k, v in agreement.items() if k != "as_of"})
    return rows


def _flatten(section: str, prefix: str, value: Any) -> list[tuple[str, str, str | int | float]]:
    if isinstance(value, dict):
        rows: list[tuple[str, str, str | int | float]] = []
        for key, inner in value.items():
            rows += _flatten(section, f"{prefix}.{key}" if prefix else str(key), inner)
        return rows
    if isinstance(value, list) and len(value) == 2 and prefix.endswith("ci95"):
        return [(section, f"{prefix}.low", _cell(value[0])), (section, f"{prefix}.high", _cell(value[1]))]
    if isinstance(value, list):
        return [(section, f"{prefix}.{i}", _cell(item)) for i, item in enumerate(value)]
    if prefix.endswith("ci95") and value in (None, "*"):
        return [(section, f"{prefix}.low", _cell(value)), (section, f"{prefix}.high", _cell(value))]
    return [(section, prefix, _cell(value))]


def _cell(value: Any) -> str | int | float:
    """A released value as a CSV cell: numbers stay numbers; text as published; null is empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    return str(value)


def episodes_arrived_since(created_at: datetime, as_of: date, scope_kind: str, scope_code: str | None) -> int:
    """Episodes in scope, discharged on or before `as_of`, imported after `created_at`: late arrivals.

    Live figures for a past date move as late discharge lists arrive; a release made before them does not."""
    query = select(func.count()).select_from(Episode).where(Episode.created_at > created_at)
    query = query.where(Episode.discharge_date <= as_of)
    if scope_kind == "service":
        query = query.join(Service, Service.id == Episode.service_id).where(Service.code == scope_code)
    elif scope_kind == "area":
        query = query.join(Service, Service.id == Episode.service_id).join(Area, Area.id == Service.area_id)
        query = query.where(Area.code == scope_code)
    return int(db.session.scalar(query) or 0)


def late_arrivals(release: Release) -> PublishedCount:
    """How many episodes in the release's scope and dates were imported after it was made, disclosure-controlled
    like every published count ("*" for 1-7, others rounded to 5)."""
    count = episodes_arrived_since(release.created_at, release.as_of, release.scope_kind, release.scope_code)
    return publish_count(count)


def verify_release(release_id: int) -> Verification:
    """Recompute the SHA-256 of a stored release and check its payload is canonical JSON."""
    release = get_release(release_id)
    data = payload_bytes(release)
    try:
        canonical = canonical_json(json.loads(data)) == data
    except ValueError:
        canonical = False
    return Verification(release_id=release.id, stored=release.sha256, computed=sha256_hex(data), canonical=canonical)
