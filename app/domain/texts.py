"""Every SMS text Stillwell sends (SPEC section 2, "SMS conversation"), as functions of what varies.

Each text is kind, plain British English in GSM-7 only (no curly quotes, emoji or en dashes), at most two
segments for any allowed short name (up to 20 characters, even all two-septet extension characters) and a
link or contact of up to `MAX_LINK_LENGTH` characters, and names no therapy or mental health: the service is
only ever named by its checked short name. `_checked` enforces all of this on every text built, so a
wording change that breaks a rule fails loudly in the tests rather than on a client's phone.
Pure: standard library and `app.domain.discretion` only.
"""

from __future__ import annotations

import re
from typing import Final, Literal, TypeAlias

from app.domain.discretion import DiscretionError, check_short_name, forbidden_words_in, is_gsm7, sms_segments

Question: TypeAlias = Literal["change", "duration", "usual_self"]

MAX_SEGMENTS: Final = 2
# A web link is PUBLIC_BASE_URL (up to about 40 characters) + "/s/" + a 22-character token; a contact is an
# email address, phone number or short web address.
MAX_LINK_LENGTH: Final = 70
MAX_CONTACT_LENGTH: Final = 40
OPT_OUT_WORDING: Final = "Reply STOP to opt out."
MONTHS: Final = ("January February March April May June July August September October November December").split()

_CHANGE_OPTIONS: Final = "1 much better, 2 a little better, 3 the same, 4 a little worse, 5 much worse"
_CHANGE_QUESTION: Final = f"Compared with when you first went, how are you now? Reply {_CHANGE_OPTIONS}."
_DURATION_QUESTION: Final = "How long have you been the way you are now? e.g. 3 weeks, 2 months"
_USUAL_SELF_OPTIONS: Final = "1 yes, completely\n2 mostly, only mild symptoms left\n3 no"
_USUAL_SELF_QUESTION: Final = f"Do you feel back to your usual self?\n{_USUAL_SELF_OPTIONS}"
_SORRY: Final = "Sorry, we did not quite understand."
_CRISIS: Final = "call 999 in an emergency, NHS 111 (option 2), or Samaritans free on 116 123"


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


def _checked(text: str) -> str:
    """The text itself, once it is known to be GSM-7 and at most two segments."""
    if not is_gsm7(text):
        raise ValueError(f"text has characters outside GSM-7: {text!r}")
    if sms_segments(text) > MAX_SEGMENTS:
        raise ValueError(f"text is longer than {MAX_SEGMENTS} segments: {text!r}")
    return text


def _link_line(link: str | None) -> str:
    # The link stands on its own line so no phone takes trailing punctuation as part of it.
    return "" if link is None else f"Or answer at:\n{_address(link, 'link')}\n"


def first_message(short_name: str, link: str | None = None) -> str:
    """The first text of a check-in: greeting, the change question, the web link if allowed, opt-out last."""
    name = _name(short_name)
    return _checked(f"Hello from {name}. {_CHANGE_QUESTION}\n{_link_line(link)}{OPT_OUT_WORDING}")


def duration_question() -> str:
    """The second question: how long the client has been the way they are now."""
    return _checked(f"Thank you. {_DURATION_QUESTION}")


def usual_self_question() -> str:
    """The third question: whether the client feels back to their usual self (options 1-3)."""
    return _checked(f"Thank you. {_USUAL_SELF_QUESTION}")


def reask(question: Question) -> str:
    """The one re-ask after an unclear answer, with a hint on how to answer."""
    if question == "change":
        hint = f"Please reply with one number: {_CHANGE_OPTIONS}, compared with when you first went."
    elif question == "duration":
        hint = f"{_DURATION_QUESTION}. Please give a number and weeks, months or years, or reply: since I finished"
    else:
        hint = f"Do you feel back to your usual self? Please reply 1, 2 or 3:\n{_USUAL_SELF_OPTIONS}"
    return _checked(f"{_SORRY} {hint}")


def duration_clarification(number: str | None) -> str:
    """After a bare number ("3"): weeks or months? `number` is shown as given when short and plain."""
    shown = number.strip() if number else ""
    if shown and len(shown) <= 12 and re.fullmatch(r"[A-Za-z0-9 -]+", shown):
        return _checked(f"{shown} weeks or {shown} months? Reply W or M")
    return _checked("Is that weeks or months? Reply W or M")


def thank_you(short_name: str) -> str:
    """The last text of a completed conversation: where the answers go (not to the service)."""
    name = _name(short_name)
    return _checked(
        f"Thank you, that is all we need. Your answers go to the independent evaluation, not to {name}. Take care."
    )


