"""Taking in a service's discharge list: all or nothing, idempotent, check-ins planned in the database."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar, TypeVar

from sqlalchemy import Column, Integer, MetaData, Table, and_, delete, insert, select, text, update
from sqlalchemy.types import TypeEngine

from app.domain import intake_problems, schedule
from app.domain.discharge_list import DischargeRow, Problem, read_discharge_list
from app.domain.languages import unsupported_language_warnings
from app.extensions import db
from app.models import CheckIn, CheckInStatus, Client, Episode, Service, Submission
from app.security.fields import FieldSecurity, field_security
from app.services import audit
from app.services.contact import stop_contact
from app.services.errors import ServiceError
from app.services.organisation import get_service

Progress = Callable[[int], None]
T = TypeVar("T")


class IntakeRejected(ServiceError):
    """The file was refused; nothing was written. `problems` lists every problem found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the discharge list")
        self.problems = list(problems)
        #: The submission in the service's history that keeps the whole problem list (None: not recorded).
        self.submission_id: int | None = None

    @property
    def report(self) -> intake_problems.ProblemReport:
        """The first problems and the count per column, as people are told them."""
        return intake_problems.report(self.problems)


@dataclass(frozen=True)
class ImportResult:
    """What a clean list changed (or would change); `warnings` are accepted rows people should know about, such as
    a language with no catalogue yet (SPEC 8.3: a warning, not an error)."""

    created: int
    updated: int
    unchanged: int
    dry_run: bool = False
    warnings: tuple[str, ...] = ()

    def summary(self) -> str:
        text = f"created={self.created} updated={self.updated} unchanged={self.unchanged}"
        return f"dry run: {text}" if self.dry_run else text


# Why contact stops for an episode, in the order they are checked.
STOP_DECEASED = "deceased"
STOP_WITHDRAWN = "withdrawn_by_service"
STOP_NO_CONSENT = "consent_no"


def import_discharge_list(
    service_code: str,
    data: bytes,
    *,
    filename: str,
    actor: str,
    now: datetime,
    today: date,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Validate a whole discharge list and, if it is clean, write it in one transaction."""
    try:
        service = get_service(service_code)
    except ServiceError as error:
        raise IntakeRejected([Problem(str(error))]) from None
    rows, problems = read_discharge_list(data, today)
    if problems:
        raise IntakeRejected(problems)
    security = field_security()
    fingerprints = {row.row: security.contact_hash(row.canonical()) for row in rows}
    existing = _existing_episodes(service.id)
    new_rows = [row for row in rows if (row.client_ref, row.discharge_date) not in existing]
    changed_rows = [
        row
        for row in rows
        if (key := (row.client_ref, row.discharge_date)) in existing and existing[key][1] != fingerprints[row.row]
    ]
    result = ImportResult(
        created=len(new_rows),
        updated=len(changed_rows),
        unchanged=len(rows) - len(new_rows) - len(changed_rows),
        dry_run=dry_run,
        warnings=tuple(unsupported_language_warnings((row.row, row.language) for row in rows)),
    )
    if dry_run:
        if progress:
            progress(len(rows))
        return result
    writer = _Writer(service, security, now)
    try:
        # Everything is read, worked out, encrypted and staged before the first write to the real tables: on
        # SQLite the write lock is held from that first write to the commit and webhooks wait for it, so the
        # write phase does nothing but copy the staged rows in and apply the (usually few) changed rows.
        new_clients, client_updates = writer.plan_clients(rows)
        staging = writer.stage(new_clients, new_rows, fingerprints, progress)
        with _roomy_page_cache():
            writer.write(staging, client_updates)
            writer.update_episodes(changed_rows, existing, fingerprints, progress)
            if progress:
                progress(len(rows) - len(new_rows) - len(changed_rows))
            db.session.add(
                Submission(
                    service_id=service.id,
                    filename=filename[:255],
                    submitted_by=actor,
                    submitted_at=now,
                    rows=len(rows),
                    created=result.created,
                    updated=result.updated,
                    unchanged=result.unchanged,
                )
            )
            audit.record(
                actor, "intake.import", now, subject=f"service:{service.code}", file=filename, **_counts(result)
            )
            db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    finally:
        _Staging.discard()  # after the commit: dropping them takes a while, and needs no lock on SQLite
    if result.created + result.updated >= BULK_ANALYZE_ROWS:
        refresh_planner_statistics()
    return result


#: Episodes created or changed by one import beyond which the planner's statistics are refreshed at once.
BULK_ANALYZE_ROWS = 10_000


def refresh_planner_statistics() -> None:
    """After a bulk load, let PostgreSQL plan with the new row counts now, not when autovacuum next
    analyzes (up to a minute later): the first dispatch tick's claim otherwise sorts the whole backlog.
    SQLite plans from its indexes alone: nothing to do."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE check_in, episode, client"))
        db.session.commit()


