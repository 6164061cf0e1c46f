"""The follow-up protocol's fixed numbers (SPEC sections 2, 6 and 7), written once.

Every part of the application that closes, skips, reminds, reconciles or erases reads them from here,
so the dispatch tick, the web survey, the statistics and the privacy lifecycle cannot disagree.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final
from zoneinfo import ZoneInfo

#: A check-in closes this long after its first send (SPEC 2, "Response window").
RESPONSE_WINDOW: Final = timedelta(days=14)
#: Never late: a check-in not first sent within this of its due time is skipped, never sent.
LATEST_FIRST_SEND: Final = timedelta(days=14)
#: One reminder at the first window moment at least this long after the first send.
REMINDER_AFTER: Final = timedelta(hours=72)
#: A message left `sending` is reconciled against the provider only after this (SPEC 6: at least 60 s).
RECONCILE_GRACE: Final = timedelta(seconds=90)
#: Contact details are erased this long after a client's last check-in closed (SPEC 7).
ERASE_AFTER: Final = timedelta(days=90)
#: The whole problem list of a refused discharge list (it may hold what a cell held) is kept this long.
PROBLEM_LIST_KEPT: Final = timedelta(days=30)

#: The default time zone of services, and the one of area-wide and national figures and reports.
LONDON_ZONE_NAME: Final = "Europe/London"
LONDON: Final = ZoneInfo(LONDON_ZONE_NAME)
