"""Durable-recovery statistics from the database, the evaluators' dashboard, and charts.

`charts` (matplotlib) is imported on first use, `from app.services.statistics import charts`, not here.
"""

from app.services.statistics import dashboard
from app.services.statistics.summaries import summary, summary_and_curve

__all__ = ["charts", "dashboard", "summary", "summary_and_curve"]
