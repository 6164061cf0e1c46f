"""Comparing services fairly (SPEC section 8.1, methodology version 2): pure functions.

- `cells`: the case-mix cell of an eligible episode, the unit the statistics readers tally;
- `funnel`: exact binomial and Poisson funnel limits, overdispersion, positions;
- `case_mix`: the patient-level logistic regression and each service's expected recoveries.
"""
