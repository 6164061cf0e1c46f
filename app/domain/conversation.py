"""The SMS conversation of a check-in (SPEC section 2): one inbound text in, what to record and say out.

`respond(state, text, context)` is a pure state machine. It follows SPEC's order for an inbound SMS:
safeguarding scan, keywords, wrong-number and bereavement news, nothing more when opted out, the one generic
reply to an unknown number, the "closed" reply when nothing is open, and only then the answers to the open
check-in. It never reads the clock or a database: the caller passes `now` and the dates, persists the new
state and answers, acts on the events and sends the replies in order.

Splitting a message that answers several questions (SPEC: on commas, semicolons, new lines and " and ").
The message is cut into pieces at hard breaks (comma, semicolon, new line) and soft breaks (" and ", " but ",
" & ", the end of a sentence: ". ", "! ", "? ", and just before " for " or " since "; in Welsh " ac ", " ond ",
" a " before a number, and just before " ers "). An answer is a run of
consecutive pieces, and the runs are read in order against the questions still open, from the current one. A
hard break may end an answer anywhere; a soft break may end one only when what follows it reads clearly as the
next answer. Of the readings allowed, the one that explains the most of the message wins, then the one with
more answers. So "a year and a half" stays one duration, "1 year, 2 months" one duration, "a little better and
3 weeks" is two answers, "3 weeks, yes" two, "much better for about 2 months" two, "ever since I finished" one,
and "a little better and worse" is unclear rather than guessed as better.
Reading stops at the first unclear item; only that first item can be an unclear answer to the question the
client was asked: an unclear item after an answer in the same message is not held against the next question.

Choices where SPEC is silent: a message of nothing but white space gets no reply and is no attempt; a message
once every question is settled (the check-in still open) is stored by the caller and gets no reply; "who is
this?" and the like get the HELP text (not an opt-out, a wrong number or an attempt); after a risk message the
crisis signposting replaces the generic and "closed" replies, while answers in it are still taken and the next
question still follows the signposting; STOP always gets its confirmation, and HELP its reply, even when the
contact is already opted out, but wrong-number and bereavement news from an opted-out contact get none.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, Final, Literal, TypeAlias, TypeVar

from app.domain import texts
from app.domain.catalogues import DEFAULT_LANGUAGE
from app.domain.replies import (
    Change,
    UsualSelf,
    mentions_risk,
    read_change,
    read_duration,
    read_keyword,
    read_usual_self,
)
from app.domain.texts import Question

Step: TypeAlias = Literal["change", "duration", "usual_self", "done"]
_T = TypeVar("_T")
QUESTIONS: Final[tuple[Question, ...]] = ("change", "duration", "usual_self")

# What a message asks the caller to do, besides sending the replies (a tuple of these, in this order).
RISK: Final = "risk"  # raise a safeguarding alert and email the safeguarding contact a link to it
OPT_OUT: Final = "opt_out"  # opt the contact point out on every channel, now
RESUME: Final = "resume"  # the contact point opted back in
WRONG_NUMBER: Final = "wrong_number"  # stop all contact with the client and raise a review item
BEREAVEMENT: Final = "bereavement"  # stop all contact with the client and raise a review item
COMPLETE: Final = "complete"  # every question is answered or given up; the thank-you was sent
CLOSED_REPLY: Final = "closed_reply"  # the "check-in has closed" reply was sent: record it as last_closed_reply_at
GENERIC_REPLY: Final = "generic_reply"  # the one generic reply to an unknown number was sent

UNPROMPTED_REPLY_GAP: Final = timedelta(hours=24)  # after a second unclear change answer
CLOSED_REPLY_GAP: Final = timedelta(hours=24)  # "at most once a day"
_MAX_PIECES: Final = 16  # a longer message is read in its first pieces (the rest joins the last one)
_MAX_RUN: Final = 6  # pieces in one answer ("1 year, 2 months and 3 days" is three)

# Welsh "ac" (and), "ond" (but), and "a" (and) before a number: "llawer gwell a 3 wythnos".
_JOINING_WORD: Final = r"(?:(?:and|but|&|ac|ond)\s+|a\s+(?=[0-9]))?"  # ", and 3 weeks": the "and" belongs to the break
_HARD_BREAK: Final = rf"\s*(?:[,;]|\r\n|\r|\n)[\s,;]*{_JOINING_WORD}"
# Before "for" and "since" too, which keep their word: "much better for about 2 months", "the same since I finished";
# and before the Welsh "ers" (since, for): "llawer gwell ers tua 2 fis".
_SOFT_BREAK: Final = (
    rf"\s+(?:and|but|&|ac|ond)\s+|\s+a\s+(?=[0-9])|(?<=\S)[.!?]+\s+{_JOINING_WORD}|\s+(?=(?:for|since|ers)\s)"
)
_BREAKS: Final = re.compile(rf"({_HARD_BREAK}|{_SOFT_BREAK})", re.IGNORECASE)
# The Welsh clarification asks "W neu M" too: wythnos(au) and mis/misoedd (mutated "fis") are its words.
_WEEKS: Final = frozenset("w wk wks week weeks weeek wek weks wythnos wythnosau wthnos wsnos".split())
_MONTHS: Final = frozenset("m mo mos mth mths mnth mnths mon mons month months mis misoedd fis fisoedd".split())
_CLARIFICATION_FILLERS: Final = frozenset(
    "x xx xxx thanks thank you ty thx ta cheers please pls ok okay its it is sorry oh oops i meant mean "
    "diolch plis sori".split()
)

_WRONG_NUMBER: Final = re.compile(
    r"\b(?:wrong (?:number|numbr|nmber|num|person|phone|mobile|contact|details)"
    r"|(?:got|have|texted|texting|messaged|messaging|sent this to) the wrong"
    r"|(?:no ?one|nobody|no body) (?:here |at this number )?(?:called|named|by (?:that|this|the) name"
    r"|of (?:that|this) name|with (?:that|this) name)"
    r"|(?:dont|do not) know (?:anyone|anybody|any one|who) (?:called|named|by (?:that|this) name|that is)"
    r"|(?:this|that|it) (?:is not|isnt|s not) (?:my|their|his|her) (?:number|phone))\b"
)
_NOT_WRONG: Final = re.compile(r"\b(?:not|isnt|no|nt) (?:a |the )?wrong\b")
_RELATIVES: Final = (
    "husband wife partner son daughter mum mom mother dad father brother sister boyfriend girlfriend friend "
    "grandson granddaughter nan gran grandma grandad grandfather grandmother uncle aunt"
).replace(" ", "|")
# "He died", "she passed away", "is deceased". A client's own loss reads the same as news of the client's
# death ("my mum passed away"), so both are flagged: the evaluators' review item is the safety net.
_BEREAVEMENT: Final = re.compile(
    r"\bpassed (?:away|on)\b|\bdeceased\b|\b(?:he|she) (?:is|s) dead\b"
    rf"|\b(?:he|she|they|{_RELATIVES})(?: has| had| sadly| recently| suddenly| unfortunately| tragically)* died\b"
)
# Someone asking who is texting gets the HELP text: it answers exactly that. It is not a wrong number.
_WHO_IS_THIS: Final = re.compile(
    r"(?:hi |hello )?(?:who (?:is|s) (?:this|that|it|texting me|messaging me)|whos this|who dis|who are (?:you|u)"
    r"|what is this|whats this|what is this about|whats this about|who sent this)"
)


@dataclass(frozen=True)
class ConversationState:
    """Where an open check-in's SMS conversation stands.

    `question` is always the first question neither answered nor left unanswered ("done" when none is).
    `unclear_count` counts unclear answers to the current question. `pending_number` is a bare duration
    number ("3") waiting for W or M. After a second unclear change answer `change_given_up` is set: the
    check-in keeps waiting for a change answer, and unclear replies get at most one reply per 24 hours,
    the last sent at `last_unprompted_reply_at`. `unanswered` holds duration or usual self when left
    unanswered after two unclear answers.
    """

    question: Step = "change"
    unclear_count: int = 0
    pending_number: str | None = None
    change_given_up: bool = False
    last_unprompted_reply_at: datetime | None = None
    answered: frozenset[Question] = frozenset()
    unanswered: frozenset[Question] = frozenset()

    def __post_init__(self) -> None:
        if self.question != _first_open(self.answered, self.unanswered):
            raise ValueError(f"the current question {self.question!r} is not the first open one")
        if "change" in self.unanswered or self.answered & self.unanswered:
            raise ValueError("change is never left unanswered, and no item is both answered and unanswered")
        if self.change_given_up and self.question != "change":
            raise ValueError("change is given up on only while it is still the current question")
        if self.pending_number is not None and self.question != "duration":
            raise ValueError("a duration clarification is pending only while duration is the current question")

    @classmethod
    def start(cls, answered: Iterable[Question] = ()) -> ConversationState:
        """The state at a check-in's first send; `answered` names items already answered (on the web)."""
        done = frozenset(answered)
        return cls(question=_first_open(done, frozenset()), answered=done)

    def with_answered(self, *items: Question) -> ConversationState:
        """This state once `items` were answered elsewhere (the web survey); a new current question starts afresh."""
        answered = self.answered | frozenset(items)
        unanswered = self.unanswered - answered
        question = _first_open(answered, unanswered)
        if question == self.question:
            return replace(self, answered=answered, unanswered=unanswered)
        return ConversationState(question=question, answered=answered, unanswered=unanswered)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form, for storing with the check-in."""
        return {
            "question": self.question,
            "unclear_count": self.unclear_count,
            "pending_number": self.pending_number,
            "change_given_up": self.change_given_up,
            "last_unprompted_reply_at": _iso(self.last_unprompted_reply_at),
            "answered": sorted(self.answered, key=QUESTIONS.index),
            "unanswered": sorted(self.unanswered, key=QUESTIONS.index),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ConversationState:
        """The state `as_dict` stored."""
        last = data.get("last_unprompted_reply_at")
        return cls(
            question=data["question"],
            unclear_count=int(data.get("unclear_count", 0)),
            pending_number=data.get("pending_number"),
            change_given_up=bool(data.get("change_given_up", False)),
            last_unprompted_reply_at=datetime.fromisoformat(last) if last else None,
            answered=frozenset(_questions(data.get("answered", ()))),
            unanswered=frozenset(_questions(data.get("unanswered", ()))),
        )


@dataclass(frozen=True)
class Context:
    """What the caller knows about the message, the sender and their open check-in (if any).

    `answered_on` is the local date (service time zone) the message arrived; `now` the instant (aware).
    `short_name` is None for an unknown sender. `link` (`<PUBLIC_BASE_URL>/s/<token>`) is only sent when
    `links_allowed`. `next_contact_month` is the English month name of the next planned contact (None: none
    planned). `last_closed_reply_at` is when this sender last got the "closed" reply (for an unknown sender:
    the generic reply, when the caller keeps it): the "closed" reply goes at most once a day, the generic reply
    only once (SPEC: "one discreet generic reply"). `help_contact` is the
    contact given in the HELP reply (an email address, phone number or short web address). `text_language` is
    the language of the client's texts (`app.domain.languages.message_language`: "en", "cy" or "cy+en"); an
    unknown sender has no client and always hears English.
    """

    now: datetime
    answered_on: date
    short_name: str | None = None
    discharge_date: date | None = None
    referral_date: date | None = None
    links_allowed: bool = False
    link: str | None = None
    opted_out: bool = False
    has_open_check_in: bool = True
    known_sender: bool = True
    next_contact_month: str | None = None
    last_closed_reply_at: datetime | None = None
    help_contact: str | None = None
    text_language: str = DEFAULT_LANGUAGE

    def __post_init__(self) -> None:
        if self.now.tzinfo is None or self.now.utcoffset() is None:
            raise ValueError("now must be an aware datetime")

    @property
    def web_link(self) -> str | None:
        """The link to put in a text, when the service allows links at all."""
        return self.link if self.links_allowed else None

    @property
    def language(self) -> str:
        """The language replies are sent in: the client's, English for a number we do not know."""
        return self.text_language if self.known_sender else DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Answers:
    """The answers newly taken from one message (None: not given in it)."""

    change: Change | None = None
    duration_start: date | None = None
    usual_self: UsualSelf | None = None

    def __bool__(self) -> bool:
        return (self.change, self.duration_start, self.usual_self) != (None, None, None)