#: SQLite's page cache while an import writes (KiB): the whole write phase's pages fit, so SQLite never spills
#: them to the database file before the commit (which takes the exclusive lock early, blocking readers too)
#: and the indexes are updated in memory: the 100,000-row bench's write phase takes half as long.
WRITE_PHASE_CACHE_KIB = 256 * 1024


@contextmanager
def _roomy_page_cache() -> Iterator[None]:
    """On SQLite, a page cache large enough for the write phase, for as long as it lasts (memory is taken only
    as pages are used, and given back when the cache is set back); PostgreSQL has its own shared buffers."""
    if db.engine.dialect.name != "sqlite":
        yield
        return
    usual = db.session.execute(text("PRAGMA main.cache_size")).scalar_one()
    db.session.execute(text(f"PRAGMA main.cache_size = -{WRITE_PHASE_CACHE_KIB}"))
    try:
        yield
    finally:
        db.session.execute(text(f"PRAGMA main.cache_size = {int(usual)}"))


def _counts(result: ImportResult) -> dict[str, int]:
    return {"created": result.created, "updated": result.updated, "unchanged": result.unchanged}


def _existing_episodes(service_id: int) -> dict[tuple[str, date], tuple[int, str]]:
    """(client_ref, discharge_date) -> (episode id, fingerprint) for the service, in one query."""
    query = (
        select(Client.client_ref, Episode.discharge_date, Episode.id, Episode.row_fingerprint)
        .join(Client, Client.id == Episode.client_id)
        .where(Episode.service_id == service_id)
    )
    return {(ref, discharged): (episode_id, fp) for ref, discharged, episode_id, fp in db.session.execute(query)}


def episode_fields(row: DischargeRow) -> dict[str, object]:
    """The episode columns a row sets."""
    return {
        "consent": row.consent,
        "referral_date": row.referral_date,
        "assessment_date": row.assessment_date,
        "first_treatment_date": row.first_treatment_date,
        "discharge_date": row.discharge_date,
        "treatment_sessions": row.treatment_sessions,
        "problem_descriptor": row.problem_descriptor,
        "intensity": row.intensity,
        "phq9_first": row.phq9_first,
        "phq9_last": row.phq9_last,
        "gad7_first": row.gad7_first,
        "gad7_last": row.gad7_last,
        "ending_reason": row.ending_reason,
        "language": row.language,
        "age_band": row.age_band,
        "sex": row.sex,
        "imd_decile": row.imd_decile,
        "consent_to_call": row.consent_to_call,
    }


def stop_reason_for(row: DischargeRow) -> str | None:
    """Whether a submitted row itself means no contact (the service's own withdrawal is kept apart)."""
    if row.ending_reason == "deceased":
        return STOP_DECEASED
    if not row.consent:
        return STOP_NO_CONSENT
    return None


