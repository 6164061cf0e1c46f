"""English SMS templates, by key. `{placeholders}` are filled by `app.domain.texts`."""

from __future__ import annotations

from typing import Final

TEXTS: Final[dict[str, str]] = {
    "opt_out": "Reply STOP to opt out.",
    "months": "January February March April May June July August September October November December",
    "change_options": "1 much better, 2 a little better, 3 the same, 4 a little worse, 5 much worse",
    "change_question": "Compared with when you first went, how are you now? Reply {change_options}.",
    "duration_question": "How long have you been the way you are now? e.g. 3 weeks, 2 months",
    "usual_self_options": "1 yes, completely\n2 mostly, only mild symptoms left\n3 no",
    "usual_self_question": "Do you feel back to your usual self?\n{usual_self_options}",
    "sorry": "Sorry, we did not quite understand.",
    "crisis_short": "call 999 in an emergency, NHS 111 (option 2), or Samaritans free on 116 123",
    "link_line": "Or answer at:\n{link}\n",
    "first_message": "Hello from {name}. {question}\n{link_line}{opt_out}",
    "thanks_then": "Thank you. {question}",
    "reask_change": "{sorry} Please reply with one number: {change_options}, compared with when you first went.",
    "reask_duration": (
        "{sorry} {duration_question}. Please give a number and weeks, months or years, or reply: since I finished"
    ),
    "reask_usual_self": "{sorry} Do you feel back to your usual self? Please reply 1, 2 or 3:\n{usual_self_options}",
    "clarification": "{number} weeks or {number} months? Reply W or M",
    "clarification_generic": "Is that weeks or months? Reply W or M",
    "thank_you": (
        "Thank you, that is all we need. Your answers go to the independent evaluation, not to {name}. Take care."
    ),
    "reminder": "Reminder from {name}: {question}\n{link_line}{opt_out}",
    "change_options_again_link": (
        "Sorry, we still could not tell. You can answer on this page instead:\n{link}\n"
        "Or reply with one number from 1 (much better) to 5 (much worse)."
    ),
    "change_options_again": (
        "Sorry, we still could not tell. Compared with when you first went, please reply with just one number:\n"
        "1 much better\n2 a little better\n3 the same\n4 a little worse\n5 much worse"
    ),
    "crisis_signposting": (
        "If you are in danger or might harm yourself, please call 999 now. For urgent help any time, call "
        "NHS 111 and choose option 2, or call Samaritans free on 116 123. You do not have to face this alone."
    ),
    "help_about_service": "people who used {name}",
    "help_about_any": "people who have used a service",
    "help_contact": " Contact: {contact}.",
    "help": (
        "Stillwell asks {about} how they are now, for an independent evaluation of services.{reach} "
        "{opt_out} Urgent help: {crisis_short}."
    ),
    "opt_out_confirmation": (
        "You have opted out and will get no more texts from us. Reply START if you change your mind."
    ),
    "resume_confirmation": "Welcome back. We will text you at the next planned check-in. {opt_out}",
    "closed_no_month": "This check-in has closed, thank you. There are no more check-ins planned.",
    "closed": "This check-in has closed, thank you. We will be in touch around {month}.",
    "unknown_sender": "Thank you for your message. We could not match it to this number, so there is nothing to do.",
    "wrong_number": (
        "Thank you for letting us know, and sorry to have troubled you. We will not text this number again."
    ),
    "bereavement": (
        "We are very sorry for your loss, and sorry to have troubled you. We will not text this number again."
    ),
}
