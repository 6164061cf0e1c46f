"""The demo's telephone assessment (SPEC 8.4): after `demo simulate`, one sample drawn with a fixed seed and
most of its calls recorded by the demo assessor, so the agreement figures have something to show, and the
last `OPEN_CALLS` of them left to make, so a new user signing in as the demo assessor can walk a day of
calls: two of those already tried once without reaching the client (one due again now, one tomorrow), the
others nobody has taken yet.

The assessor is the gold standard: their answers follow the simulated person's true course (the same
`people.person_for` the replies came from). The texts are imperfect: a person the assessor finds durably
recovered was texted as recovered about 85% of the time (sensitivity), one not recovered was texted as not
recovered about 90% of the time (specificity). Each call's true status is drawn given its texted category
by Bayes' rule with those two figures, so agreement is high but not perfect; the answers are then written
to fit that status and the person's state on the interview day. Pure randomness is seeded: the same
simulation gives the same interviews.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from app.domain.outcomes import problem_group
from app.domain.protocol import LONDON
from app.extensions import db
from app.models import AssessmentCall, AssessmentSample, Episode, Role, Service, User
from app.services import assessment
from app.services.demo import people as demo_people
from app.services.demo import seeding as demo

SAMPLE_SEED = 2026
SAMPLE_SIZE = 150
#: P(texted recovered | truly recovered) and P(texted not recovered | truly not recovered).
SENSITIVITY = 0.85
SPECIFICITY = 0.90
INTERVIEW_DAYS = 14  # interviews fall over the fortnight after the sample's as-of date
DECLINED = 0.05
NOT_REACHED = 0.10
#: The calls (the last in call order, itself random) left open for the demo assessor, and how many of them
#: were tried once already without reaching the client.
OPEN_CALLS = 8
TRIED_ONCE = 2


@dataclass(frozen=True)
class DemoAssessment:
    sample_id: int | None
    interviews: int
    declined: int
    not_reached: int
    to_call: int = 0


def complete_demo_assessment(*, now: datetime, simulation_seed: int, actor: str) -> DemoAssessment:
    """Draw the demo's sample and record its calls, once (nothing when a sample exists or no assessor).

    `now` is the simulated present (the end of the simulation): the sample is as of a fortnight before."""
    assessor = db.session.scalar(select(User).where(User.role == Role.ASSESSOR.value).order_by(User.id))
    if assessor is None or db.session.scalar(select(func.count()).select_from(AssessmentSample)):
        return DemoAssessment(None, 0, 0, 0)
    today = now.astimezone(LONDON).date()
    as_of = today - timedelta(days=INTERVIEW_DAYS)
    try:
        drawn = assessment.draw_sample(as_of, SAMPLE_SIZE, seed=SAMPLE_SEED, service_code=None, actor=actor, now=now)
    except assessment.SampleRefused:
        return DemoAssessment(None, 0, 0, 0)
    rng = random.Random(f"{simulation_seed}:assessment")
    calls = db.session.scalars(
        select(AssessmentCall).where(AssessmentCall.sample_id == drawn.sample_id).order_by(AssessmentCall.id)
    ).all()
    texted = sum(call.text_category == "durably_recovered" for call in calls) / max(1, len(calls))
    counts = {"reached": 0, "declined": 0, "not_reached": 0}
    keep_open = list(calls[-OPEN_CALLS:]) if len(calls) > OPEN_CALLS else []
    calls = calls[: len(calls) - len(keep_open)]
    for call in calls:
        roll = rng.random()
        day = max(call.episode.discharge_date, as_of + timedelta(days=rng.randint(0, INTERVIEW_DAYS)))
        at = min(now - timedelta(days=3), datetime.combine(min(day, today), time(11, rng.randint(0, 59)), LONDON))
        if roll < DECLINED:
            assessment.record_declined(call.id, assessor.id, at)
            counts["declined"] += 1
        elif roll < DECLINED + NOT_REACHED:
            for attempt in range(3):
                assessment.record_not_reached(call.id, assessor.id, at + timedelta(days=attempt))
            counts["not_reached"] += 1
        else:
            answers = _interview(rng, call, min(day, today), texted, simulation_seed)
            assessment.record_interview(call.id, assessor.id, at, today, answers)
            counts["reached"] += 1
    _leave_open(keep_open, assessor.id, now)
    return DemoAssessment(drawn.sample_id, counts["reached"], counts["declined"], counts["not_reached"], len(keep_open))


def _leave_open(calls: list[AssessmentCall], assessor_id: int, now: datetime) -> None:
    """The calls left to make: the first `TRIED_ONCE` tried once without reaching the client (the first due
    again now, the next tomorrow morning), the rest untouched (nobody has taken them)."""
    today = now.astimezone(LONDON).date()
    for index, call in enumerate(calls[:TRIED_ONCE]):
        if index == 0:  # tried yesterday: the default next try (a day later) came two hours ago
            assessment.record_not_reached(call.id, assessor_id, now - timedelta(days=1, hours=2))
        else:  # tried this morning: to try again tomorrow at ten
            tried = min(now - timedelta(minutes=30), datetime.combine(today, time(9, 40), LONDON))
            tomorrow = datetime.combine(today + timedelta(days=1), time(10, 0), LONDON)
            assessment.record_not_reached(call.id, assessor_id, tried, tomorrow)


def _truly_recovered(rng: random.Random, texted_recovered: bool, prevalence: float) -> bool:
    """The assessor's verdict given the texts, so that sensitivity and specificity come out as set above."""
    # The share truly recovered p solves: texted share = SENS * p + (1 - SPEC) * (1 - p).
    p = min(0.95, max(0.05, (prevalence - (1 - SPECIFICITY)) / (SENSITIVITY + SPECIFICITY - 1)))
    if texted_recovered:
        chance = SENSITIVITY * p / (SENSITIVITY * p + (1 - SPECIFICITY) * (1 - p))
    else:
        chance = (1 - SENSITIVITY) * p / ((1 - SENSITIVITY) * p + SPECIFICITY * (1 - p))
    return rng.random() < chance