def reminder(question: Question, short_name: str, link: str | None = None) -> str:
    """The one reminder when nothing came back: repeats the current question, with the link if allowed."""
    name = _name(short_name)
    asked = {
        "change": _CHANGE_QUESTION,
        "duration": _DURATION_QUESTION,
        "usual_self": _USUAL_SELF_QUESTION,
    }[question]
    return _checked(f"Reminder from {name}: {asked}\n{_link_line(link)}{OPT_OUT_WORDING}")


def change_options_again(link: str | None = None) -> str:
    """After a second unclear change answer: the web page where allowed, else the numbered options again."""
    if link is not None:
        return _checked(
            f"Sorry, we still could not tell. You can answer on this page instead:\n{_address(link, 'link')}\n"
            "Or reply with one number from 1 (much better) to 5 (much worse)."
        )
    return _checked(
        "Sorry, we still could not tell. Compared with when you first went, please reply with just one number:\n"
        "1 much better\n2 a little better\n3 the same\n4 a little worse\n5 much worse"
    )


def crisis_signposting() -> str:
    """The immediate reply to a message that suggests risk: where to get help now."""
    return _checked(
        "If you are in danger or might harm yourself, please call 999 now. For urgent help any time, call "
        "NHS 111 and choose option 2, or call Samaritans free on 116 123. You do not have to face this alone."
    )


def help_reply(short_name: str | None, contact: str | None = None) -> str:
    """HELP or INFO: who is asking and why, a contact, how to opt out and where to get urgent help."""
    about = f"people who used {_name(short_name)}" if short_name else "people who have used a service"
    reach = f" Contact: {_address(contact, 'contact', MAX_CONTACT_LENGTH)}." if contact else ""
    return _checked(
        f"Stillwell asks {about} how they are now, for an independent evaluation of services.{reach} "
        f"{OPT_OUT_WORDING} Urgent help: {_CRISIS}."
    )


def opt_out_confirmation() -> str:
    """The reply to STOP: the opt-out took effect, and how to undo it."""
    return _checked("You have opted out and will get no more texts from us. Reply START if you change your mind.")


def resume_confirmation() -> str:
    """The reply to START: contact resumes from the next planned check-in."""
    return _checked(f"Welcome back. We will text you at the next planned check-in. {OPT_OUT_WORDING}")


def closed(month: str | None) -> str:
    """To a known client when nothing is open: the check-in has closed, and when we will next be in touch."""
    if month is None:
        return _checked("This check-in has closed, thank you. There are no more check-ins planned.")
    if month not in MONTHS:
        raise ValueError(f"{month!r} is not the English name of a month")
    return _checked(f"This check-in has closed, thank you. We will be in touch around {month}.")


def unknown_sender() -> str:
    """The one discreet reply to a number we do not know: says nothing about who we are for."""
    return _checked("Thank you for your message. We could not match it to this number, so there is nothing to do.")


def wrong_number_ack() -> str:
    """The reply to "wrong number": we stop, and apologise."""
    return _checked(
        "Thank you for letting us know, and sorry to have troubled you. We will not text this number again."
    )


def bereavement_ack() -> str:
    """The reply to news of a death: condolences, and no more texts."""
    return _checked(
        "We are very sorry for your loss, and sorry to have troubled you. We will not text this number again."
    )


def all_texts(short_name: str, link: str | None = None, contact: str | None = None) -> dict[str, str]:
    """Every text for one service, by a descriptive key: for review, previews and the property tests."""
    texts = {
        "first_message": first_message(short_name, link),
        "duration_question": duration_question(),
        "usual_self_question": usual_self_question(),
        "clarification": duration_clarification("3"),
        "clarification_generic": duration_clarification(None),
        "thank_you": thank_you(short_name),
        "change_options_again": change_options_again(link),
        "crisis_signposting": crisis_signposting(),
        "help": help_reply(short_name, contact),
        "help_unknown_sender": help_reply(None, contact),
        "opt_out_confirmation": opt_out_confirmation(),
        "resume_confirmation": resume_confirmation(),
        "closed": closed("September"),
        "closed_no_month": closed(None),
        "unknown_sender": unknown_sender(),
        "wrong_number": wrong_number_ack(),
        "bereavement": bereavement_ack(),
    }
    questions: tuple[Question, ...] = ("change", "duration", "usual_self")
    for question in questions:
        texts[f"reask_{question}"] = reask(question)
        texts[f"reminder_{question}"] = reminder(question, short_name, link)
    return texts
