"""The case-mix cell: what the comparison needs to know of each episode, tallied by the readers.

Every episode of one cell has the same covariates, so a logistic regression over cells weighted by
their counts is the patient-level regression over every eligible episode (the same likelihood).
"""

from __future__ import annotations

from typing import Final, NamedTuple


class CaseMixKey(NamedTuple):
    """The service and the case-mix covariates of an episode (None: not given at intake)."""

    service: str  # service code
    problem_group: str  # depression | anxiety | other
    sessions_band: str  # 0 | 1 | 2-6 | 7+
    intensity: str | None  # low | high | stepped
    phq9_first: int | None  # 0-27
    gad7_first: int | None  # 0-21
    age_band: str | None  # 16-17 ... 66+
    sex: str | None  # female | male | other | unknown
    imd_decile: int | None  # 1-10


#: The counts kept per cell, in this order (`CELL_COUNTS.index(name)` is the position in the list).
#: eligible: eligible episodes (categories 1-8); durably_recovered: of those, durably recovered;
#: at_caseness: finished episodes at caseness (service-reported denominator, all episodes, consented or not);
#: reported_recovered: of those, recovered as services report it.
CELL_COUNTS: Final = ("eligible", "durably_recovered", "at_caseness", "reported_recovered")

#: Cells and their counts: CaseMixKey -> [eligible, durably_recovered, at_caseness, reported_recovered].
CaseMixTally = dict[CaseMixKey, list[int]]

AGE_BANDS: Final = ("16-17", "18-25", "26-35", "36-45", "46-55", "56-65", "66+")
SEXES: Final = ("female", "male", "other", "unknown")
IMD_DECILES: Final = tuple(range(1, 11))