def _interview(
    rng: random.Random, call: AssessmentCall, day: date, texted: float, simulation_seed: int
) -> assessment.Interview:
    episode: Episode = call.episode
    service = db.session.get(Service, episode.service_id)
    effect = (
        demo.SERVICE_BY_CODE[service.code].recovery_effect if service and service.code in demo.SERVICE_BY_CODE else 0.0
    )
    person = demo_people.person_for(
        random.Random(f"{simulation_seed}:person:{episode.id}"),
        episode.referral_date,
        episode.discharge_date,
        demo_people.CaseMix(
            episode.phq9_first, episode.gad7_first, episode.treatment_sessions, episode.problem_descriptor
        ),
        effect,
    )
    state = person.spell_on(day).state
    recovered = _truly_recovered(rng, call.text_category == "durably_recovered", texted)
    threshold = 56 if problem_group(episode.problem_descriptor) == "anxiety" else 123  # 8 weeks, ~4 months
    if recovered:
        since = max(episode.referral_date, day - timedelta(days=threshold + rng.randint(14, 150)))
        change = "much_better" if state == "well" or rng.random() < 0.6 else "a_little_better"
        usual = "yes" if person.fully_well and state == "well" else "mostly"
        return assessment.Interview(day, change, "no", since.isoformat(), usual)
    if state in ("well", "partial_mostly"):  # better, but not for long enough, or not quite
        weeks = rng.randint(1, max(1, threshold // 7 - 1))
        return assessment.Interview(
            day, rng.choice(("a_little_better", "much_better")), "partly", f"{weeks} weeks", "mostly"
        )
    change = {"partial_no": "a_little_better", "same": "same"}.get(state, rng.choice(("a_little_worse", "much_worse")))
    return assessment.Interview(day, change, "yes", None, "no")
