"""Every SMS text Stillwell sends (SPEC section 2, "SMS conversation"; 8.3), as functions of what varies.

The wording comes from the message catalogues in `app.domain.catalogues` (`en`, and `cy` Welsh, a draft
that needs review by a qualified translator before use with real clients); each function takes a
`language` (default "en"), or `BILINGUAL` ("cy+en": the Welsh text, a blank line, the English text, in
one message; each half checked in its own language, the whole at most `MAX_BILINGUAL_SEGMENTS`). Each text
is kind and plain, at most two segments (`app.domain.sms_encoding`) for any allowed short name (up to 20
characters, even all two-septet extension characters) and a link or contact of up to `MAX_LINK_LENGTH`
characters, and names no therapy or mental health: the service is only ever named by its checked short
name. English texts are GSM-7 only (no curly quotes, emoji or en dashes); a Welsh text may be UCS-2 (70/67
a segment) but must still fit. `_checked` enforces all of this on every text built, so a wording change
that breaks a rule fails loudly in the tests rather than on a client's phone.
Pure: standard library and `app.domain` only.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable
from contextvars import ContextVar
from typing import Final, Literal, NamedTuple, ParamSpec, TypeAlias

from app.domain.catalogues import DEFAULT_LANGUAGE, catalogue
from app.domain.discretion import DiscretionError, check_short_name, forbidden_words_in, is_gsm7
from app.domain.languages import BILINGUAL, BILINGUAL_PARTS
from app.domain.sms_encoding import Encoding, measure

Question: TypeAlias = Literal["change", "duration", "usual_self"]
_P = ParamSpec("_P")

MAX_SEGMENTS: Final = 2
#: A bilingual text carries two texts of at most MAX_SEGMENTS each: it may take up to this many (docs/languages.md).
MAX_BILINGUAL_SEGMENTS: Final = MAX_SEGMENTS * len(BILINGUAL_PARTS)
#: Between the Welsh and the English of a bilingual text: a blank line.
BILINGUAL_SEPARATOR: Final = "\n\n"
# A web link is PUBLIC_BASE_URL (up to about 40 characters) + "/s/" + a 22-character token; a contact is an
# email address, phone number or short web address.
MAX_LINK_LENGTH: Final = 70
MAX_CONTACT_LENGTH: Final = 40
OPT_OUT_WORDING: Final = catalogue("en")["opt_out"]
MONTHS: Final = tuple(catalogue("en")["months"].split())


def _t(language: str, key: str, **values: str) -> str:
    """One template of the language's catalogue, filled with `values` and the fragments it names."""
    texts = catalogue(language)
    fragments = {
        name: texts[name] for name in ("opt_out", "change_options", "usual_self_options", "sorry", "crisis_short")
    }
    fragments["duration_question"] = texts["duration_question"]
    return texts[key].format(**{**fragments, **values})


def _question(language: str, question: Question) -> str:
    key = {"change": "change_question", "duration": "duration_question", "usual_self": "usual_self_question"}
    return _t(language, key[question])


def _name(short_name: str) -> str:
    """The service's short name, refused unless it is discreet, GSM-7 and at most 20 characters."""
    return check_short_name(short_name)


def _address(value: str, what: str, longest: int = MAX_LINK_LENGTH) -> str:
    """A link or contact: one GSM-7 token, short enough to fit, naming nothing it must not."""
    if not value or len(value) > longest or not is_gsm7(value) or re.search(r"\s", value):
        raise DiscretionError(f"the {what} {value!r} must be one word of plain characters, at most {longest} long")
    if found := forbidden_words_in(value):
        raise DiscretionError(f"the {what} {value!r} contains {', '.join(found)}: texts must not reveal the service")
    return value


# Set only while `text_report` measures every text, so a text that does not fit is listed instead of raised.
_MEASURING: ContextVar[bool] = ContextVar("measuring", default=False)


def _checked(text: str, language: str = DEFAULT_LANGUAGE) -> str:
    """The text itself, once it is known to fit: GSM-7 for English, and at most two segments in any language."""
    if _MEASURING.get():
        return text
    if language == "en" and not is_gsm7(text):
        raise ValueError(f"text has characters outside GSM-7: {text!r}")
    if measure(text).segments > MAX_SEGMENTS:
        raise ValueError(f"text is longer than {MAX_SEGMENTS} segments: {text!r}")
    if found := forbidden_words_in(text):
        raise ValueError(f"text contains {', '.join(found)}: texts must not reveal the service: {text!r}")
    return text


