"""The reply reader in Welsh (SPEC 8.3): Welsh samples with their meanings, each reader's Welsh cases, and the
Welsh safeguarding phrases tested as hard as the English ones: every phrase, its mutations, typos, without its
diacritics, in capitals, inside longer and mixed Welsh-English messages. A missed risk message is the worst
hazard in the log (docs/clinical-safety.md H1, H8); a needless signpost is acceptable.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain import texts
from app.domain.catalogues import LANGUAGES, catalogue
from app.domain.conversation import OPT_OUT, RISK, Answers, Context, ConversationState, respond
from app.domain.replies import (
    CHANGES,
    USUAL_SELF,
    mentions_risk,
    read_change,
    read_duration,
    read_keyword,
    read_usual_self,
)
from app.domain.reply_text import strip_accents
from tests.factories.replies import DRESSINGS

SAMPLES = Path(__file__).with_name("replies-sample-cy.tsv")
ANSWERED, DISCHARGED, REFERRED = date(2027, 3, 15), date(2026, 12, 1), date(2026, 6, 10)

# What Welsh speakers put around an answer, besides what everyone does (DRESSINGS). None may change it.
WELSH_DRESSINGS: tuple[Callable[[str], str], ...] = (
    *DRESSINGS,
    lambda t: f"{t} diolch",
    lambda t: f"{t}, diolch yn fawr",
    lambda t: f"{t}. Diolch yn fawr iawn x",
    lambda t: f"Helo, {t}",
    lambda t: f"Shwmae! {t}",
    lambda t: f"{t} plis",
)


def _failures(reader: Callable[[str], object], reply: str, expected: object) -> list[str]:
    return [f"{text!r} -> {got!r}" for dress in WELSH_DRESSINGS if (got := reader(text := dress(reply))) != expected]


def _read(function: str, reply: str) -> object:
    if function == "read_duration":
        return read_duration(reply, ANSWERED, DISCHARGED, REFERRED)
    readers: dict[str, Callable[[str], object]] = {
        "read_change": read_change,
        "read_usual_self": read_usual_self,
        "read_keyword": read_keyword,
        "mentions_risk": mentions_risk,
    }
    return readers[function](reply)


def _expected(function: str, text: str) -> object:
    if text in ("unclear", "none"):
        return None
    if text in ("true", "false"):
        return text == "true"
    if function == "read_duration" and text != "clarify":
        return date.fromisoformat(text)
    return text


def _sample_rows() -> list[dict[str, str]]:
    with SAMPLES.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


@pytest.mark.parametrize(
    "row",
    [pytest.param(row, id=f"line{n}-{row['function']}-{row['reply']}") for n, row in enumerate(_sample_rows(), 2)],
)
def test_welsh_sample(row: dict[str, str]) -> None:
    if row["function"] == "read_duration":  # the sample's own dates, like the published samples
        dates = (date.fromisoformat(row[key]) for key in ("answered_on", "discharge_date", "referral_date"))
        got: object = read_duration(row["reply"], *dates)
    else:
        got = _read(row["function"], row["reply"])
    assert got == _expected(row["function"], row["expected"]), row["meaning"]


def test_welsh_samples_cover_every_reader_and_say_what_each_reply_means() -> None:
    rows = _sample_rows()
    assert {row["function"] for row in rows} == {
        "read_change",
        "read_usual_self",
        "read_duration",
        "read_keyword",
        "mentions_risk",
    }
    assert all(row["meaning"].strip() for row in rows)


# ---------------------------------------------------------------------------------------------------
# read_keyword: STOPIO, DIM, DAD-DANYSGRIFIO; DECHRAU; HELPU, CYMORTH (SPEC 8.3)
# ---------------------------------------------------------------------------------------------------

WELSH_KEYWORDS = [
    ("STOPIO", "stop"),
    ("stopio", "stop"),
    ("Stopio nawr", "stop"),
    ("stopiwch", "stop"),
    ("stpio", "stop"),
    ("sotpio", "stop"),
    ("DIM", "stop"),
    ("dim", "stop"),
    ("dim mwy", "stop"),
    ("dim rhagor", "stop"),
    ("DAD-DANYSGRIFIO", "stop"),
    ("dad-danysgrifio", "stop"),
    ("dad danysgrifio", "stop"),
    ("daddanysgrifio", "stop"),
    ("dadanysgrifio", "stop"),
    ("dad-danysgrifo", "stop"),
    ("optio allan", "stop"),
    ("dwi eisiau stopio", "stop"),
    ("dw i isio dad-danysgrifio", "stop"),
    ("hoffwn i optio allan", "stop"),
    ("stopiwch anfon negeseuon ataf", "stop"),
    ("stopio negeseuon", "stop"),
    ("peidiwch anfon negeseuon", "stop"),
    ("peidiwch â thecstio fi", "stop"),
    ("dim mwy o negeseuon", "stop"),
    ("dim rhagor o negeseuon", "stop"),
    ("Stopiwch anfon negeseuon ataf, dw i'n iawn nawr", "stop"),
    ("DECHRAU", "start"),
    ("dechrau", "start"),
    ("Dechrau eto", "start"),
    ("dechra", "start"),
    ("dechau", "start"),
    ("ailddechrau", "start"),
    ("HELPU", "help"),
    ("helpu", "help"),
    ("CYMORTH", "help"),
    ("cymorth", "help"),
    ("cymorh", "help"),
    ("gwybodaeth", "help"),
]
# Dim as a word of an answer, and Welsh sentences with a keyword in them that are no keyword.
WELSH_NOT_KEYWORDS = [
    "dim newid",
    "Dim newid o gwbl",
    "dim gwell dim gwaeth",
    "dim o gwbl",
    "dim ond ychydig yn well",
    "dim byd",
    "dim syniad",
    "dw i'n methu stopio crio",
    "wedi stopio cymryd fy nhabledi",
    "plis peidiwch stopio anfon negeseuon ataf",
    "stopio smygu",
    "dechrau'r flwyddyn",
    "ers dechrau'r therapi",
    "help fi",
    "helpwch fi",
    "dw i angen cymorth",
    "ydw",
    "nac ydw",
    "llawer gwell",
    "3 wythnos",
]


@pytest.mark.parametrize(("reply", "expected"), WELSH_KEYWORDS)
def test_welsh_keyword(reply: str, expected: str) -> None:
    assert _failures(read_keyword, reply, expected) == []


@pytest.mark.parametrize("reply", WELSH_NOT_KEYWORDS)
def test_not_a_welsh_keyword(reply: str) -> None:
    assert read_keyword(reply) is None


def test_dim_alone_opts_out_but_dim_newid_answers_the_question() -> None:
    stop = respond(ConversationState.start(), "DIM", _context())
    assert OPT_OUT in stop.events and stop.answers == Answers()
    answer = respond(ConversationState.start(), "Dim newid", _context())
    assert answer.events == () and answer.answers == Answers(change="same")


# ---------------------------------------------------------------------------------------------------
# read_change, read_usual_self, read_duration in Welsh
# ---------------------------------------------------------------------------------------------------

WELSH_CHANGES = [
    ("llawer gwell", "much_better"),
    ("llawer yn well", "much_better"),
    ("llawer iawn gwell", "much_better"),
    ("gwell o lawer", "much_better"),
    ("Dw i'n teimlo'n llawer gwell", "much_better"),
    ("rwy'n teimlo'n llawer gwell nawr", "much_better"),
    ("wedi gwella llawer", "much_better"),
    ("lawer gwell", "much_better"),
    ("llawr gwell", "much_better"),
    ("1 llawer gwell", "much_better"),
    ("un", "much_better"),
    ("rhif 1", "much_better"),
    ("ychydig yn well", "a_little_better"),
    ("ychydig gwell", "a_little_better"),
    ("ychydig bach yn well", "a_little_better"),
    ("tipyn bach yn well", "a_little_better"),
    ("dipyn bach yn well", "a_little_better"),
    ("mymryn yn well", "a_little_better"),
    ("ychdig yn well", "a_little_better"),
    ("2 ychydig gwell", "a_little_better"),
    ("dau", "a_little_better"),
    ("ddau", "a_little_better"),
    ("yr un fath", "same"),
    ("Yr un fath", "same"),
    ("yr un peth", "same"),
    ("'run fath", "same"),
    ("yr un fath ag o'r blaen", "same"),
    ("yn union yr un fath", "same"),
    ("fwy neu lai yr un fath", "same"),
    ("dim newid", "same"),
    ("does dim newid", "same"),
    ("heb newid", "same"),
    ("dim gwahaniaeth", "same"),
    ("dim gwell dim gwaeth", "same"),
    ("ddim gwell na gwaeth", "same"),
    ("tri", "same"),
    ("3 yr un fath", "same"),
    ("ychydig yn waeth", "a_little_worse"),
    ("ychydig gwaeth", "a_little_worse"),
    ("tipyn bach yn waeth", "a_little_worse"),
    ("pedwar", "a_little_worse"),
    ("bedwar", "a_little_worse"),
    ("llawer gwaeth", "much_worse"),
    ("llawer yn waeth", "much_worse"),
    ("Llawer gwaeth nawr", "much_worse"),
    ("pump", "much_worse"),
    ("bump", "much_worse"),
    # mixed Welsh and English
    ("llawer gwell thanks", "much_better"),
    ("much better diolch", "much_better"),
    ("a bit better diolch", "a_little_better"),
]
WELSH_UNCLEAR_CHANGES = [
    "gwell",
    "yn well",
    "gwaeth",
    "yn waeth",
    "ddim llawer gwell",
    "dim llawer gwell",
    "ddim llawer gwaeth",
    "dim gwell",
    "ddim yn well",
    "tipyn gwell",
    "dim llawer o newid",
    "ddim yr un fath",
    "gwell a gwaeth",
    "gwell na o'r blaen",
    "yr un",
    "chwech",
    "naw",
    "dim syniad",
    "dw i'n iawn",
    "1 llawer gwaeth",
]


@pytest.mark.parametrize(("reply", "expected"), WELSH_CHANGES)
def test_welsh_change(reply: str, expected: str) -> None:
    assert _failures(read_change, reply, expected) == []


@pytest.mark.parametrize("reply", WELSH_UNCLEAR_CHANGES)
def test_welsh_change_unclear(reply: str) -> None:
    assert read_change(reply) is None


WELSH_USUAL_SELF = [
    ("ydw", "yes"),
    ("Ydw", "yes"),
    ("ie", "yes"),
    ("ia", "yes"),
    ("ydy", "yes"),
    ("ydw, yn llwyr", "yes"),
    ("ydw yn hollol", "yes"),
    ("yn llwyr", "yes"),
    ("dw i'n teimlo fel fi fy hun eto", "yes"),
    ("1 ydw", "yes"),
    ("un", "yes"),
    ("gan amlaf", "mostly"),
    ("yn bennaf", "mostly"),
    ("rhan fwyaf", "mostly"),
    ("y rhan fwyaf o'r amser", "mostly"),
    ("bron iawn", "mostly"),
    ("ar y cyfan", "mostly"),
    ("gan amlaf, dim ond ychydig o symptomau ysgafn", "mostly"),
    ("dim ond symptomau ysgafn", "mostly"),
    ("ydw, gan amlaf", "mostly"),
    ("2 gan amlaf", "mostly"),
    ("dau", "mostly"),
    ("nac ydw", "no"),
    ("Nac ydw", "no"),
    ("nag ydw", "no"),
    ("na", "no"),
    ("naddo", "no"),
    ("nage", "no"),
    ("ddim o gwbl", "no"),
    ("ddim eto", "no"),
    ("ddim wir", "no"),
    ("3 nac ydw", "no"),
    ("tri", "no"),
    # mixed
    ("yes diolch", "yes"),
    ("ydw thanks", "yes"),
]
WELSH_UNCLEAR_USUAL_SELF = [
    "ddim yn siŵr",
    "ddim yn siwr",
    "dwn i ddim",
    "efallai",
    "weithiau",
    "ddim yn llwyr",
    "ydw a nac ydw",
    "ie a na",
    "math o",
    "dw i'n iawn",
    "pedwar",
    "1 nac ydw",
]


@pytest.mark.parametrize(("reply", "expected"), WELSH_USUAL_SELF)
def test_welsh_usual_self(reply: str, expected: str) -> None:
    assert _failures(read_usual_self, reply, expected) == []


@pytest.mark.parametrize("reply", WELSH_UNCLEAR_USUAL_SELF)
def test_welsh_usual_self_unclear(reply: str) -> None:
    assert read_usual_self(reply) is None


def _ago(days: int = 0, months: int = 0) -> date:
    year, month0 = divmod(ANSWERED.year * 12 + ANSWERED.month - 1 - months, 12)
    return max(date(year, month0 + 1, ANSWERED.day) - timedelta(days=days), REFERRED)


WELSH_DURATIONS: list[tuple[str, date | str | None]] = [
    ("3 wythnos", _ago(days=21)),
    ("tair wythnos", _ago(days=21)),
    ("dair wythnos", _ago(days=21)),
    ("3 wythnosau", _ago(days=21)),
    ("wythnos", _ago(days=7)),
    ("ers wythnos", _ago(days=7)),
    ("ers 3 wythnos", _ago(days=21)),
    ("am tua 3 wythnos", _ago(days=21)),
    ("dw i wedi bod fel hyn ers 3 wythnos", _ago(days=21)),
    ("bron i 3 wythnos", _ago(days=21)),
    ("dros 3 wythnos", _ago(days=21)),
    ("wythnos a hanner", _ago(days=10)),
    ("pythefnos", _ago(days=14)),
    ("ers pythefnos", _ago(days=14)),
    ("deg diwrnod", _ago(days=10)),
    ("dau ddiwrnod", _ago(days=2)),
    ("2 fis", _ago(months=2)),
    ("dau fis", _ago(months=2)),
    ("ddau fis", _ago(months=2)),
    ("tri mis", _ago(months=3)),
    ("pedwar mis", _ago(months=4)),
    ("pum mis", _ago(months=5)),
    ("chwe mis", _ago(months=6)),
    ("naw mis", _ago(months=9)),
    ("naw", None),  # alone it is the English "naw" (no), not a bare nine to clarify
    ("mis", _ago(months=1)),
    ("ers mis", _ago(months=1)),
    ("misoedd", None),  # no count: "for months" is unclear, as in English
    ("tua mis", _ago(months=1)),
    ("mis neu ddau", _ago(months=1)),
    ("dau neu dri mis", _ago(months=2)),
    ("2-3 mis", _ago(months=2)),
    ("2 i 3 mis", _ago(months=2)),
    ("rhwng 2 a 3 mis", _ago(months=2)),
    ("cwpl o fisoedd", _ago(months=2)),
    ("ychydig o wythnosau", _ago(days=21)),
    ("sawl wythnos", _ago(days=21)),
    ("hanner blwyddyn", _ago(months=6)),
    ("blwyddyn", REFERRED),
    ("blwyddyn a hanner", REFERRED),
    ("dwy flynedd", REFERRED),
    ("pum mlynedd", REFERRED),
    ("3 wythnos yn ôl", _ago(days=21)),
    ("3 wythnos yn ol", _ago(days=21)),
    ("wthnos", _ago(days=7)),
    ("3 wythos", _ago(days=21)),
    ("ers i mi orffen", DISCHARGED),
    ("ers imi orffen", DISCHARGED),
    ("ers i fi orffen", DISCHARGED),
    ("ers gorffen", DISCHARGED),
    ("ers gorffen y therapi", DISCHARGED),
    ("ers diwedd y therapi", DISCHARGED),
    ("ers i'r sesiynau ddod i ben", DISCHARGED),
    ("ers y sesiwn olaf", DISCHARGED),
    ("ers cael fy rhyddhau", DISCHARGED),
    ("erioed", REFERRED),
    ("ers erioed", REFERRED),
    ("bob amser", REFERRED),
    ("ers pan oeddwn i'n blentyn", REFERRED),
    ("cyhyd ag y galla i gofio", REFERRED),
    ("ers Ionawr", date(2027, 1, 1)),
    ("ers mis Ionawr", date(2027, 1, 1)),
    ("ers Chwefror", date(2027, 2, 1)),
    ("ers Mawrth", date(2027, 3, 1)),
    ("ers Ebrill", date(2026, 6, 10)),  # April 2026 is before the referral
    ("ers Mehefin", date(2026, 6, 10)),
    ("ers Gorffennaf", date(2026, 7, 1)),
    ("ers mis Awst", date(2026, 8, 1)),
    ("ers Medi", date(2026, 9, 1)),
    ("ers Hydref", date(2026, 10, 1)),
    ("ers Tachwedd", date(2026, 11, 1)),
    ("ers Rhagfyr", date(2026, 12, 1)),
    ("ers canol Hydref", date(2026, 10, 15)),
    ("ers diwedd Tachwedd", date(2026, 11, 30)),
    ("ers y Nadolig", date(2026, 12, 25)),
    ("ers dechrau'r flwyddyn", date(2027, 1, 1)),
    ("ers ddoe", _ago(days=1)),
    ("ers wythnos diwethaf", _ago(days=7)),
    ("ers 3/10/2026", date(2026, 10, 3)),
    ("3", "clarify"),
    ("tri", "clarify"),
    ("dau neu dri", "clarify"),
    ("mewn 2 wythnos", None),
    ("dim syniad", None),
    ("dwn i ddim", None),
    # mixed
    ("3 wythnos thanks", _ago(days=21)),
    ("about 2 fis", _ago(months=2)),
    ("ers i mi finish", DISCHARGED),
]


@pytest.mark.parametrize(("reply", "expected"), WELSH_DURATIONS)
def test_welsh_duration(reply: str, expected: date | str | None) -> None:
    assert _failures(lambda text: read_duration(text, ANSWERED, DISCHARGED, REFERRED), reply, expected) == []


@pytest.mark.parametrize(
    ("reply", "start"),
    [("W", date(2027, 2, 22)), ("wythnos", date(2027, 2, 22)), ("wythnosau", date(2027, 2, 22)),
     ("M", date(2026, 12, 15)), ("mis", date(2026, 12, 15)), ("misoedd", date(2026, 12, 15)),
     ("fis diolch", date(2026, 12, 15))],
)  # fmt: skip
def test_the_welsh_clarification_is_answered_in_welsh(reply: str, start: date) -> None:
    state = ConversationState.start(["change"])
    first = respond(state, "3", _context())
    assert first.state.pending_number == "3"
    second = respond(first.state, reply, _context())
    assert second.answers == Answers(duration_start=start)


# ---------------------------------------------------------------------------------------------------
# mentions_risk in Welsh: errs towards flagging
# ---------------------------------------------------------------------------------------------------

# Every phrase of the list, its mutated forms and the ways it is said (north and south), written as a Welsh
# speaker would, diacritics included where they belong.
WELSH_RISKY = [
    # suicidal ideation, intent and plans
    "lladd fy hun",
    "ladd fy hun",
    "lladd fy hunan",
    "lladd fi'n hun",
    "dw i eisiau lladd fy hun",
    "dwi isio lladd fy hun",
    "dwi'n meddwl am ladd fy hun",
    "wedi trio lladd fy hun",
    "mynd i ladd fy hun",
    "hunanladdiad",
    "meddwl am hunanladdiad",
    "meddyliau hunanladdol",
    "dw i'n teimlo'n hunanladdol",
    "hunan-laddiad",
    "hunan laddiad",
    "eisiau marw",
    "isio marw",
    "isie marw",
    "moyn marw",
    "mo'yn marw",
    "dw i jyst isio marw",
    "dw i eisiau bod yn farw",
    "barod i farw",
    "gwell gen i farw",
    "well gen i farw",
    "teimlo fel marw",
    "dymuno fy mod i wedi marw",
    "eisiau diflannu",
    "eisiau cysgu am byth",
    "isio peidio deffro",
    "dim pwynt byw",
    "does dim pwynt byw",
    "dim pwynt i fyw",
    "dim pwynt mewn byw",
    "dim pwynt",
    "sdim pwynt",
    "beth yw'r pwynt",
    "be di'r pwynt",
    "dim rheswm i fyw",
    "dim byd i fyw amdano",
    "dyw bywyd ddim yn werth ei fyw",
    "ddim eisiau bod yma",
    "dim isio bod yma",
    "ddim moyn bod yma",
    "sai moyn bod yma",
    "dwi'm isio bod yma",
    "dw i ddim eisiau byw",
    "ddim eisiau byw rhagor",
    "dw i ddim eisiau bod yn fyw",
    "ddim isio deffro",
    "smo fi moyn byw",
    "diwedd ar y cyfan",
    "rhoi diwedd ar y cyfan",
    "rhoi diwedd ar fy mywyd",
    "dod â'r cyfan i ben",
    "cymryd fy mywyd fy hun",
    "gorffen fy mywyd",
    "gwell fy myd heb",
    "byddai pawb yn well eu byd hebdda i",
    "bydden nhw'n well hebddo i",
    "byddwn i'n well yn farw",
    "ysgrifennu nodyn ffarwel",
    "hwyl fawr am byth",
    "dyma'r diwedd",
    "neidio oddi ar bont",
    "taflu fy hun o flaen trên",
    "crogi fy hun",
    "grogi fy hun",
    "boddi fy hun",
    # self-harm
    "niweidio fy hun",
    "isio niweidio fy hun",
    "gwneud niwed i fy hun",
    "hunan-niweidio",
    "hunan niweidio",
    "hunanniweidio",
    "wedi bod yn hunan-niweidio eto",
    "brifo fy hun",
    "frifo fy hun",
    "eisiau frifo fy hun",
    "brifo fi'n hun",
    "torri fy hun",
    "dorri fy hun",
    "wedi torri fy hun eto",
    "torri fy arddyrnau",
    "dal i dorri",
    "llosgi fy hun",
    # overdose and means
    "gorddos",
    "cymryd gorddos",
    "wedi cymryd gorddos",
    "gorddosio",
    "llwyth o dabledi",
    "cymryd yr holl dabledi",
    "fy nhabledi i gyd",
    "casglu fy nhabledi",
    "cymryd 20 paracetamol",
    # hopelessness
    "methu mynd ymlaen",
    "methu cario ymlaen",
    "methu cario mlaen",
    "methu ymdopi",
    "dw i'n methu ymdopi",
    "alla i ddim mynd ymlaen",
    "fedra i ddim cario mlaen",
    "ffaelu mynd ymlaen",
    "methu gwneud hyn",
    "methu cymryd rhagor",
    "methu gweld dyfodol",
    "ddim yn gweld pwynt",
    "anobeithiol",
    "dw i'n teimlo'n anobeithiol",
    "anobaith",
    "dim gobaith",
    "colli pob gobaith",
    "dim dyfodol",
    "wedi colli'r awydd i fyw",
    "wedi blino ar fyw",
    "wedi cael digon ar fywyd",
    "dw i'n faich",
    "baich ar bawb",
    "rhoi'r ffidil yn y to",
    "dw i wedi cael digon",
    # risk to or from others, safety, help, crisis
    "lladd rhywun",
    "isio lladd rhywun",
    "brifo rhywun",
    "lladd fy ngŵr",
    "brifo fy mhartner",
    "eisiau brifo pobl",
    "ddim yn teimlo'n ddiogel",
    "dw i ddim yn saff",
    "mewn perygl",
    "mae e'n fy nharo",
    "mae arna i ofn e",
    "ofn fy ngŵr",
    "cam-drin",
    "trais yn y cartref",
    "helpwch fi",
    "dwi angen help",
    "angen cymorth brys",
    "plis helpwch",
    "argyfwng",
    "dw i mewn argyfwng",
    "meddyliau tywyll",
    # more ways of saying it, found while testing
    "Sa i'n gweld pwynt",
    "byddai'n well i mi farw",
    "Dwi'n casáu fy mywyd",
    "Does dim ots gen i os bydda i'n marw",
    "dw i'n haeddu marw",
    "isio mynd i gysgu a pheidio deffro",
    "eisiau i'r cyfan stopio",
    "neidio o'r bont",
    "brifo'r plant",
    "dw i'n mynd i'w ladd e",
    "mae e isio lladd ei hun",
    "dw i'n ystyried gorddos",
    "Mae fy mhartner yn fy mwrw",
    "dw i'n cael fy ngham-drin",
    "dw i'n ofni am fy mywyd",
    "ofn mynd adre",
    "sai'n gallu cario mlaen",
    "methu dal dim mwy",
    "dim rheswm i fod yma",
    "meddwl am gymryd fy mywyd",
    "dw i ar ben fy nhennyn",
    "gobeithio na wna i ddeffro",
    "dw i'n dymuno marw",
    "Dwi ishio marw",
    "dwi di cael digon",
    "smo fi'n moyn byw",
    "wedi llyncu tabledi",
    "dwi'n torri eto",
    "mofyn marw",
]

# Every mutated form in every frame it is said in: want x die, verb x self, negation x want x being here.
_WANTS = ("eisiau", "isio", "isie", "ishe", "isho", "eisie", "moyn", "mo'yn", "dw i eisiau", "dwi jyst isio")
_DIES = ("marw", "farw", "bod yn farw", "diflannu")
_VERBS = ("lladd", "ladd", "brifo", "frifo", "niweidio", "torri", "dorri", "llosgi", "losgi", "crogi", "grogi", "anafu")
_SELVES = ("fy hun", "fy hunan", "fi'n hun", "'n hun", "fy hun i", "ei hun", "myself")
_NEGS = ("ddim", "dim", "sai", "dwi ddim", "dw i ddim", "dwi'm", "smo fi")
_HERE = ("bod yma", "byw", "bod yn fyw", "deffro", "mynd ymlaen")
WELSH_FRAMES = (
    [f"{want} {die}" for want in _WANTS for die in _DIES]
    + [f"{want} i {die}" for want in ("barod", "mynd") for die in ("farw", "ladd fy hun")]
    + [f"{verb} {self}" for verb in _VERBS for self in _SELVES]
    + [f"{neg} {want} {here}" for neg in _NEGS for want in ("eisiau", "isio", "moyn", "am") for here in _HERE]
)


@pytest.mark.parametrize("phrase", WELSH_FRAMES)
def test_every_mutated_form_flags_in_every_frame(phrase: str) -> None:
    assert _misses(phrase) == []


# Typos of the phrases (a letter left out, doubled, swapped or near on the keyboard).
WELSH_RISKY_TYPOS = [
    "llad fy hun",
    "lad fy hun",
    "lladdd fy hun",
    "ladd fy hyn",
    "lladd fy hin",
    "lladd fyhun",
    "lladd y hun",
    "hunanladiad",
    "hunaladdiad",
    "hunnanladdiad",
    "hynanladdiad",
    "hunanlladiad",
    "hunanladol",
    "eisau marw",
    "esiau marw",
    "eisia marw",
    "isio marww",
    "niwedio fy hun",
    "niweido fy hun",
    "hunan niwedio",
    "brifio fy hun",
    "gordos",
    "gorddoss",
    "gorrdos",
    "anobeithol",
    "l4dd fy hun",
    "hunanl*ddiad",
]

# Mixed Welsh and English, as people text.
WELSH_RISKY_MIXED = [
    "isio die",
    "dwi jyst isio die",
    "want to marw",
    "I want to lladd fy hun",
    "I'm going to ladd fy hun",
    "lladd myself",
    "kill fy hun",
    "hurt fy hun",
    "eisiau kill myself",
    "moyn end it all",
    "dwi'n feeling suicidal",
    "ddim isio be here",
    "dont want to byw",
    "dim point byw",
    "llawer gwell ond i want to die",
    "much better but dw i eisiau marw",
    "3 wythnos, and I've been self harming",
    "wedi self harm eto",
    "taking all my tablets i gyd",
]

# Where risk hides in an answer: before, after and inside, in Welsh and English.
AROUND: tuple[Callable[[str], str], ...] = (
    lambda p: p,
    str.upper,
    str.title,
    lambda p: f"{p}.",
    lambda p: f"{p} x",
    lambda p: f"Llawer gwell, ond weithiau {p}",
    lambda p: f"Ychydig yn waeth. {p}. Diolch",
    lambda p: f"3 wythnos, {p}",
    lambda p: f"{p} a dw i ddim yn gwybod beth i'w wneud",
    lambda p: f"Much better but {p}",
    lambda p: f"{p}!!! \U0001f622",
    lambda p: f"Helo. {p.capitalize()}",
)


def _misses(phrase: str) -> list[str]:
    variants = [wrap(phrase) for wrap in AROUND] + [strip_accents(wrap(phrase)) for wrap in AROUND]
    return [text for text in variants if not mentions_risk(text)]


@pytest.mark.parametrize("phrase", WELSH_RISKY)
def test_every_welsh_risk_phrase_flags_however_it_is_dressed(phrase: str) -> None:
    assert _misses(phrase) == []


@pytest.mark.parametrize("phrase", WELSH_RISKY_TYPOS)
def test_welsh_risk_phrases_flag_through_typos(phrase: str) -> None:
    assert _misses(phrase) == []


@pytest.mark.parametrize("phrase", WELSH_RISKY_MIXED)
def test_mixed_welsh_and_english_risk_flags(phrase: str) -> None:
    assert _misses(phrase) == []


# Diacritics typed where they belong, left off, or added where they do not ("ladd fy hûn").
ACCENTED = ["lladd fy hûn", "ïsio marw", "dim pŵynt byw", "dôd â'r cyfan i ben", "ddim eisiau bôd yma", "gôrddos"]


@pytest.mark.parametrize("phrase", ACCENTED)
def test_welsh_risk_flags_with_stray_diacritics(phrase: str) -> None:
    assert mentions_risk(phrase) is True


@given(st.text(), st.sampled_from(["lladd fy hun", "hunanladdiad", "isio marw", "ddim eisiau bod yma"]), st.text())
def test_a_welsh_risk_phrase_flags_whatever_surrounds_it(before: str, phrase: str, after: str) -> None:
    assert mentions_risk(f"{before} {phrase} {after}")


# Ordinary Welsh replies, idioms included, that must still be read as answers. None of them can hide a
# risk phrase: if one did, it would have to flag (a miss costs more than a needless signpost).
WELSH_NOT_RISKY = [
    "llawer gwell",
    "Llawer gwell, diolch yn fawr",
    "ychydig yn well",
    "yr un fath",
    "dim newid",
    "ychydig yn waeth",
    "llawer gwaeth",
    "3 wythnos",
    "dau fis",
    "ers i mi orffen",
    "erioed",
    "ydw",
    "nac ydw",
    "gan amlaf",
    "STOPIO",
    "DIM",
    "DECHRAU",
    "help",
    "helpu",
    "cymorth",
    "diolch",
    "dim diolch",
    "dw i'n iawn",
    "dw i'n teimlo'n ddiogel nawr",
    "torri fy ngwallt",
    "wedi torri fy nghoes",
    "wedi brifo fy nghefn",
    "wedi blino'n lân",
    "marw isio gwybod",
    "bu bron i mi farw chwerthin",
    "bu farw fy nghath",
    "mae'r gwaith yn fy lladd i",
    "lladd amser",
    "cymryd fy nhabledi",
    "dw i wedi stopio cymryd fy nhabledi",
    "dw i'n methu aros",
    "methu cysgu'n dda",
    "dim ots",
    "gorffen y cwrs",
    "diwedd y mis",
    "ers mis Mai",
    "hwyl fawr",
    "Diolch, hwyl fawr",
    "dim problem",
    "mae gen i lwyth o waith",
    "dw i wedi rhoi'r gorau i ysmygu",
    "dw i'n gwella",
    "pethau'n gwella",
    "",
]


# English words that look like Welsh ones ("lad", "am", "trio", "hun", "o") stay ordinary English.
WELSH_NOT_RISKY += [
    "good lad you are",
    "the lad her brother knows",
    "I am not here on Tuesdays",
    "thanks hun, much better",
    "I'm off hun",
    "went to a trio concert",
    "iso week 3",
    "hi, 3 weeks",
]


@pytest.mark.parametrize("message", WELSH_NOT_RISKY)
def test_ordinary_welsh_replies_are_not_flagged(message: str) -> None:
    assert mentions_risk(message) is False


def test_a_welsh_risk_message_gets_the_signposting_and_an_alert_and_its_answer_is_still_taken() -> None:
    turn = respond(ConversationState.start(), "Llawer gwell, ond weithiau dw i eisiau marw", _context())
    assert RISK in turn.events and turn.replies[0] == texts.crisis_signposting()
    assert turn.answers == Answers(change="much_better")


def _context() -> Context:
    base = Context(
        now=datetime(2027, 3, 15, 12, 0, tzinfo=UTC),
        answered_on=ANSWERED,
        short_name="Tyne Wellbeing",
        discharge_date=DISCHARGED,
        referral_date=REFERRED,
        next_contact_month="May",
    )
    return replace(base)


# ---------------------------------------------------------------------------------------------------
# Every reply a text invites is understood, in every language
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_reply_the_texts_invite_is_understood(language: str) -> None:
    words = catalogue(language)
    changes = re.findall(r"(\d) ([^,\d]+)", words["change_options"])
    assert [read_change(label.strip()) for _, label in changes] == list(CHANGES)
    assert [read_change(f"{n} {label.strip()}") for n, label in changes] == list(CHANGES)
    usual = [line.split(" ", 1) for line in words["usual_self_options"].splitlines()]
    assert [read_usual_self(label) for _, label in usual] == list(USUAL_SELF)
    assert [read_usual_self(f"{n} {label}") for n, label in usual] == list(USUAL_SELF)
    (stop,) = re.findall(r"\b[A-Z]{4,}\b", words["opt_out"])
    (start,) = re.findall(r"\b[A-Z]{4,}\b", words["opt_out_confirmation"])
    assert (read_keyword(stop), read_keyword(start)) == ("stop", "start")
    since = words["reask_duration"].rsplit(": ", 1)[1]  # "... or reply: since I finished"
    assert read_duration(since, ANSWERED, DISCHARGED, REFERRED) == DISCHARGED
    example = re.search(r"(?:e\.g\.|e\.e\.) (.+)$", words["duration_question"])  # "e.e." in Welsh
    assert example is not None
    assert all(isinstance(read_duration(e, ANSWERED, DISCHARGED, REFERRED), date) for e in example[1].split(", "))


@pytest.mark.parametrize(
    ("message", "answers"),
    [
        ("llawer gwell a 3 wythnos", Answers(change="much_better", duration_start=date(2027, 2, 22))),
        ("Llawer gwell ers tua 2 fis", Answers(change="much_better", duration_start=date(2027, 1, 15))),
        ("ychydig yn well ac ers i mi orffen", Answers(change="a_little_better", duration_start=DISCHARGED)),
        (
            "yr un fath, 3 wythnos, gan amlaf",
            Answers(change="same", duration_start=date(2027, 2, 22), usual_self="mostly"),
        ),
        ("yr un fath ers i mi orffen, ydw", Answers(change="same", duration_start=DISCHARGED, usual_self="yes")),
        ("ychydig yn waeth ond ers pythefnos", Answers(change="a_little_worse", duration_start=date(2027, 3, 1))),
    ],
)
def test_a_welsh_message_answering_several_questions_is_split_like_an_english_one(
    message: str, answers: Answers
) -> None:
    assert respond(ConversationState.start(), message, _context()).answers == answers


def test_a_welsh_and_inside_a_duration_keeps_it_one_answer() -> None:
    state = ConversationState.start(["change"])
    assert respond(state, "blwyddyn a hanner", _context()).answers == Answers(duration_start=REFERRED)
    assert respond(state, "2 fis a 3 wythnos", _context()).answers == Answers(duration_start=date(2026, 12, 25))
