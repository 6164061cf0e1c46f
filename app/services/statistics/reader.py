"""The bulk reader's arithmetic: `RangeReader` reads the episodes of one id range, through one DBAPI
cursor, into a partial `SummaryBuilder` (no ORM object and no dataclass per row; numpy on day numbers).

Split from `app.services.statistics.summaries`: one range reader, used in this process or in each worker process
(`app.services.statistics.bulk`), with the statements of `app.services.statistics.sql`.
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from itertools import repeat
from operator import itemgetter
from typing import Any, Final
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from app.domain.comparison.cells import CaseMixKey, CaseMixTally
from app.domain.outcomes import (
    CHANGES,
    DISORDERS,
    ELIGIBLE,
    PROBLEM_GROUPS,
    SESSIONS_BANDS,
    WELLNESS,
    AnsweredArrays,
    disorder,
    evaluate_answered,
    problem_group,
    sessions_band,
    unanswered_category,
)
from app.domain.statistics import (
    BREAKDOWNS,
    GAD7_CASENESS,
    GAD7_RELIABLE_CHANGE,
    NOT_CONSENTED,
    PHQ9_CASENESS,
    PHQ9_RELIABLE_CHANGE,
    SummaryBuilder,
)
from app.services.statistics.sql import _ANSWERED, _CLOSED, _DUE, _UNREACHABLE, _WITHDRAWN, BulkPlan, _Sql

#: Episodes per query of the bulk reader (the default of `RangeReader`'s `chunk`).
BULK_CHUNK: Final = 25_000
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_DAY: Final = _EPOCH.date().toordinal()


class _Partial:
    """Counts of one id range, turned into a SummaryBuilder by `builder`."""

    def __init__(self, case_mix: bool = False) -> None:
        self.tally: tuple[dict[tuple[Any, int], int], ...] = tuple({} for _ in BREAKDOWNS)
        self.case_mix: CaseMixTally | None = {} if case_mix else None  # cell -> its counts (CELL_COUNTS)
        self.changes = [0] * len(CHANGES)
        self.points: dict[int, list[int]] = {}
        self.entry, self.time, self.event = array("i"), array("i"), array("b")
        # problem descriptor -> assessed, the 7 service-reported counts, the 9 effect-size sums
        self.reported: dict[str, list[int]] = {}

    def builder(self, as_of: date) -> SummaryBuilder:
        builder = SummaryBuilder(as_of, case_mix=self.case_mix is not None)
        builder.add_counts(self.tally, self.changes, self.points, (self.entry, self.time, self.event))
        for descriptor, figures in self.reported.items():
            builder.add_service_reported(descriptor, figures[0], figures[1:8], figures[8:])
        if self.case_mix is not None:
            builder.add_case_mix(self.case_mix)
        return builder


class RangeReader:
    """Reads episodes of an id range through one DBAPI cursor into a partial SummaryBuilder."""

    def __init__(self, plan: BulkPlan, cursor: Any, *, transaction: bool = False, chunk: int = BULK_CHUNK) -> None:
        self.plan, self.cursor, self.sql = plan, cursor, _Sql(plan)
        self.chunk = chunk  # episodes per query
        self.episode_sql = self.sql.episodes()
        self.check_in_sql = [self.sql.check_ins(few) for few in self.sql.zone_few]
        if self.sql.postgres:
            # Many small range queries: compiling each (JIT) or starting parallel workers costs more
            # than it saves, and the cores are busy with our own workers already.
            scope = "LOCAL " if transaction else ""
            cursor.execute(f"SET {scope}jit = off")
            cursor.execute(f"SET {scope}max_parallel_workers_per_gather = 0")
            # Planned for each chunk's values: a generic plan of the check-ins query (psycopg prepares
            # statements run often) can join the cut-offs per check-in, ten times slower.
            cursor.execute(f"SET {scope}plan_cache_mode = force_custom_plan")
        self.zones = [ZoneInfo(name) for name in plan.zones]
        # per zone: UTC hour (since 1970) -> local day number, or -1 when the hour spans two local dates
        self.hours: list[dict[int, int]] = [{} for _ in plan.zones]
        self.days: dict[str, int] = {}
        self.months: dict[str, int] = {}
        self.stamps: dict[str, int] = {}  # 'YYYY-MM-DD HH' -> UTC hour since 1970 (SQLite)
        top = max(plan.services, default=0) + 1
        self.service_zone = np.zeros(top, dtype=np.int64)
        self.service_area = np.zeros(top, dtype=np.int64)
        self.service_code = [""] * top
        self.area_codes: list[str] = []
        for service_id, (code, area, zone) in plan.services.items():
            if area not in self.area_codes:
                self.area_codes.append(area)
            self.service_zone[service_id] = zone
            self.service_area[service_id] = self.area_codes.index(area)
            self.service_code[service_id] = code
        self.descriptors: list[str] = []
        self.descriptor_index: dict[str, int] = {}
        self.descriptor_group = np.zeros(0, dtype=np.int64)
        self.descriptor_disorder = np.zeros(0, dtype=np.int64)  # index into DISORDERS
        self.descriptor_anxious = np.zeros(0, dtype=bool)
        # the case mix's intensity, age band, sex and IMD decile, each as stored: value -> code, code -> value
        self.levels: list[dict[Any, int]] = [{None: 0} for _ in range(_CASE_MIX_LEVELS)]
        self.level_values: list[list[Any]] = [[None] for _ in range(_CASE_MIX_LEVELS)]

    def read(self, low: int, high: int) -> SummaryBuilder:
        part = _Partial(self.plan.case_mix)
        for start in range(low, high, self.chunk):
            bounds = {"low": start, "high": min(start + self.chunk, high)}
            self.cursor.execute(*self.sql.prepare(self.episode_sql, **bounds))
            episodes = self.cursor.fetchall()
            if episodes:
                check_ins: list[Any] = []
                for zone, statement in zip(self.sql.zone_params, self.check_in_sql, strict=True):
                    self.cursor.execute(*self.sql.prepare(statement, **bounds, **zone))
                    check_ins += self.cursor.fetchall()
                self._chunk(episodes, check_ins, part)
        return part.builder(self.plan.as_of)

    def _chunk(self, episodes: Sequence[Any], check_ins: Sequence[Any], part: _Partial) -> None:
        """Methodology version 1 for one chunk of episodes (ordered by id) and their check-ins."""
        ids, service_ids, discharges, referrals, sessions, descriptors, flags, scores = (
            list(map(itemgetter(i), episodes)) for i in range(8)
        )
        size = len(ids)
        ids_a = np.fromiter(ids, np.int64, size)
        services = np.fromiter(service_ids, np.int64, size)
        zone = self.service_zone[services]
        referral = self._day_numbers(referrals)
        descriptor = np.fromiter(map(self.descriptor_index.get, descriptors, repeat(-1)), np.int64, size)
        for i in np.flatnonzero(descriptor < 0).tolist():
            descriptor[i] = self._descriptor(descriptors[i])
        anxiety = self.descriptor_anxious[descriptor]
        consent_assessed = np.fromiter(flags, np.int64, size)
        category = np.where(consent_assessed & 1, -1, NOT_CONSENTED)
        unanswered = np.full(size, 8)  # pending: nothing due
        if check_ins:
            unanswered = self._check_ins(ids_a, zone, referral, anxiety, check_ins, category, part)
        waiting = np.flatnonzero(category == -1)
        if len(waiting):
            category[waiting] = unanswered[waiting]
            self._opted_out(ids_a, zone, waiting, category)
        treatment = np.fromiter(sessions, np.int64, size)
        if np.any(treatment < 0):
            sessions_band(int(treatment.min()))  # refuses, as the reference does
        month = np.fromiter(
            discharges if self.sql.postgres else map(self.months.get, discharges, repeat(0)), np.int64, size
        )
        for i in np.flatnonzero(month == 0).tolist():
            month[i] = self._month(discharges[i])
        breakdowns = (
            (self.descriptor_group[descriptor], PROBLEM_GROUPS),
            (self.descriptor_disorder[descriptor], DISORDERS),
            (np.searchsorted(_BAND_STARTS, treatment, side="right") - 1, SESSIONS_BANDS),
            (services, self.service_code),
            (self.service_area[services], self.area_codes),
            (month, None),
        )
        for table, (values, names) in zip(part.tally, breakdowns, strict=True):
            keys, counts = np.unique(values * 16 + category, return_counts=True)
            for key, n in zip(keys.tolist(), counts.tolist(), strict=True):
                value, kind = divmod(key, 16)
                name = value if names is None else names[value]
                table[name, kind] = table.get((name, kind), 0) + n
        packed = np.fromiter(scores, np.int64, size)
        reported = self._service_reported(ids_a, packed, consent_assessed >> 1, descriptor, treatment, part)
        if part.case_mix is not None:
            self._cells(episodes, services, descriptor, treatment, category, packed, reported, part.case_mix)

    def _cells(
        self,
        episodes: Sequence[Any],
        services: NDArray[np.int64],
        descriptor: NDArray[np.int64],
        sessions: NDArray[np.int64],
        category: NDArray[np.int64],
        packed: NDArray[np.int64],
        reported: tuple[NDArray[np.bool_], NDArray[np.bool_], dict[int, Sequence[Any]]],
        tally: CaseMixTally,
    ) -> None:
        """Each episode's case-mix cell (SPEC 8.1) with its counts, as `SummaryBuilder.add` counts them: one
        integer code per episode from its covariates, then one key and one count per distinct code."""
        caseness, recovered, unusual = reported
        group = self.descriptor_group[descriptor]
        band = np.searchsorted(_BAND_STARTS, sessions, side="right") - 1
        levels = [self._levels(k, list(map(itemgetter(8 + k), episodes))) for k in range(_CASE_MIX_LEVELS)]
        phq9_first, gad7_first = packed & 255, packed >> 16 & 255  # score + 1, 0 when missing
        covariates = (services, group, band, levels[0], phq9_first, gad7_first, *levels[1:])
        radices = (len(self.service_code), len(PROBLEM_GROUPS), len(SESSIONS_BANDS), len(self.level_values[0]))
        radices += (256, 256, *(len(values) for values in self.level_values[1:]))
        code = np.zeros(len(episodes), dtype=np.int64)
        for values, radix in zip(covariates, radices, strict=True):
            if (int(code.max()) + 1) * radix >= 1 << 62:  # renumber the codes so far densely: no overflow
                code = np.unique(code, return_inverse=True)[1].astype(np.int64)
            code = code * radix + values
        for number, i in enumerate(unusual):  # scores read as stored: a cell of its own, its key from them
            code[i] = -1 - number
        codes, first, inverse = np.unique(code, return_index=True, return_inverse=True)
        width = len(codes)
        counts = [
            np.bincount(inverse[flag], minlength=width).tolist()
            for flag in (category < len(ELIGIBLE), category == 0, caseness, recovered)
        ]
        scores = [[None if value == 0 else value - 1 for value in score[first].tolist()] for score in covariates[4:6]]
        if unusual:
            for position, i in enumerate(first.tolist()):
                if i in unusual:
                    scores[0][position], scores[1][position] = unusual[i][0], unusual[i][2]
        intensity, age_band, sex, imd_decile = (
            [names[value] for value in level[first].tolist()]
            for names, level in zip(self.level_values, levels, strict=True)
        )
        keys = zip(
            [self.service_code[value] for value in services[first].tolist()],
            [PROBLEM_GROUPS[value] for value in group[first].tolist()],
            [SESSIONS_BANDS[value] for value in band[first].tolist()],
            intensity,
            *scores,
            age_band,
            sex,
            imd_decile,
            strict=True,
        )
        for key, *cell in zip(map(CaseMixKey._make, keys), *counts, strict=True):
            found = tally.get(key)
            if found is None:
                tally[key] = cell
            else:
                _add_into(found, cell)

    def _levels(self, k: int, values: list[Any]) -> NDArray[np.int64]:
        """Codes of the values of the k-th stored case-mix column (0: not given), new values numbered as they come."""
        index = self.levels[k]
        codes = np.fromiter(map(index.get, values, repeat(-1)), np.int64, len(values))
        for i in np.flatnonzero(codes < 0).tolist():
            value = values[i]
            if value not in index:
                index[value] = len(self.level_values[k])
                self.level_values[k].append(value)
            codes[i] = index[value]
        return codes

    def _service_reported(
        self,
        ids: NDArray[np.int64],
        packed: NDArray[np.int64],
        assessed: NDArray[np.int64],
        descriptor: NDArray[np.int64],
        sessions: NDArray[np.int64],
        part: _Partial,
    ) -> tuple[NDArray[np.bool_], NDArray[np.bool_], dict[int, Sequence[Any]]]:
        """Assessed episodes, what services would report (simplified NHS Talking Therapies KPIs) and
        effect-size sums, per problem descriptor as submitted. Returns, per episode, finished at caseness and
        recovered as services report it, and the scores as stored of those outside 0-254 (by row)."""
        pf, pl, gf, gl = scores = [(packed >> (8 * i) & 255) - 1 for i in range(4)]  # -1: missing
        missing = (pf == -1) | (pl == -1) | (gf == -1) | (gl == -1)
        unusual = np.flatnonzero(packed < 0)  # a score outside 0-254: read as stored
        stored: dict[int, Sequence[Any]] = {}
        if len(unusual):
            wanted = ids[unusual].tolist()
            self.cursor.execute(
                *self.sql.prepare(
                    self.sql.scores(len(wanted)), **{f"e{i}": episode for i, episode in enumerate(wanted)}
                )
            )
            raw = {row[0]: row[1:] for row in self.cursor.fetchall()}
            for i, episode in zip(unusual.tolist(), wanted, strict=True):
                values = stored[i] = raw[episode]
                missing[i] = any(value is None for value in values)
                for score, value in zip(scores, values, strict=True):
                    score[i] = 0 if value is None else value
        two_plus = sessions >= 2
        complete = ~missing
        finished = two_plus & complete
        caseness = finished & ((pf >= PHQ9_CASENESS) | (gf >= GAD7_CASENESS))
        recovered = caseness & (pl < PHQ9_CASENESS) & (gl < GAD7_CASENESS)
        deteriorated = finished & ((pl - pf >= PHQ9_RELIABLE_CHANGE) | (gl - gf >= GAD7_RELIABLE_CHANGE))
        fell = (pf - pl >= PHQ9_RELIABLE_CHANGE) | (gf - gl >= GAD7_RELIABLE_CHANGE)
        improved = finished & fell & ~deteriorated
        flags = [finished, two_plus & ~complete, caseness, recovered, improved, deteriorated, recovered & improved]
        powers = [x for score in scores for x in (score, score * score)]
        width = len(self.descriptors)
        columns = [np.bincount(descriptor, weights=assessed, minlength=width)]
        columns += [np.bincount(descriptor, weights=flag, minlength=width) for flag in flags]
        columns += [np.bincount(descriptor[finished], minlength=width)]
        columns += [np.bincount(descriptor[finished], weights=x[finished], minlength=width) for x in powers]
        for index in np.unique(descriptor).tolist():
            figures = part.reported.setdefault(self.descriptors[index], [0] * 17)
            for i, column in enumerate(columns):
                figures[i] += int(column[index])
        return caseness, recovered, stored

    def _descriptor(self, text: str) -> int:
        """A number for a problem descriptor as submitted, with its problem group and disorder noted."""
        index = self.descriptor_index.get(text)
        if index is None:
            index = self.descriptor_index[text] = len(self.descriptors)
            self.descriptors.append(text)
            group = PROBLEM_GROUPS.index(problem_group(text))
            self.descriptor_group = np.append(self.descriptor_group, group)
            self.descriptor_disorder = np.append(self.descriptor_disorder, DISORDERS.index(disorder(text)))
            self.descriptor_anxious = np.append(self.descriptor_anxious, PROBLEM_GROUPS[group] == "anxiety")
        return index

    def _check_ins(
        self,
        ids: NDArray[np.int64],
        zone: NDArray[np.int64],
        referral: NDArray[np.int64],
        anxiety: NDArray[np.bool_],
        check_ins: Sequence[Any],
        category: NDArray[np.int64],
        part: _Partial,
    ) -> NDArray[np.int64]:
        """Answered episodes' categories into `category`, the rest into part; the categories 7-9
        (indexes 6-8) that episodes without answers would have."""
        size = len(check_ins)
        row_ep = np.searchsorted(ids, np.fromiter(map(itemgetter(0), check_ins), np.int64, size))
        packed = np.fromiter(map(itemgetter(1), check_ins), np.int64, size)
        code, offset = packed & 63, packed >> 6
        points = part.points
        for weeks in np.unique(offset).tolist():  # every offset of the plans in scope gets a point
            points.setdefault(weeks, [0, 0, 0])
        answered = np.flatnonzero(code & _ANSWERED)
        rows_answered = [check_ins[i] for i in answered.tolist()]
        count = len(rows_answered)
        t = self._local_days(list(map(itemgetter(2), rows_answered)), zone[row_ep[answered]])
        change = np.fromiter(map(_CHANGE_INDEX.get, map(itemgetter(3), rows_answered), repeat(-1)), np.int64, count)
        if np.any(change < 0):
            raise ValueError(f"unknown change answer (expected one of {CHANGES})")
        well = np.fromiter(map(_WELL_CODE.get, map(itemgetter(4), rows_answered), repeat(0)), np.int64, count)
        claimed = self._day_numbers(list(map(itemgetter(5), rows_answered)))
        rows = AnsweredArrays(row_ep[answered], t, offset[answered], change, well, claimed)
        outcome = evaluate_answered(rows, referral, anxiety)
        has = outcome.category >= 0
        category[has] = outcome.category[has]
        _add_into(part.changes, np.bincount(outcome.last_change[has], minlength=len(CHANGES)).tolist())
        part.entry.extend(outcome.entry.tolist())
        part.time.extend(outcome.time.tolist())
        part.event.extend(outcome.event.tolist())
        due = (code & _DUE) != 0
        due_answered = due[answered]
        _count_points(points, offset[answered][due_answered], 0, 1)
        _count_points(points, offset[answered][due_answered & outcome.recovered], 2)
        unanswered_due = due & ((code & _ANSWERED) == 0)
        _count_points(points, offset[unanswered_due & ((code & _CLOSED) != 0)], 0)
        # categories 7-9 for episodes without answers: due check-ins, all unreachable, any non-response
        size = len(ids)
        due_count = np.bincount(row_ep[due], minlength=size)
        reachable = np.bincount(row_ep[due & ((code & _UNREACHABLE) == 0)], minlength=size)
        nonresponse = np.bincount(row_ep[unanswered_due & ((code & (_CLOSED | _WITHDRAWN)) != 0)], minlength=size)
        return np.where((due_count > 0) & (reachable == 0), 6, np.where(nonresponse > 0, 7, 8))

    def _local_days(self, instants: list[Any], zones: NDArray[np.int64]) -> NDArray[np.int64]:
        """Local day numbers of instants, each in its zone: PostgreSQL gives seconds since 1970,
        SQLite the stored text, which a second cache turns into UTC hours."""
        count = len(instants)
        if self.sql.postgres:
            seconds = np.fromiter(instants, np.int64, count)
        else:
            stamps = self.stamps
            hours = np.fromiter(map(stamps.get, map(_HOUR, instants), repeat(-1)), np.int64, count)
            for i in np.flatnonzero(hours < 0).tolist():
                hours[i] = stamps.get(instants[i][:13]) or self._stamp_hour(instants[i])
            seconds = hours * 3600
        hours = seconds // 3600
        result = np.empty(count, dtype=np.int64)
        for zone in np.unique(zones).tolist():
            where = np.flatnonzero(zones == zone)
            unique, inverse = np.unique(hours[where], return_inverse=True)
            cache = self.hours[zone]
            days = np.fromiter(map(cache.get, unique.tolist(), repeat(-2)), np.int64, len(unique))
            for i in np.flatnonzero(days == -2).tolist():
                hour = int(unique[i])
                days[i] = cache[hour] if hour in cache else self._hour_day(hour, zone)
            result[where] = days[inverse]
        for i in np.flatnonzero(result < 0).tolist():  # an hour spanning two local dates: exactly
            exact = instants[i] if self.sql.postgres else _epoch_seconds(instants[i])
            result[i] = self._local_date(exact, int(zones[i])).toordinal()
        return result

    def _stamp_hour(self, text: str) -> int:
        """The UTC hour (since 1970) of an instant stored as text, cached by its first 13 characters."""
        day = self.days.get(text[:10]) or self._day(text[:10])
        hour = self.stamps[text[:13]] = (day - _EPOCH_DAY) * 24 + int(text[11:13])
        return hour

    def _day_numbers(self, values: list[Any], rows: NDArray[np.int64] | None = None) -> NDArray[np.int64]:
        """Day numbers of dates at `rows` (default: all), -1 for none: PostgreSQL gives them, SQLite gives text."""
        if self.sql.postgres:
            found = np.fromiter(values, np.int64, len(values))
            return found if rows is None else found[rows]
        found = np.fromiter(map(self.days.get, values, repeat(-1)), np.int64, len(values))
        result = found if rows is None else found[rows]
        for i in np.flatnonzero(result < 0).tolist():
            text = values[i if rows is None else int(rows[i])]
            if text:
                result[i] = self._day(text)
        return result

    def _opted_out(
        self, ids: NDArray[np.int64], zone: NDArray[np.int64], waiting: NDArray[np.int64], category: NDArray[np.int64]
    ) -> None:
        """Category 6 (index 5) for episodes without answers whose client's latest opt event by A is an opt-out."""
        events: dict[int, list[tuple[int, str]]] = defaultdict(list)
        wanted = ids[waiting].tolist()
        for start in range(0, len(wanted), 500):
            batch = wanted[start : start + 500]
            self.cursor.execute(
                *self.sql.prepare(
                    self.sql.opt_events(len(batch)), **{f"e{i}": episode for i, episode in enumerate(batch)}
                )
            )
            for episode_id, at, kind in self.cursor.fetchall():
                events[episode_id].append((at, kind))  # at: seconds since 1970
        for index in waiting.tolist():
            found = events.get(int(ids[index]))
            if found:
                local = [(self._local_date(at, int(zone[index])), kind) for at, kind in found]
                if unanswered_category(local, self.plan.as_of, 0, False, False) == 5:
                    category[index] = 5

    def _local_date(self, instant: int, zone: int) -> date:
        return datetime.fromtimestamp(instant, self.zones[zone]).date()

    def _hour_day(self, hour: int, zone: int) -> int:
        """The local day number of a UTC hour, -1 when it spans two local dates; caches its whole UTC day."""
        tz, cache = self.zones[zone], self.hours[zone]
        first = hour - hour % 24
        start = datetime.fromtimestamp(first * 3600, UTC)
        number = start.date().toordinal()
        offsets = {(start + timedelta(hours=h)).astimezone(tz).utcoffset() for h in (0, 12, 24)}
        if len(offsets) == 1:  # no clock change that day: arithmetic
            shift = int(next(iter(offsets)).total_seconds())  # type: ignore[union-attr]
            for h in range(24):
                local = h * 3600 + shift
                same = local // 86400 == (local + 3599) // 86400
                cache[first + h] = number + local // 86400 if same else -1
            return cache[hour]
        for h in range(24):
            probes = [(start + timedelta(hours=h, seconds=s)).astimezone(tz) for s in (0, 1800, 3599)]
            same = len({p.date() for p in probes}) == 1 and len({p.utcoffset() for p in probes}) == 1
            cache[first + h] = probes[0].date().toordinal() if same else -1
        return cache[hour]

    def _day(self, text: str) -> int:
        day = self.days[text] = date.fromisoformat(text).toordinal()
        return day

    def _month(self, text: str) -> int:
        month = self.months[text] = int(text[:4]) * 100 + int(text[5:7])
        return month


