"""The bulk reader's SQL: `BulkPlan` (what a reader of one id range needs) and `_Sql`, its statements per dialect.

Split from `app.services.statistics.summaries` so that the statement text (where bandit's B608 is reviewed, see
docs/security.md) stands apart from the numpy arithmetic that reads the rows
(`app.services.statistics.reader`) and from the process pool (`app.services.statistics.bulk`).
The check-in codes the SQL computes are defined here and read back by the reader.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from app.models import CheckInStatus

# The bulk reader. Check-in codes computed by SQL (offset * 64 + code): bit 0 skipped (nothing else
# set), 1 answered by A, 2 due by A, 3 unreachable, 4 closed by A (unanswered), 5 withdrawn by A.
_SKIPPED, _ANSWERED, _DUE, _UNREACHABLE, _CLOSED, _WITHDRAWN = 1, 2, 4, 8, 16, 32
#: Consented, and the client has not withdrawn their answers from the figures (flask privacy withdraw).
_CONSENTED: Final = "(e.consent AND e.answers_withdrawn_at IS NULL)"
_TIMESTAMP_TEXT: Final = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores instants in SQLite
#: The episodes query's extra columns when the case mix is wanted (read back by `RangeReader._cells`).
_CASE_MIX_COLUMNS: Final = ", e.intensity, e.age_band, e.sex, e.imd_decile"


@dataclass(frozen=True)
class BulkPlan:
    """What a reader of one id range needs; picklable, for worker processes."""

    url: str
    dialect: str  # sqlite or postgresql
    as_of: date
    service_id: int | None
    area_id: int | None
    zones: tuple[str, ...]
    #: per zone: the first instants (naive UTC text) whose local date is after A and after A - 14
    cuts: tuple[tuple[str, str], ...]
    services: dict[int, tuple[str, str, int]]  # service id -> code, area code, zone index
    shared: bool  # the database can be opened by another process
    #: problem descriptors (as stored) of the problem group asked for; None: every descriptor
    descriptors: tuple[str, ...] | None = None
    discharged_from: date | None = None
    discharged_to: date | None = None
    #: whether the readers tally case-mix cells (`SummaryBuilder(case_mix=True)`, for `stats compare`)
    case_mix: bool = False


class _Sql:
    """The bulk reader's statements for one dialect, with :name parameters.

    Only constants of this module and of the domain are formatted into the text (S608 below):
    every value, time zone names included, is a bound parameter. Instants come back as whole
    seconds since 1970 (floored: local dates change only on whole seconds); dates as day numbers
    (PostgreSQL) or as stored text (SQLite, turned into day numbers through a cache).
    """

    def __init__(self, plan: BulkPlan) -> None:
        self.postgres = plan.dialect == "postgresql"
        self.case_mix = plan.case_mix
        scope = ""
        if plan.service_id is not None:
            scope += " AND e.service_id = :service_id"
        if plan.area_id is not None:
            scope += " AND s.id = e.service_id AND s.area_id = :area_id"
        self.params: dict[str, Any] = {
            "as_of": self._date(plan.as_of),
            "service_id": plan.service_id,
            "area_id": plan.area_id,
        }
        if plan.descriptors is not None:
            marks = ", ".join(f":d{i}" for i in range(len(plan.descriptors)))
            scope += f" AND e.problem_descriptor IN ({marks})" if marks else " AND 1 = 0"
            self.params |= {f"d{i}": descriptor for i, descriptor in enumerate(plan.descriptors)}
        for name, operator in (("discharged_from", ">="), ("discharged_to", "<=")):
            if getattr(plan, name) is not None:
                scope += f" AND {self.at('e.discharge_date')} {operator} :{name}"
                self.params[name] = self._date(getattr(plan, name))
        self.scope = f"{self.at('e.discharge_date')} <= :as_of{scope}"
        self.join = " CROSS JOIN service s" if plan.area_id is not None else ""  # for the area scope
        # SQLite reads check-ins one time zone at a time, with its cut-offs as parameters
        self.zone_params = [
            {
                "zone": zone,
                **{
                    name: datetime.strptime(cut, _TIMESTAMP_TEXT) if self.postgres else cut
                    for name, cut in zip(("after", "window"), cuts, strict=True)
                },
            }
            for zone, cuts in zip(plan.zones, plan.cuts, strict=True)
        ]
        self.after, self.window = ":after", ":window"
        self.zones = len(plan.zones)
        # per zone: whether it has fewer than half the services in scope (read through their services)
        in_zone = [sum(1 for *_, zone in plan.services.values() if zone == i) for i in range(self.zones)]
        self.zone_few = [2 * count < len(plan.services) for count in in_zone]
        if self.postgres:
            # PostgreSQL reads every time zone's check-ins in one query: each episode's cut-offs come
            # from a join of its service's time zone with the list of (zone, after, window) parameters.
            self.zone_params = [
                {f"{name}{i}": value for i, zone in enumerate(self.zone_params) for name, value in zone.items()}
            ]
            self.after, self.window = "z.after_at", "z.window_at"
            self.zone_few = [False]
        self.epoch = (
            "CAST(floor(EXTRACT(EPOCH FROM {})) AS BIGINT)"
            if self.postgres
            else "unixepoch({})"
            if sqlite3.sqlite_version_info >= (3, 38)
            else "CAST(strftime('%s', {}) AS INTEGER)"
        )

    def _date(self, day: date) -> date | str:
        return day if self.postgres else day.isoformat()

    def prepare(self, text: str, **params: Any) -> tuple[str, dict[str, Any]]:
        if self.postgres:
            text = re.sub(r"(?<![\w:]):([a-z_][a-z0-9_]*)", r"%(\1)s", text.replace("%", "%%"))
        return text, self.params | params

    def at(self, column: str) -> str:
        """A date or instant column for comparing with a parameter. In SQLite, `+` drops the column's
        NUMERIC affinity, which would try to read every stored text as a number first (same result, slower)."""
        return column if self.postgres else f"+{column}"

    def day_number(self, column: str) -> str:
        return f"({column} - DATE '0001-01-01' + 1)" if self.postgres else column

    def episodes(self) -> str:
        """Per episode: id, service, discharge month, referral day, sessions, problem descriptor,
        consent + 2 * assessed, and the four scores packed in bytes (score + 1, 0 when missing; -1
        when a score is outside 0-254 and must be read by `scores`); with the case mix, then intensity,
        age band, sex and IMD decile as stored."""
        month = (
            "CAST(EXTRACT(YEAR FROM e.discharge_date) * 100 + EXTRACT(MONTH FROM e.discharge_date) AS INTEGER)"
            if self.postgres
            else "e.discharge_date"
        )
        scores = ("e.phq9_first", "e.phq9_last", "e.gad7_first", "e.gad7_last")
        usual = " AND ".join(f"({x} IS NULL OR {x} BETWEEN 0 AND 254)" for x in scores)
        # PostgreSQL: in bigint, or a last score from 127 up would overflow integer
        weight = "CAST({} AS BIGINT)" if self.postgres else "{}"
        packed = " + ".join(f"{weight.format(256**i)} * COALESCE({x} + 1, 0)" for i, x in enumerate(scores))
        return (
            f"SELECT e.id, e.service_id, {month}, {self.day_number('e.referral_date')},"  # noqa: S608
            f" e.treatment_sessions, e.problem_descriptor,"
            f" (CASE WHEN {_CONSENTED} THEN 1 ELSE 0 END) + (CASE WHEN e.assessment_date IS NULL THEN 0 ELSE 2 END),"
            f" CASE WHEN {usual} THEN {packed} ELSE -1 END{_CASE_MIX_COLUMNS if self.case_mix else ''}"
            f" FROM episode e{self.join}"
            f" WHERE e.id >= :low AND e.id < :high AND {self.scope} ORDER BY e.id"
        )

    def scores(self, episodes: int) -> str:
        marks = ", ".join(f":e{i}" for i in range(episodes))
        return f"SELECT id, phq9_first, phq9_last, gad7_first, gad7_last FROM episode WHERE id IN ({marks})"  # noqa: S608

    def check_ins(self, few: bool = False) -> str:
        """Per check-in: episode id, offset * 64 + code, then the answers (used when answered by A):
        the change answer's instant, the change, usual self as of A, the claimed start as of A.

        With `few` (SQLite: a time zone with few of the services), episodes are found through the
        service index rather than by scanning the id range.

        SQLite spends most of this query's time on expressions: text columns come back as they are
        and Python maps them. Rows need no order (`evaluate_answered` sorts): SQLite gives them in
        id order anyway, PostgreSQL is spared a sort (and the query's rows of one chunk come per time zone)."""
        after, window, at = self.after, self.window, self.at
        due = f"{at('c.due_at')} < {after}"
        unreachable = f"(CASE WHEN c.close_reason = 'unreachable' THEN {_UNREACHABLE} ELSE 0 END)"
        withdrawn = (
            f"c.status = '{CheckInStatus.WITHDRAWN.value}' AND (c.closed_at IS NULL OR {at('c.closed_at')} < {after})"
        )
        closed = (
            f"{at('c.first_sent_at')} < {window}"
            f" OR (({withdrawn}) OR c.close_reason = 'unreachable') AND {at('c.due_at')} < {window}"
            f" OR c.close_reason = 'opt_out' AND {at('c.closed_at')} < {after}"
        )
        code = (
            f"CASE WHEN c.status = '{CheckInStatus.SKIPPED.value}' THEN {_SKIPPED}"
            f" WHEN {at('c.change_at')} < {after} AND c.change <> ''"
            f" THEN {_ANSWERED} + (CASE WHEN {due} THEN {_DUE} + {unreachable} ELSE 0 END)"
            f" WHEN {due} THEN {_DUE} + {unreachable} + (CASE WHEN {closed} THEN {_CLOSED}"
            f" WHEN {withdrawn} THEN {_WITHDRAWN} ELSE 0 END) ELSE 0 END"
        )
        # date_part is a double (EXTRACT a slower numeric): exact enough to floor to the second up to 2106
        instant = "CAST(floor(date_part('epoch', c.change_at)) AS BIGINT)" if self.postgres else "c.change_at"
        claimed = f"CASE WHEN {at('c.duration_at')} < {after} THEN {self.day_number('c.duration_start')} END"
        if self.postgres:
            claimed = f"COALESCE({claimed}, -1)"
        if self.postgres:
            values = ", ".join(f"(:zone{i}, :after{i}, :window{i})" for i in range(self.zones)) or "(NULL, NULL, NULL)"
            zone = (  # OFFSET 0: a table of 200-odd services, hashed, rather than a join per check-in
                f" JOIN (SELECT sz.id, v.after_at, v.window_at FROM service sz JOIN (VALUES {values})"  # noqa: S608
                f" AS v(zone, after_at, window_at) ON v.zone = sz.timezone OFFSET 0) AS z ON z.id = e.service_id"
            )
            in_zone = ""
        else:
            zone, in_zone = "", " AND e.service_id IN (SELECT id FROM service WHERE timezone = :zone)"
        first = "episode e"
        if few and not self.postgres:
            first, in_zone = "service sz CROSS JOIN episode e", " AND sz.timezone = :zone AND e.service_id = sz.id"
        return (
            f"SELECT e.id, c.offset_weeks * 64 + {code}, {instant}, c.change,"  # noqa: S608
            f" CASE WHEN {at('c.usual_self_at')} < {after} THEN c.usual_self END,"
            f" {claimed}"
            # CROSS JOIN: SQLite keeps this order (episodes by id, then their check-ins by index)
            f" FROM {first} CROSS JOIN check_in c{self.join}{zone}"
            f" WHERE c.episode_id = e.id AND e.id >= :low AND e.id < :high"
            f" AND c.episode_id >= :low AND c.episode_id < :high{in_zone}"
            f" AND {_CONSENTED} AND {self.scope}{'' if self.postgres or few else ' ORDER BY e.id'}"
        )

    def opt_events(self, episodes: int) -> str:
        """Opt-outs and resumes of the clients of some episodes, oldest first (as `_opt_events_by_client`)."""
        marks = ", ".join(f":e{i}" for i in range(episodes))
        return (
            f"SELECT e.id, {self.epoch.format('o.at')}, o.kind FROM episode e"  # noqa: S608
            " JOIN client cl ON cl.id = e.client_id JOIN contact_point cp"
            " ON (cp.contact_hash = cl.phone_hash OR cp.contact_hash = cl.email_hash)"
            f" JOIN opt_event o ON o.contact_point_id = cp.id WHERE e.id IN ({marks}) ORDER BY o.at, o.id"
        )

    def bounds(self) -> str:
        return f"SELECT min(e.id), max(e.id) FROM episode e{self.join} WHERE {self.scope}"  # noqa: S608


def _bounds_sql(plan: BulkPlan) -> tuple[str, dict[str, Any]]:
    sql = _Sql(plan)
    return sql.prepare(sql.bounds())
