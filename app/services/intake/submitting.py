"""The one way a discharge list comes in, from the web page, the API and `flask intake import` alike.

It checks (and, unless asked only to check, imports) the list all or nothing, and keeps the service's
history true whichever edge it came through: an import, a refusal with its problems, or a dry run with
what it would have changed or what is wrong with it, each audited.
"""

from __future__ import annotations

from datetime import date, datetime

from app.domain.discharge_list import Problem
from app.services.errors import ServiceError
from app.services.intake import submissions
from app.services.intake.importing import ImportResult, IntakeRejected, Progress, import_discharge_list
from app.services.organisation import get_service


def submit_discharge_list(
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
    """Check and (unless `dry_run`) import a discharge list, recording the outcome in the service's history.

    Raises IntakeRejected with every problem, its report (the first problems, the count per column) and the
    number of the submission that keeps the whole list; nothing of the file is written then. (The web's and the
    API's size limit is applied before the request is read: app/security/limits.py.)
    """
    try:
        service = get_service(service_code)
    except ServiceError as error:
        raise IntakeRejected([Problem(str(error))]) from None  # no service: no history to keep it in
    try:
        result = import_discharge_list(
            service.code,
            data,
            filename=filename,
            actor=actor,
            now=now,
            today=today,
            dry_run=dry_run,
            progress=progress,
        )
    except IntakeRejected as rejected:
        recorded = submissions.record_rejected(
            service, filename, rejected.problems, actor=actor, now=now, dry_run=dry_run
        )
        rejected.submission_id = recorded.id
        raise
    if dry_run:
        submissions.record_dry_run(service, filename, result, actor=actor, now=now)
    return result
