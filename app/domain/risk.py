"""Safeguarding: whether a message suggests risk to self or others (SPEC section 3).

Errs towards flagging, since a needless crisis signpost costs far less than a missed one, while idioms like
"killing it" stay clear. Typos of the long, unmistakable words and disguised spellings ("k*ll", "d1e") still
flag. Pure.
"""

from __future__ import annotations

import functools
import re
from typing import Final

from app.domain.reply_text import EVERYDAY, correct, deletion_index, fold, osa_distance, word_set, word_tokens

# Typos of the long, unmistakable words still flag ("sucide", "suisidal", "myslef").
_RISK_WORDS: Final = word_set("suicide suicidal myself selfharm selfharming unalive")
# "overdoing", "overjoyed" and "overcome" lie within two edits of these, so only one typo is allowed.
_OVERDOSE_WORDS: Final = word_set("overdose overdosed overdoses overdosing")
_SELF = r"(?:myself|my self|meself|me self|my own self)"
_PEOPLE = (
    r"(?:someone|somebody|some one|some1|anyone|anybody|people|others|other people|him|her|them|you|u|everyone"
    r"|everybody|my (?:kids|children|child|baby|partner|wife|husband|son|daughter|mum|dad|mother|father|family"
    r"|boyfriend|girlfriend|ex))"
)
_WANT = r"(?:want|wanted|wanting|wanna|wana|wnat|wnt|wamt)"
_RISK_PATTERNS: Final = (
    r"suicid\w*|suisid\w*|sucid\w*|unaliv\w*|kms|kys|overdos\w*|od|ods|self ?harm\w*|self ?injur\w*"
    r"|self ?hurt\w*|self ?mutilat\w*|selfharm\w*|stockpil\w*",
    r"(?:kil+|kil+s|kil+ed|kil+ing|kil+in|hurt|hurts|hurting|harm|harms|harming|harmed|cut|cuts|cutting|hang"
    r"|hanging|hanged|shoot|shooting|stab|stabbing|drown|drowning|poison|poisoning|starve|starving|strangle"
    rf"|suffocate|burn|burning|top|topping|off|end|ending|punish|punishing|injure|injuring) {_SELF}",
    rf"kil+ (?:me|my \w+)|(?:kil+|kil+ing|murder|murdering|kil+in) (?:yourself|urself|ur self|{_PEOPLE})",
    r"(?:dont|do not|never) feel safe|feel unsafe|(?:im|i am) not safe",
    r"(?:hurt|hurting|harm|harming|attack|attacking|stab|stabbing|strangle|strangling|beat|beating|shoot"
    rf"|shooting|batter|battering) {_PEOPLE}",
    r"(?:end|ending|ended) (?:it all|my (?:own )?life|everything|things)",
    rf"(?:{_WANT}|going|gonna|thinking|thought|think|planning|plan|ready|decided|might|could|will|just) (?:to )?"
    r"(?:just )?end it|(?:like|about|of|considering) ending it",
    r"(?:take|taking|took|end|ending) my (?:own )?life",
    rf"(?:{_WANT}|wish|wished|wishing|ready|rather|prefer|longing) (?:to |2 )?(?:just |simply )?(?:die"
    r"|be dead|not be here|not exist|not be alive|not wake up|never wake up)",
    r"wish (?:i|id|i had|i was|i were|i could|i would)(?: just)? (?:be |have )?(?:dead|die|died|gone"
    r"|never been born|not been born|never born|not here|not alive|wasnt here|wasnt alive|werent here)",
    r"(?:better off|rather be|id be better) (?:dead|gone|without me)",
    rf"(?:dont|do not|didnt|did not|dnt|doesnt|no longer|not) (?:really |even )?(?:{_WANT}|wish|feel like)"
    r"(?: to| 2)? (?:be here|be alive|be around|live|living|exist|existing|wake up|go on|carry on)",
    r"no (?:reason|point|purpose) (?:to|in|of) (?:live|living|life|being alive|going on|carrying on|being here)",
    r"nothing (?:left )?to live for|(?:isnt|is not|aint|not|no longer) worth living",
    r"(?:cant|cannot|can not) (?:go on|carry on|keep going|cope any ?more|do this any ?more"
    r"|take (?:it|this|any ?more))",
    r"(?:all|whole (?:box|bottle|pack|packet|lot)|too many|load of|loads of|handful of|bunch of|stash of)"
    r" (?:of )?(?:my |the |these |those |me )?(?:pills|tablets|meds|medication|medicine|paracetamol|painkillers)",
    r"(?:jump|jumping|jumped|throw myself|throwing myself|step|stepping) (?:off|from|in front of|under)",
    r"(?:slit|slitting|slash|slashing|cut|cutting) (?:my )?(?:wrists?|arms?|thighs?|legs?|skin)",
    # Below: wider signs, flagged because a needless signpost costs less than a missed one.
    r"kl+ (?:myself|my self|me)"
    r"|(?:want|wanna|wish|like|wishing|wanting) (?:to |2 )?(?:just )?(?:disappear|vanish|go to sleep forever)"
    r"|wish i could (?:just )?(?:disappear|vanish|sleep forever|not wake up)|never wake up|sleep forever",
    r"no (?:point|reason|purpose)(?: in| to| of)? (?:living|life|anything|going on|carrying on|trying|being here"
    r"|existing|any ?more)|(?:whats|what is) the point(?! (?:of|in) (?:these"
    r"|this|your|the|answering) (?:texts?|messages?|survey|questions?))",
    r"(?:cant|cannot|can not|unable to|struggling to) cope|(?:lost|losing|no|have no) (?:the )?will to live"
    r"|(?:given|giving|give|gave) up on (?:life|living|everything|myself)|(?:ready|want|going) to give up"
    r"|(?:tired|sick|weary) of (?:living|life|being alive|existing|it all|everything)",
    r"\bsh\b(?! t\b)|(?:been|started|start|keep|kept|still|was|im|am|back to|stop) cutting\b(?! (?:back|down|out"
    r"|off|up|in|it|corners|costs|ties|the|my hair|hair|grass|carbs|sugar|alcohol|drinking|meat))"
    r"|cutting again|cut again|sewer ?slide|noose|ligature|(?:sav|sav[ei]ng|saved|save|hoard\w*) (?:up )?"
    r"(?:my |all my |some )?(?:pills|tablets|meds|medication|painkillers|paracetamol)",
    r"in danger|not safe|unsafe|(?:hits|hit|hitting|beats|beat|beating|abuses|abused|abusing|attacks|attacked"
    r"|threatens|threatened|threatening|hurts|hurting|raped|rapes|assaulted|strangled|choked|chokes|controls"
    r"|controlling) me|abuse|abused|abusive|domestic violence|(?:scared|afraid|frightened|terrified) (?:of|for) "
    r"(?:him|her|them|my (?:life|safety|partner|husband|wife|boyfriend|girlfriend|ex|dad|father|mum|mother))"
    r"|fear for my (?:life|safety)|shoot me|(?:i )?need (?:urgent |some |immediate )?help|please help"
    r"|someone help|help me please",
    r"(?:took|taken|take|taking|swallowed|swallow) (?:\d+|a lot of|lots of|loads of|a load of|a bunch of|all)"
    r" (?:my |the |of my |of the )?(?:pills|tablets|meds|medication|paracetamol|painkillers|sleeping pills)"
    r"|(?:im|i am|feel like|feel like im|being|such) a burden|(?:be|are|were|would be|d be) better (?:off )?without me"
    r"|(?:cant|cannot|dont) see (?:a|any|the|my) future|no future"
    r"|(?:written|wrote|writing|left) (?:a|my) (?:note|letter)"
    r"|this is goodbye|saying goodbye|say goodbye|goodbye forever|final goodbye|goodbye everyone|feel like dying"
    r"|(?:and|to) not wake up|not to wake up|hope i (?:dont|do not|never) wake up|s h",
    r"dark thoughts|bad thoughts|intrusive thoughts|crisis|breakdown|hopeless|no hope|no way out"
    r"|(?:cant|cannot|dont) see a way (?:out|forward)",
)
_RISK: Final = re.compile(r"\b(?:" + "|".join(f"(?:{pattern})" for pattern in _RISK_PATTERNS) + r")\b")
_RISK_TRIM: Final = word_set(
    "x xx xxx thanks thank you ty thx ta cheers please pls plz ok okay hi hello hey lol just now"
)
# Short messages that are a risk only as the whole message ("end it", "help me"), once pleasantries are gone.
_WHOLE_RISK: Final = re.compile(
    r"(?:i )?(?:just )?(?:(?:want|wanna|going|gonna|need) (?:to )?)?end it(?: now| all)?|i (?:just )?give up"
    r"|(?:please )?help me(?: please)?|(?:theres |there is )?no point(?: any ?more)?|(?:i )?cant do this"
)