@dataclass(frozen=True)
class Turn:
    """The outcome of one inbound message: the new state, the answers to record, the texts to send (in order),
    the events to act on, and whether the message counted as an attempt (SPEC "Attempts")."""

    state: ConversationState
    answers: Answers = field(default_factory=Answers)
    replies: list[str] = field(default_factory=list)
    events: tuple[str, ...] = ()
    attempt: bool = False


def respond(state: ConversationState, text: str, context: Context) -> Turn:
    """Handle one inbound SMS in SPEC order; see the module docstring for how answers are read."""
    risk = mentions_risk(text)
    events: list[str] = [RISK] if risk else []
    replies: list[str] = [texts.crisis_signposting(context.language)] if risk else []

    def turn(new_state: ConversationState = state, answers: Answers | None = None, attempt: bool = False) -> Turn:
        return Turn(new_state, answers or Answers(), replies, tuple(events), attempt)

    keyword = read_keyword(text)
    if keyword == "stop":
        events.extend([] if context.opted_out else [OPT_OUT])
        replies.append(texts.opt_out_confirmation(context.language))
        return turn()
    if keyword == "start":
        events.extend([RESUME] if context.opted_out else [])
        replies.append(texts.resume_confirmation(context.language))
        return turn()
    if keyword == "help":
        replies.append(_help(context))
        return turn()
    plain = _plain(text)
    news = _news(plain)
    if news is not None:
        events.append(news)
        if not context.opted_out:
            replies.append(
                texts.wrong_number_ack(context.language)
                if news == WRONG_NUMBER
                else texts.bereavement_ack(context.language)
            )
        return turn()
    if context.opted_out or not text.strip():
        return turn()  # an opted-out contact hears nothing more; an empty message is nothing to answer
    if _WHO_IS_THIS.fullmatch(plain):
        replies.append(_help(context))
        return turn()
    if not context.known_sender or not context.has_open_check_in:
        if not risk and _may_reply_unprompted(context):  # after a risk message the signposting is the reply
            if context.known_sender:
                events.append(CLOSED_REPLY)
                replies.append(texts.closed(context.next_contact_month, context.language))
            else:
                events.append(GENERIC_REPLY)
                replies.append(texts.unknown_sender(context.language))
        return turn()
    if state.question == "done":
        return turn()  # the conversation is over; later messages are stored, never read as answers
    new_state, answers, said = _answer(state, text, context, risk)
    replies.extend(said)
    if new_state.question == "done":
        events.append(COMPLETE)
    return turn(new_state, answers, attempt=not risk)


