"""Durable-recovery statistics from the database, the evaluators' dashboard, and charts.

`charts` (matplotlib) is imported on first use, `from app.services.statistics import charts`, not here.
"""

from app.services.statistics import comparison as comparisons
from app.services.statistics import dashboard, facts
from app.services.statistics.agreement import agreement
from app.services.statistics.as_of import AsOfAfterToday, refuse_future_as_of, today_in_service_zone
from app.services.statistics.comparison import compare
from app.services.statistics.summaries import case_mix_tally, episode_categories, summary, summary_and_curve
from app.services.statistics.texts_sent import TextsSent, texts_sent, texts_sent_in_month

__all__ = [
    "AsOfAfterToday",
    "TextsSent",
    "agreement",
    "case_mix_tally",
    "charts",
    "compare",
    "comparisons",
    "dashboard",
    "episode_categories",
    "facts",
    "refuse_future_as_of",
    "summary",
    "summary_and_curve",
    "texts_sent",
    "texts_sent_in_month",
    "today_in_service_zone",
]
