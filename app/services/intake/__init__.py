"""Taking in discharge lists (all or nothing) and what service staff may see about their submissions.

Every edge (the web page, the API, `flask intake import`) takes a list in through `submit_discharge_list`,
which also keeps the service's history: imports, refusals with their problems, and dry runs.
"""

from app.services.intake import submissions
from app.services.intake.importing import ImportResult, IntakeRejected, import_discharge_list, withdraw_episode
from app.services.intake.submitting import submit_discharge_list

__all__ = [
    "ImportResult",
    "IntakeRejected",
    "import_discharge_list",  # the demo's seeding; the edges use submit_discharge_list
    "submissions",
    "submit_discharge_list",
    "withdraw_episode",
]