# ---------------------------------------------------------------------------------------------------
# Answers to the open check-in
# ---------------------------------------------------------------------------------------------------

_Piece: TypeAlias = tuple[str, str, bool]  # (the break before it, its text, whether that break is soft)
_Item: TypeAlias = tuple[Question, object, str]  # (question, value read, the text it was read from)
_Reading: TypeAlias = tuple[int, tuple[_Item, ...]]  # (pieces explained, answers read in order)
_Reader: TypeAlias = Callable[[Question, str, bool], object]


def _answer(
    state: ConversationState, text: str, context: Context, risk: bool
) -> tuple[ConversationState, Answers, list[str]]:
    """Read the message against the open questions, then decide what to ask next."""
    pieces = _pieces(text)
    if risk:  # the risk itself is no answer: read what is left ("much better but I want to end it all")
        pieces = [piece for piece in pieces if not mentions_risk(piece[1])]
    assert state.question != "done"
    open_questions = [q for q in QUESTIONS if q not in state.answered | state.unanswered]
    items = _read(pieces, open_questions, _reader(state, context))[1] if pieces else ()
    if not items:
        if risk:
            return state, Answers(), []  # a risk message never counts as an unclear answer
        return _unclear(state, context)
    taken: dict[str, Any] = {}
    answered, pending = set(state.answered), None
    for question, value, run in items:
        if value == "clarify":
            pending = run.strip()
        else:
            answered.add(question)
            taken["duration_start" if question == "duration" else question] = value
    new_state = _advance(state, frozenset(answered), state.unanswered, pending)
    return new_state, Answers(**taken), [_next_text(new_state, context)]


