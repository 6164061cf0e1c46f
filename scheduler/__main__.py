"""`python -m scheduler`: one BlockingScheduler running the job table against the database."""

from __future__ import annotations

import logging
import signal
import sys
from types import FrameType

from apscheduler.schedulers.blocking import BlockingScheduler

from app import create_app
from app.domain.protocol import LONDON_ZONE_NAME
from app.models.types import utcnow
from scheduler.jobs import JOBS, run_job

log = logging.getLogger("stillwell.scheduler")


def main() -> int:
    app = create_app()
    scheduler = BlockingScheduler(timezone=LONDON_ZONE_NAME)
    started = utcnow()
    for job in JOBS:
        scheduler.add_job(
            run_job,
            job.trigger,
            args=(app, job),
            id=job.id,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=300,
            # next_run_time=None would pause a job in APScheduler, so pass it only to run at start.
            **({"next_run_time": started} if job.run_at_start else {}),
            **job.trigger_args,
        )

    def stop(signum: int, frame: FrameType | None) -> None:
        log.info("scheduler stopping (signal %s)", signum)
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    log.info("scheduler started with jobs: %s", ", ".join(job.id for job in JOBS))
    try:
        scheduler.start()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
