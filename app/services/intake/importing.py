"""Taking in a service's discharge list: all or nothing, idempotent, check-ins planned in the database."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

from sqlalchemy import and_, delete, insert, select, text, update

from app.domain import intake_problems, schedule
from app.domain.discharge_list import DischargeRow, Problem, read_discharge_list
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
    created: int
    updated: int
    unchanged: int
    dry_run: bool = False

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
    )
    if dry_run:
        if progress:
            progress(len(rows))
        return result
    try:
        writer = _Writer(service, security, now)
        client_ids = writer.save_clients(rows)
        writer.create_episodes(new_rows, client_ids, fingerprints, progress)
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
        audit.record(actor, "intake.import", now, subject=f"service:{service.code}", file=filename, **_counts(result))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
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

    def save_clients(self, rows: Sequence[DischargeRow]) -> dict[str, int]:
        """Create missing clients and refresh contact details from consenting rows; client_ref -> id."""
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
        # Everything is encrypted and worked out before the first write: on SQLite the write lock is held from
        # the first INSERT to the commit, and webhooks wait for it, so the write phase does nothing but write.
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
        for start in range(0, len(new_values), self.BATCH):
            batch = new_refs[start : start + self.BATCH]
            # Plain executemany, then one look-up: RETURNING over many rows is far slower here.
            db.session.execute(insert(Client.__table__), new_values[start : start + self.BATCH])
            created = db.session.execute(
                select(Client.client_ref, Client.id).where(
                    Client.service_id == self.service.id, Client.client_ref.in_(batch)
                )
            )
            ids.update({ref: client_id for ref, client_id in created})
        for batch in _batches(updates, self.BATCH):
            db.session.execute(update(Client), batch)  # ORM bulk update by primary key
        return ids

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

    def create_episodes(
        self,
        rows: Sequence[DischargeRow],
        client_ids: dict[str, int],
        fingerprints: dict[int, str],
        progress: Progress | None,
    ) -> None:
        plan_text = schedule.format_plan(self.plan)
        refs = {client_id: ref for ref, client_id in client_ids.items()}
        for batch in _batches(rows, self.BATCH):
            values = []
            for row in batch:
                reason = stop_reason_for(row)
                values.append(
                    {
                        "client_id": client_ids[row.client_ref],
                        "service_id": self.service.id,
                        **episode_fields(row),
                        "plan": plan_text,
                        "contact_stopped_at": self.now if reason else None,
                        "contact_stopped_reason": reason,
                        "row_fingerprint": fingerprints[row.row],
                        "created_at": self.now,
                        "updated_at": self.now,
                    }
                )
            db.session.execute(insert(Episode.__table__), values)
            returned = db.session.execute(
                select(Episode.id, Episode.client_id, Episode.discharge_date).where(
                    Episode.client_id.in_({value["client_id"] for value in values}),
                    Episode.created_at == self.now,
                )
            ).all()
            check_ins = []
            by_key = {(row.client_ref, row.discharge_date): row for row in batch}
            for episode_id, client_id, discharge in returned:
                row = by_key.get((refs[client_id], discharge))
                if row is None or not row.consent:  # None: created by an earlier batch of this import
                    continue  # never contacted: no check-ins at all
                status = CheckInStatus.WITHDRAWN if stop_reason_for(row) else CheckInStatus.SCHEDULED
                check_ins.extend(
                    self._check_in(episode_id, client_id, discharge, offset, status) for offset in self.plan
                )
            if check_ins:
                db.session.execute(insert(CheckIn.__table__), check_ins)
            if progress:
                progress(len(batch))

    def _check_in(
        self, episode_id: int, client_id: int, discharge: date, offset: int, status: str
    ) -> dict[str, object]:
        closed = status == CheckInStatus.WITHDRAWN
        return {
            "episode_id": episode_id,
            "client_id": client_id,
            "offset_weeks": offset,
            "due_at": self.due(discharge, offset),
            "status": status,
            "closed_at": self.now if closed else None,
            "close_reason": "contact_stopped" if closed else None,
        }

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