def _unclear(state: ConversationState, context: Context) -> tuple[ConversationState, Answers, list[str]]:
    """SPEC "Attempts": re-ask once with a hint, then move on (duration, usual self) or offer the link (change)."""
    question = state.question
    assert question != "done"
    if question == "change":
        if state.change_given_up:
            last = state.last_unprompted_reply_at
            if last is not None and context.now - last < UNPROMPTED_REPLY_GAP:
                return state, Answers(), []
            return (
                replace(state, last_unprompted_reply_at=context.now),
                Answers(),
                [texts.change_options_again(context.web_link, context.language)],
            )
        if state.unclear_count == 0:
            return replace(state, unclear_count=1), Answers(), [texts.reask("change", context.language)]
        given_up = replace(
            state, unclear_count=state.unclear_count + 1, change_given_up=True, last_unprompted_reply_at=context.now
        )
        return given_up, Answers(), [texts.change_options_again(context.web_link, context.language)]
    if state.unclear_count == 0:
        return (
            replace(state, unclear_count=1, pending_number=None),
            Answers(),
            [texts.reask(question, context.language)],
        )
    new_state = _advance(state, state.answered, state.unanswered | {question}, None)
    return new_state, Answers(), [_next_text(new_state, context)]


def _advance(
    state: ConversationState, answered: frozenset[Question], unanswered: frozenset[Question], pending: str | None
) -> ConversationState:
    """The state once these items are settled: a new current question starts with no unclear answers."""
    question = _first_open(answered, unanswered)
    moved = question != state.question
    return replace(
        state,
        question=question,
        answered=answered,
        unanswered=unanswered,
        pending_number=pending if question == "duration" else None,
        unclear_count=0 if moved else state.unclear_count,
        change_given_up=state.change_given_up and not moved,
        last_unprompted_reply_at=None if moved else state.last_unprompted_reply_at,
    )