class _Writer:
    """Bulk writes for one import: Core statements in batches, no ORM object per row."""

    BATCH = 2000

    def __init__(self, service: Service, security: FieldSecurity, now: datetime) -> None:
        self.service = service
        self.security = security
        self.now = now
        self.plan = schedule.parse_plan(service.plan)
        self.window = schedule.make_window(service.send_window, service.send_days, service.timezone)
        self._due_cache: dict[tuple[date, int], datetime] = {}

    def due(self, discharge: date, offset: int) -> datetime:
        key = (discharge, offset)
        if key not in self._due_cache:
            self._due_cache[key] = schedule.due_at(discharge, offset, self.window)
        return self._due_cache[key]

    def plan_clients(self, rows: Sequence[DischargeRow]) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
        """The clients to create and the contact details to refresh (from consenting rows), encrypted; no write."""
        ids: dict[str, int] = {
            ref: client_id
            for ref, client_id in db.session.execute(
                select(Client.client_ref, Client.id).where(Client.service_id == self.service.id)
            )
        }
        current: dict[int, tuple[object, ...]] = {}
        erased: set[int] = set()
        for client_id, phone_hash, email_hash, uk_mobile, channel, erased_at in db.session.execute(
            select(
                Client.id,
                Client.phone_hash,
                Client.email_hash,
                Client.phone_is_uk_mobile,
                Client.preferred_channel,
                Client.contact_erased_at,
            ).where(Client.service_id == self.service.id)
        ):
            current[client_id] = (phone_hash, email_hash, uk_mobile, channel)
            if erased_at is not None:
                erased.add(client_id)
        # The last consenting row of a client carries its contact details.
        contact: dict[str, DischargeRow] = {}
        for row in rows:
            if row.consent:
                contact[row.client_ref] = row
            contact.setdefault(row.client_ref, row)
        new_refs = [ref for ref in contact if ref not in ids]
        new_values = [
            {
                "service_id": self.service.id,
                "client_ref": ref,
                **self._contact_values(contact[ref]),
                "created_at": self.now,
                "updated_at": self.now,
            }
            for ref in new_refs
        ]
        updates = []
        created_refs = set(new_refs)
        returning = self._returning_after_erasure(rows, ids, erased)
        for ref, row in contact.items():
            if ref in created_refs or not row.consent:
                continue
            if ids[ref] in erased:
                # Erased contact details come back only with a new episode (a new referral), never
                # from a list submitted again.
                if ref in returning:
                    updates.append(
                        {"id": ids[ref], **self._contact_values(row), "contact_erased_at": None, "updated_at": self.now}
                    )
                continue
            # Compare keyed hashes first: encrypting is only worth it when something changed.
            wanted = (
                self.security.contact_hash(row.phone) if row.phone else None,
                self.security.contact_hash(row.email) if row.email else None,
                row.phone_is_uk_mobile,
                row.preferred_channel,
            )
            if current.get(ids[ref]) != wanted:
                updates.append({"id": ids[ref], **self._contact_values(row), "updated_at": self.now})
        return new_values, updates

    def _returning_after_erasure(self, rows: Sequence[DischargeRow], ids: dict[str, int], erased: set[int]) -> set[str]:
        """client_refs of erased clients that this list gives a new episode (a discharge not yet held)."""
        if not erased:
            return set()
        held = {
            (client_id, discharged)
            for client_id, discharged in db.session.execute(
                select(Episode.client_id, Episode.discharge_date)
                .join(Client, Client.id == Episode.client_id)
                .where(Client.service_id == self.service.id, Client.contact_erased_at.is_not(None))
            )
        }
        return {
            row.client_ref
            for row in rows
            if row.consent
            and ids.get(row.client_ref) in erased  # a client new to this list is never an erased one
            and (ids[row.client_ref], row.discharge_date) not in held
        }

    def _contact_values(self, row: DischargeRow) -> dict[str, object]:
        if not row.consent:
            return {
                "phone_enc": None,
                "phone_hash": None,
                "email_enc": None,
                "email_hash": None,
                "phone_is_uk_mobile": False,
                "preferred_channel": None,
            }
        return {
            "phone_enc": self.security.encrypt(row.phone) if row.phone else None,
            "phone_hash": self.security.contact_hash(row.phone) if row.phone else None,
            "email_enc": self.security.encrypt(row.email) if row.email else None,
            "email_hash": self.security.contact_hash(row.email) if row.email else None,
            "phone_is_uk_mobile": row.phone_is_uk_mobile,
            "preferred_channel": row.preferred_channel,
        }

    def stage(
        self,
        new_clients: Sequence[dict[str, object]],
        rows: Sequence[DischargeRow],
        fingerprints: dict[int, str],
        progress: Progress | None,
    ) -> _Staging:
        """Stage the new clients, the new episodes (with what their check-ins will be) and the due times of
        their check-ins in temporary tables: nothing of the real tables is written (nor, on SQLite, locked)."""
        staging = _Staging()
        plan_text = schedule.format_plan(self.plan)
        staging.fill("client", [{"seq": seq, **values} for seq, values in enumerate(new_clients)])
        episodes = []
        for seq, row in enumerate(rows):
            reason = stop_reason_for(row)
            check_in_status = None  # no consent: never contacted, no check-ins at all
            if row.consent:
                check_in_status = CheckInStatus.WITHDRAWN if reason else CheckInStatus.SCHEDULED
            closed = check_in_status == CheckInStatus.WITHDRAWN
            episodes.append(
                {
                    "seq": seq,
                    "client_ref": row.client_ref,
                    "service_id": self.service.id,
                    **episode_fields(row),
                    "plan": plan_text,
                    "contact_stopped_at": self.now if reason else None,
                    "contact_stopped_reason": reason,
                    "row_fingerprint": fingerprints[row.row],
                    "created_at": self.now,
                    "updated_at": self.now,
                    "check_in_status": check_in_status.value if check_in_status else None,
                    "check_in_closed_at": self.now if closed else None,
                    "check_in_close_reason": "contact_stopped" if closed else None,
                }
            )
        staging.fill("episode", episodes, progress)
        discharges = sorted({row.discharge_date for row in rows if row.consent})
        staging.fill(
            "due",
            [
                {
                    "discharge_date": discharge,
                    "position": position,
                    "offset_weeks": offset,
                    "due_at": self.due(discharge, offset),
                }
                for discharge in discharges
                for position, offset in enumerate(self.plan)
            ],
        )
        return staging

    def write(self, staging: _Staging, client_updates: Sequence[dict[str, object]]) -> None:
        """The write phase: copy the staged rows into the real tables, a statement per table, and refresh the
        contact details of known clients. Ids are the database's own; episodes find their client, and
        check-ins their episode, by the natural keys (service, client_ref) and (client, discharge date)."""
        client, episode, check_in = Client.__table__, Episode.__table__, CheckIn.__table__
        if (new_clients := staging.tables.get("client")) is not None:
            names = [name for name in new_clients.c.keys() if name != "seq"]
            db.session.execute(
                insert(client).from_select(
                    names, select(*(new_clients.c[name] for name in names)).order_by(new_clients.c.seq)
                )
            )
        for batch in _batches(client_updates, self.BATCH):
            db.session.execute(update(Client), batch)  # ORM bulk update by primary key
        stage = staging.tables.get("episode")
        if stage is None:
            return
        names = [
            name for name in stage.c.keys() if name not in ("seq", "client_ref") and not name.startswith("check_in_")
        ]
        with_client = stage.join(
            client, and_(client.c.service_id == self.service.id, client.c.client_ref == stage.c.client_ref)
        )
        db.session.execute(
            insert(episode).from_select(
                ["client_id", *names],
                select(client.c.id, *(stage.c[name] for name in names)).select_from(with_client).order_by(stage.c.seq),
            )
        )
        if (due := staging.tables.get("due")) is None:
            return
        db.session.execute(
            insert(check_in).from_select(
                ["episode_id", "client_id", "offset_weeks", "due_at", "status", "closed_at", "close_reason"],
                select(
                    episode.c.id,
                    episode.c.client_id,
                    due.c.offset_weeks,
                    due.c.due_at,
                    stage.c.check_in_status,
                    stage.c.check_in_closed_at,
                    stage.c.check_in_close_reason,
                )
                .select_from(
                    with_client.join(
                        episode,
                        and_(episode.c.client_id == client.c.id, episode.c.discharge_date == stage.c.discharge_date),
                    ).join(due, due.c.discharge_date == stage.c.discharge_date)
                )
                .where(stage.c.check_in_status.is_not(None))
                .order_by(stage.c.seq, due.c.position),
            )
        )

    def update_episodes(
        self,
        rows: Sequence[DischargeRow],
        existing: dict[tuple[str, date], tuple[int, str]],
        fingerprints: dict[int, str],
        progress: Progress | None,
    ) -> None:
        """Apply changed rows and re-plan the check-ins that have not been sent yet."""
        for batch in _batches(rows, self.BATCH):
            ids = {existing[(row.client_ref, row.discharge_date)][0]: row for row in batch}
            episodes = {
                episode.id: episode for episode in db.session.scalars(select(Episode).where(Episode.id.in_(ids)))
            }
            for episode_id, row in ids.items():
                episode = episodes[episode_id]
                for name, value in episode_fields(row).items():
                    setattr(episode, name, value)
                episode.row_fingerprint = fingerprints[row.row]
                episode.updated_at = self.now
                reason = stop_reason_for(row)
                if reason:
                    if episode.contact_stopped_reason != STOP_WITHDRAWN:
                        episode.contact_stopped_reason = reason
                        episode.contact_stopped_at = episode.contact_stopped_at or self.now
                elif episode.contact_stopped_reason in (STOP_DECEASED, STOP_NO_CONSENT):
                    episode.contact_stopped_reason = None  # the service corrected the row
                    episode.contact_stopped_at = None
            db.session.flush()
            for episode in episodes.values():
                replan(episode, self.window, self.now, due=self.due)
            if progress:
                progress(len(batch))