_HOUR: Final = itemgetter(slice(0, 13))  # 'YYYY-MM-DD HH' of an instant stored as text
_CHANGE_INDEX: Final = {value: i for i, value in enumerate(CHANGES)}
_WELL_CODE: Final = {value: 1 if well else 2 for value, well in WELLNESS.items()}  # else 0: unknown
_BAND_STARTS: Final = (0, 1, 2, 7)  # sessions where the bands "0", "1", "2-6" and "7+" begin
_CASE_MIX_LEVELS: Final = 4  # intensity, age band, sex, IMD decile: the episodes query's columns 8-11 (sql.py)


def _epoch_seconds(text: str) -> int:
    """Whole seconds since 1970 (floored) of a naive UTC instant as SQLite stores it."""
    return (datetime.fromisoformat(text).replace(tzinfo=UTC) - _EPOCH) // timedelta(seconds=1)


def _count_points(points: dict[int, list[int]], offsets: NDArray[np.int64], *columns: int) -> None:
    """Add one to the given [closed, answered, recovered] columns of each offset's point per check-in."""
    if len(offsets):
        weeks, counts = np.unique(offsets, return_counts=True)
        for week, count in zip(weeks.tolist(), counts.tolist(), strict=True):
            for column in columns:
                points[week][column] += count


def _add_into(total: list[int], more: list[int]) -> None:
    for i, n in enumerate(more):
        total[i] += n