def _next_text(state: ConversationState, context: Context) -> str:
    """What to send after answers were taken or given up: the clarification, the next question or thanks."""
    if state.pending_number is not None:
        return texts.duration_clarification(state.pending_number, context.language)
    if state.question == "done":
        return texts.thank_you(_known(context.short_name, "short_name"), context.language)
    if state.question == "usual_self":
        return texts.usual_self_question(context.language)
    # Duration: change always comes first and is never left unanswered, so nothing moves back to it.
    return texts.duration_question(context.language)


def _reader(state: ConversationState, context: Context) -> _Reader:
    """Reads one run of text as the answer to a question (None when unclear), remembering what it read."""
    cache: dict[tuple[Question, str, bool], object] = {}

    def read(question: Question, run: str, first: bool) -> object:
        key = (question, run, first)
        if key not in cache:
            cache[key] = _read_one(question, run, state.pending_number if first else None, context)
        return cache[key]

    return read


def _read_one(question: Question, run: str, pending: str | None, context: Context) -> object:
    if question == "change":
        return read_change(run)
    if question == "usual_self":
        return read_usual_self(run)
    discharge, referral = (
        _known(context.discharge_date, "discharge_date"),
        _known(context.referral_date, "referral_date"),
    )

    def duration(answer: str) -> date | Literal["clarify"] | None:
        return read_duration(answer, context.answered_on, discharge, referral)

    if pending is None:
        return duration(run)
    # Waiting for W or M after a bare number: "W", "weeks", "m", a whole answer ("3 months"), or a unit alone
    # that completes the number ("weks"). Another bare number is unclear: the clarification did not help.
    if re.search(r"[0-9]", run):
        whole = duration(run)
        return whole if isinstance(whole, date) else None
    letters = "".join(w for w in _plain(run).split() if w not in _CLARIFICATION_FILLERS)  # "M please", "weeks x"
    if letters in _WEEKS or letters in _MONTHS:
        return duration(f"{pending} {'weeks' if letters in _WEEKS else 'months'}")
    answer = duration(run)  # "since I finished", "a month"
    if not isinstance(answer, date):
        answer = duration(f"{pending} {run}")
    return answer if isinstance(answer, date) else None