def bilingual(welsh: str, english: str) -> str:
    """One message of Welsh first, then English, a blank line between (Welsh Language Standards No. 7)."""
    combined = f"{welsh.rstrip()}{BILINGUAL_SEPARATOR}{english.lstrip()}"
    if not _MEASURING.get() and measure(combined).segments > MAX_BILINGUAL_SEGMENTS:
        raise ValueError(f"bilingual text is longer than {MAX_BILINGUAL_SEGMENTS} segments: {combined!r}")
    return combined


def _in_any_language(build: Callable[_P, str]) -> Callable[_P, str]:
    """Let a text function take `language=BILINGUAL` too: each half is built (and checked) in its own language."""
    signature = inspect.signature(build)

    @functools.wraps(build)
    def built(*args: _P.args, **kwargs: _P.kwargs) -> str:
        bound = signature.bind(*args, **kwargs)
        if bound.arguments.get("language") != BILINGUAL:
            return build(*args, **kwargs)
        halves = []
        for part in BILINGUAL_PARTS:
            bound.arguments["language"] = part
            halves.append(build(*bound.args, **bound.kwargs))
        return bilingual(*halves)

    return built


def _link_line(link: str | None, language: str = DEFAULT_LANGUAGE) -> str:
    # The link stands on its own line so no phone takes trailing punctuation as part of it.
    return "" if link is None else _t(language, "link_line", link=_address(link, "link"))


@_in_any_language
def first_message(short_name: str, link: str | None = None, language: str = DEFAULT_LANGUAGE) -> str:
    """The first text of a check-in: greeting, the change question, the web link if allowed, opt-out last."""
    name = _name(short_name)
    question = _question(language, "change")
    return _checked(
        _t(language, "first_message", name=name, question=question, link_line=_link_line(link, language)), language
    )


@_in_any_language
def duration_question(language: str = DEFAULT_LANGUAGE) -> str:
    """The second question: how long the client has been the way they are now."""
    return _checked(_t(language, "thanks_then", question=_question(language, "duration")), language)


@_in_any_language
def usual_self_question(language: str = DEFAULT_LANGUAGE) -> str:
    """The third question: whether the client feels back to their usual self (options 1-3)."""
    return _checked(_t(language, "thanks_then", question=_question(language, "usual_self")), language)


@_in_any_language
def reask(question: Question, language: str = DEFAULT_LANGUAGE) -> str:
    """The one re-ask after an unclear answer, with a hint on how to answer."""
    return _checked(_t(language, f"reask_{question}"), language)


@_in_any_language
def duration_clarification(number: str | None, language: str = DEFAULT_LANGUAGE) -> str:
    """After a bare number ("3"): weeks or months? `number` is shown as given when short and plain."""
    shown = number.strip() if number else ""
    if shown and len(shown) <= 12 and re.fullmatch(r"[A-Za-z0-9 -]+", shown):
        return _checked(_t(language, "clarification", number=shown), language)
    return _checked(_t(language, "clarification_generic"), language)


@_in_any_language
def thank_you(short_name: str, language: str = DEFAULT_LANGUAGE) -> str:
    """The last text of a completed conversation: where the answers go (not to the service)."""
    return _checked(_t(language, "thank_you", name=_name(short_name)), language)


@_in_any_language
def reminder(question: Question, short_name: str, link: str | None = None, language: str = DEFAULT_LANGUAGE) -> str:
    """The one reminder when nothing came back: repeats the current question, with the link if allowed."""
    name = _name(short_name)
    asked = _question(language, question)
    return _checked(_t(language, "reminder", name=name, question=asked, link_line=_link_line(link, language)), language)


@_in_any_language
def change_options_again(link: str | None = None, language: str = DEFAULT_LANGUAGE) -> str:
    """After a second unclear change answer: the web page where allowed, else the numbered options again."""
    if link is not None:
        return _checked(_t(language, "change_options_again_link", link=_address(link, "link")), language)
    return _checked(_t(language, "change_options_again"), language)


@_in_any_language
def crisis_signposting(language: str = DEFAULT_LANGUAGE) -> str:
    """The immediate reply to a message that suggests risk: where to get help now."""
    return _checked(_t(language, "crisis_signposting"), language)


@_in_any_language
def help_reply(short_name: str | None, contact: str | None = None, language: str = DEFAULT_LANGUAGE) -> str:
    """HELP or INFO: who is asking and why, a contact, how to opt out and where to get urgent help."""
    about = _t(language, "help_about_service", name=_name(short_name)) if short_name else _t(language, "help_about_any")
    reach = _t(language, "help_contact", contact=_address(contact, "contact", MAX_CONTACT_LENGTH)) if contact else ""
    return _checked(_t(language, "help", about=about, reach=reach), language)


