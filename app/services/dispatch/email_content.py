"""The check-in email: discreet subject, plain text and HTML, survey and unsubscribe links."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

CRISIS = "If you feel at risk now, call 999, or NHS 111 (option 2), or Samaritans on 116 123."


@dataclass(frozen=True)
class EmailContent:
    subject: str
    text: str
    html: str
    headers: dict[str, str]


def check_in_email(short_name: str, survey_link: str, unsubscribe_link: str, *, reminder: bool = False) -> EmailContent:
    """An email asking the three questions through the web survey. No clinical words anywhere visible."""
    subject = f"{'Reminder: ' if reminder else ''}a quick question from {short_name}"
    intro = (
        f"{short_name} is checking in, independently of the service you saw, to ask how you are now "
        "compared with when you first went. It takes about a minute."
    )
    footer = f"This address does not read replies. {CRISIS} To stop these messages: {unsubscribe_link}"
    text = f"{intro}\n\nAnswer here: {survey_link}\n\n--\n{footer}\n"
    html = (
        f"<p>{escape(intro)}</p>"
        f'<p><a href="{escape(survey_link)}">Answer three short questions</a></p>'
        "<hr>"
        f"<p>This address does not read replies. {escape(CRISIS)}</p>"
        f'<p><a href="{escape(unsubscribe_link)}">Stop these messages</a></p>'
    )
    headers = {
        "List-Unsubscribe": f"<{unsubscribe_link}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    return EmailContent(subject=subject, text=text, html=html, headers=headers)