def _read(pieces: list[_Piece], questions: list[Question], read: _Reader) -> _Reading:
    """The reading of the pieces that explains most of the message (see the module docstring)."""
    memo: dict[tuple[int, int, bool], _Reading | None] = {}

    def best(i: int, k: int, need: bool) -> _Reading | None:
        # need: a soft break came before piece i, so an answer must follow it (clear, not a bare number)
        if (i, k, need) in memo:
            return memo[i, k, need]
        found: _Reading | None = None if need else (i, ())
        if i < len(pieces) and k < len(questions):
            for j in range(min(len(pieces), i + _MAX_RUN), i, -1):
                run = pieces[i][1] + "".join(before + piece for before, piece, _ in pieces[i + 1 : j])
                value = read(questions[k], run, k == 0)
                if value is None or (need and value == "clarify"):
                    continue
                rest = best(j, k + 1, pieces[j][2]) if j < len(pieces) else (j, ())
                if rest is None:
                    continue
                candidate: _Reading = (rest[0], ((questions[k], value, run), *rest[1]))
                if found is None or (candidate[0], len(candidate[1])) > (found[0], len(found[1])):
                    found = candidate
        memo[i, k, need] = found
        return found

    return best(0, 0, False) or (0, ())


def _pieces(text: str) -> list[_Piece]:
    """The message cut at every hard and soft break; breaks that meet are hard if any of them is."""
    pieces: list[_Piece] = []
    before, soft = "", True
    for n, part in enumerate(_BREAKS.split(text.strip())):
        if n % 2 or not part.strip():  # a break, or nothing between two breaks
            before += part
            soft = soft and re.search(r"[,;\r\n]", part) is None
        else:
            pieces.append((before, part, soft) if pieces else ("", part, False))
            before, soft = "", True
    if len(pieces) > _MAX_PIECES:
        last = pieces[_MAX_PIECES - 1]
        tail = last[1] + "".join(b + p for b, p, _ in pieces[_MAX_PIECES:])
        pieces = [*pieces[: _MAX_PIECES - 1], (last[0], tail, last[2])]
    return pieces


# ---------------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------------


def _plain(text: str) -> str:
    """Lower-case words and numbers only, apostrophes dropped: "Who's THIS??" is "whos this"."""
    folded = unicodedata.normalize("NFKC", text).lower()
    folded = re.sub(r"['\u2018\u2019\u02bc`]", "", folded)
    return " ".join(re.findall(r"[^\W_]+", folded))


def _news(plain: str) -> str | None:
    """WRONG_NUMBER or BEREAVEMENT when the message says so ("who is this" says neither)."""
    if _BEREAVEMENT.search(plain):
        return BEREAVEMENT
    if _WRONG_NUMBER.search(plain) and not _NOT_WRONG.search(plain):
        return WRONG_NUMBER
    return None


def _help(context: Context) -> str:
    return texts.help_reply(
        context.short_name if context.known_sender else None, context.help_contact, context.language
    )


def _may_reply_unprompted(context: Context) -> bool:
    """The "closed" reply goes at most once a day; an unknown number gets its one generic reply only once."""
    last = context.last_closed_reply_at
    if not context.known_sender:
        return last is None
    return last is None or context.now - last >= CLOSED_REPLY_GAP


def _first_open(answered: frozenset[Question], unanswered: frozenset[Question]) -> Step:
    return next((q for q in QUESTIONS if q not in answered and q not in unanswered), "done")


def _questions(names: Iterable[str]) -> Iterable[Question]:
    for name in names:
        if name not in QUESTIONS:
            raise ValueError(f"{name!r} is not a question")
        yield QUESTIONS[QUESTIONS.index(name)]


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _known(value: _T | None, name: str) -> _T:
    if value is None:
        raise ValueError(f"the context needs {name} to read answers to an open check-in")
    return value