class _Staging:
    """One import's new rows, staged in temporary tables before the write phase copies them in.

    A temporary table is the connection's own: on SQLite it lives in a separate temporary database, so
    filling it takes no lock on the main database and others (webhooks) keep writing meanwhile. The tables
    take their column types from the models, so the values are stored exactly as the real tables store them.
    """

    #: staged kind -> the table whose column types it takes first (then the others', by name)
    KINDS: ClassVar[dict[str, Table]] = {
        "client": Client.__table__,
        "episode": Episode.__table__,
        "due": CheckIn.__table__,
    }
    #: the staged columns of no model: the row's order (the key), and what an episode's check-ins will be
    OWN: ClassVar[dict[str, tuple[Table, str]]] = {
        "check_in_status": (CheckIn.__table__, "status"),
        "check_in_closed_at": (CheckIn.__table__, "closed_at"),
        "check_in_close_reason": (CheckIn.__table__, "close_reason"),
    }

    def __init__(self) -> None:
        self.metadata = MetaData()
        self.tables: dict[str, Table] = {}

    @staticmethod
    def name(kind: str) -> str:
        return f"import_stage_{kind}"

    def fill(self, kind: str, values: Sequence[dict[str, object]], progress: Progress | None = None) -> None:
        if not values:
            return
        _Staging.discard_one(kind)
        key = ("discharge_date", "position") if kind == "due" else ("seq",)
        columns = [
            Column(name, self._type(kind, name), primary_key=name in key, autoincrement=False) for name in values[0]
        ]
        table = Table(self.name(kind), self.metadata, *columns, prefixes=["TEMPORARY"])
        table.create(db.session.connection())
        self.tables[kind] = table
        for batch in _batches(values, _Writer.BATCH):
            db.session.execute(insert(table), batch)
            if progress:
                progress(len(batch))
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text(f"ANALYZE {table.name}"))  # plan the copy with the real row counts

    def _type(self, kind: str, name: str) -> TypeEngine[Any]:
        if name in ("seq", "position"):
            return Integer()
        if name in self.OWN:
            table, name = self.OWN[name]
            return table.c[name].type
        for table in (self.KINDS[kind], *self.KINDS.values()):
            if name in table.c:
                return table.c[name].type
        raise KeyError(f"no model column gives the type of staged column {name!r}")

    @staticmethod
    def discard_one(kind: str) -> None:
        schema = "pg_temp" if db.engine.dialect.name == "postgresql" else "temp"
        db.session.execute(text(f"DROP TABLE IF EXISTS {schema}.{_Staging.name(kind)}"))

    @staticmethod
    def discard() -> None:
        """Drop the staging tables, once the import is committed or rolled back (on SQLite a temporary table
        outlives a rollback; on both it would outlive the commit, for as long as the pooled connection)."""
        try:
            for kind in _Staging.KINDS:
                _Staging.discard_one(kind)
            db.session.commit()
        except Exception:
            db.session.rollback()


