"""Taking in discharge lists (all or nothing) and what service staff may see about their submissions."""

from app.services.intake import submissions
from app.services.intake.importing import ImportResult, IntakeRejected, import_discharge_list, withdraw_episode

__all__ = ["ImportResult", "IntakeRejected", "import_discharge_list", "submissions", "withdraw_episode"]
