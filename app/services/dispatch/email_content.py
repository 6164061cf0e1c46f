"""The check-in email: discreet subject, plain text and HTML, survey and unsubscribe links, in the client's language.

Every word comes from the page catalogue (`app.domain.pages`, keys `email.*`); the language is the episode's
(`app.domain.languages.catalogue_language`: cy, cy-GB -> Welsh, anything else English).
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from app.domain.catalogues import DEFAULT_LANGUAGE
from app.domain.pages import page_text


@dataclass(frozen=True)
class EmailContent:
    subject: str
    text: str
    html: str
    headers: dict[str, str]


def check_in_email(
    short_name: str,
    survey_link: str,
    unsubscribe_link: str,
    *,
    reminder: bool = False,
    language: str = DEFAULT_LANGUAGE,
) -> EmailContent:
    """An email asking the three questions through the web survey. No clinical words anywhere visible."""

    def t(key: str, **values: str) -> str:
        return page_text(language, key, **values)

    name = short_name
    subject = t("email.subject_reminder" if reminder else "email.subject", name=name)
    intro = t("email.intro", name=name)
    paragraphs = [intro, t("email.reminder_note")] if reminder else [intro]
    footer = [t("email.no_reply"), t("email.crisis")]
    text = (
        "\n\n".join(paragraphs)
        + f"\n\n{t('email.answer_here', link=survey_link)}\n\n--\n{' '.join(footer)} "
        + f"{t('email.stop_text', link=unsubscribe_link)}\n"
    )
    html = (
        f'<html lang="{escape(t("language.html_lang"))}"><body>'
        + "".join(f"<p>{escape(paragraph)}</p>" for paragraph in paragraphs)
        + f'<p><a href="{escape(survey_link)}">{escape(t("email.answer_link"))}</a></p>'
        + "<hr>"
        + f"<p>{escape(' '.join(footer))}</p>"
        + f'<p><a href="{escape(unsubscribe_link)}">{escape(t("email.stop_link"))}</a></p>'
        + "</body></html>"
    )
    headers = {
        "List-Unsubscribe": f"<{unsubscribe_link}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    return EmailContent(subject=subject, text=text, html=html, headers=headers)