def replan(
    episode: Episode,
    window: schedule.SendWindow,
    now: datetime,
    due: Callable[[date, int], datetime] | None = None,
) -> None:
    """Bring an episode's unsent future check-ins in line with its plan and whether contact may go ahead.

    Check-ins already sent (open or closed), skipped, or withdrawn in the past are history and stay.
    """
    due = due or (lambda discharge, offset: schedule.due_at(discharge, offset, window))
    contactable = episode.consent and episode.contact_stopped_reason is None
    rows = db.session.execute(
        select(CheckIn.id, CheckIn.offset_weeks, CheckIn.status, CheckIn.due_at).where(CheckIn.episode_id == episode.id)
    ).all()
    settled = {
        offset
        for _, offset, status, due_time in rows
        if status not in (CheckInStatus.SCHEDULED, CheckInStatus.WITHDRAWN)
        or (status == CheckInStatus.WITHDRAWN and due_time <= now)
    }
    replaceable = [check_in_id for check_in_id, offset, *_ in rows if offset not in settled]
    if replaceable:
        db.session.execute(delete(CheckIn).where(CheckIn.id.in_(replaceable)))
    if not episode.consent:
        return  # never contacted from now on; nothing new is planned
    status = CheckInStatus.SCHEDULED if contactable else CheckInStatus.WITHDRAWN
    values = [
        {
            "episode_id": episode.id,
            "client_id": episode.client_id,
            "offset_weeks": offset,
            "due_at": due(episode.discharge_date, offset),
            "status": status.value,
            "closed_at": None if contactable else now,
            "close_reason": None if contactable else "contact_stopped",
        }
        for offset in schedule.parse_plan(episode.plan)
        if offset not in settled
    ]
    if values:
        db.session.execute(insert(CheckIn.__table__), values)


def withdraw_episode(service_code: str, client_ref: str, discharge_date: date, *, actor: str, now: datetime) -> int:
    """The service withdraws one episode: all contact stops; returns how many unsent check-ins were withdrawn."""
    service = get_service(service_code)
    episode = db.session.scalar(
        select(Episode)
        .join(Client, Client.id == Episode.client_id)
        .where(
            and_(
                Episode.service_id == service.id,
                Client.client_ref == client_ref,
                Episode.discharge_date == discharge_date,
            )
        )
    )
    if episode is None:
        raise ServiceError(
            f"no episode of service {service_code!r} with client_ref {client_ref!r} "
            f"and discharge_date {discharge_date.isoformat()}"
        )
    if episode.contact_stopped_reason == STOP_WITHDRAWN:
        raise ServiceError("that episode is already withdrawn")
    withdrawn = stop_contact([episode.id], STOP_WITHDRAWN, now)
    # The service's withdrawal outranks an earlier reason: a later re-import never revives the episode.
    episode.contact_stopped_reason = STOP_WITHDRAWN
    audit.record(actor, "intake.withdraw", now, subject=f"episode:{episode.id}", service=service_code)
    db.session.commit()
    return withdrawn


def _batches(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