@_in_any_language
def opt_out_confirmation(language: str = DEFAULT_LANGUAGE) -> str:
    """The reply to STOP: the opt-out took effect, and how to undo it."""
    return _checked(_t(language, "opt_out_confirmation"), language)


@_in_any_language
def resume_confirmation(language: str = DEFAULT_LANGUAGE) -> str:
    """The reply to START: contact resumes from the next planned check-in."""
    return _checked(_t(language, "resume_confirmation"), language)


@_in_any_language
def closed(month: str | None, language: str = DEFAULT_LANGUAGE) -> str:
    """To a known client when nothing is open: the check-in has closed, and when we will next be in touch.

    `month` is the English name of a month; the text names it in the client's language."""
    if month is None:
        return _checked(_t(language, "closed_no_month"), language)
    if month not in MONTHS:
        raise ValueError(f"{month!r} is not the English name of a month")
    shown = catalogue(language)["months"].split()[MONTHS.index(month)]
    return _checked(_t(language, "closed", month=shown), language)


@_in_any_language
def unknown_sender(language: str = DEFAULT_LANGUAGE) -> str:
    """The one discreet reply to a number we do not know: says nothing about who we are for."""
    return _checked(_t(language, "unknown_sender"), language)


@_in_any_language
def wrong_number_ack(language: str = DEFAULT_LANGUAGE) -> str:
    """The reply to "wrong number": we stop, and apologise."""
    return _checked(_t(language, "wrong_number"), language)


@_in_any_language
def bereavement_ack(language: str = DEFAULT_LANGUAGE) -> str:
    """The reply to news of a death: condolences, and no more texts."""
    return _checked(_t(language, "bereavement"), language)


def all_texts(
    short_name: str, link: str | None = None, contact: str | None = None, language: str = DEFAULT_LANGUAGE
) -> dict[str, str]:
    """Every text for one service, by a descriptive key: for review, previews and the property tests."""
    lang = language
    texts = {
        "first_message": first_message(short_name, link, lang),
        "duration_question": duration_question(lang),
        "usual_self_question": usual_self_question(lang),
        "clarification": duration_clarification("3", lang),
        "clarification_generic": duration_clarification(None, lang),
        "thank_you": thank_you(short_name, lang),
        "change_options_again": change_options_again(link, lang),
        "crisis_signposting": crisis_signposting(lang),
        "help": help_reply(short_name, contact, lang),
        "help_unknown_sender": help_reply(None, contact, lang),
        "opt_out_confirmation": opt_out_confirmation(lang),
        "resume_confirmation": resume_confirmation(lang),
        "closed": closed("September", lang),
        "closed_no_month": closed(None, lang),
        "unknown_sender": unknown_sender(lang),
        "wrong_number": wrong_number_ack(lang),
        "bereavement": bereavement_ack(lang),
    }
    questions: tuple[Question, ...] = ("change", "duration", "usual_self")
    for question in questions:
        texts[f"reask_{question}"] = reask(question, lang)
        texts[f"reminder_{question}"] = reminder(question, short_name, link, lang)
    return texts


#: The longest allowed short name (20 two-septet characters), link and contact: the worst case of every text.
LONGEST_SHORT_NAME: Final = "\u20ac" * 20
LONGEST_LINK: Final = "https://" + "a" * (MAX_LINK_LENGTH - len("https://"))
LONGEST_CONTACT: Final = "a" * (MAX_CONTACT_LENGTH - len("@b.uk")) + "@b.uk"


class TextSize(NamedTuple):
    """One text of one language at its longest, as `flask texts check` lists it."""

    language: str
    key: str
    characters: int
    encoding: Encoding
    units: int
    segments: int
    text: str

    @property
    def limit(self) -> int:
        """The most segments the text may take: MAX_SEGMENTS, or MAX_BILINGUAL_SEGMENTS for a bilingual text."""
        return MAX_BILINGUAL_SEGMENTS if self.language == BILINGUAL else MAX_SEGMENTS

    @property
    def fits(self) -> bool:
        return self.segments <= self.limit


def text_report(language: str) -> list[TextSize]:
    """Every text of one language (or BILINGUAL) with the longest short name, link and contact, measured and
    not refused."""
    token = _MEASURING.set(True)
    try:
        built = all_texts(LONGEST_SHORT_NAME, LONGEST_LINK, LONGEST_CONTACT, language)
        built["change_options_again_no_link"] = change_options_again(None, language)
        built["help_no_contact"] = help_reply(LONGEST_SHORT_NAME, None, language)
    finally:
        _MEASURING.reset(token)
    report = []
    for key, text in sorted(built.items()):
        size = measure(text)
        report.append(TextSize(language, key, len(text), size.encoding, size.units, size.segments, text))
    return report