_LEET_LETTERS: Final = {"1": "i", "!": "i", "3": "e", "0": "o", "4": "a", "@": "a", "5": "s"}
_DISGUISED: Final = re.compile(r"(?<=[a-z])(?:[*#$]+|[1!304@5])(?=[a-z])")


@functools.lru_cache(maxsize=4096)
def _risk_word(word: str) -> str:
    """The risk word `word` is a typo of, if any; otherwise the word itself."""
    word = correct(word, _RISK_WORDS)
    if word in EVERYDAY or not 6 <= len(word) <= 11:
        return word
    return next((target for target in _OVERDOSE_WORDS if osa_distance(word, target, 1) <= 1), word)


def mentions_risk(text: str) -> bool:
    """Whether a message suggests risk to self or others ("suicidal", "want to die", "hurt someone")."""
    # "k*ll", "su*cide": masked letters left out (typos do the rest); "k1ll", "d1e": digits for letters.
    folded = _DISGUISED.sub(lambda m: _LEET_LETTERS.get(m[0], ""), fold(text))
    if re.search(r"\bo\.?d(?:'d|'ed|ed|'ing|ing)\b", folded):  # "OD'd", "ODed", "OD'ing", but not "odd"
        return True
    words = [_risk_word(word) for word in word_tokens(folded)]
    if _RISK.search(" ".join(words)):
        return True
    if len(words) > 8:
        return False  # every whole-message phrase is short
    start, end = 0, len(words)
    while end > start and words[end - 1] in _RISK_TRIM:  # "end it x", "help me thanks"
        end -= 1
    while start < end and words[start] in _RISK_TRIM:
        start += 1
    return _WHOLE_RISK.fullmatch(" ".join(words[start:end])) is not None


deletion_index(_RISK_WORDS)  # built at import, not while the first message waits
