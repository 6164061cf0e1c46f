"""English wording of the pages and emails a client sees, by key: `layout.*` (the frame of every client page),
`language.*`, `email.*`, `survey.*` (the web survey), `thanks.*`, `signposting.*`, `link.*` (survey links that
cannot be answered), `unsubscribe.*` and `error.*`. `{placeholders}` are filled by `app.domain.pages`; on a page a
placeholder may be filled with markup (a telephone link, a bold answer), everything else is escaped.
"""

from __future__ import annotations

from typing import Final

PAGES: Final[dict[str, str]] = {
    # The frame of every client page.
    "layout.skip": "Skip to main content",
    "layout.page_title": "{title} - Stillwell",
    "layout.error_title": "Error: {title}",
    "layout.footer": "If you feel at risk now: call 999, or NHS 111 (option 2), or Samaritans on 116 123.",
    # The language's own name (the link to it on a page in another language), its tag for `<html lang>` and
    # `lang` attributes, and the label of the language links.
    "language.name": "English",
    "language.html_lang": "en-GB",
    "language.nav_label": "Language",
    # The check-in email.
    "email.subject": "A quick question from {name}",
    "email.subject_reminder": "Reminder: a quick question from {name}",
    "email.intro": (
        "{name} is checking in, independently of the service you saw, to ask how you are now "
        "compared with when you first went. It takes about a minute."
    ),
    "email.reminder_note": "We have not heard back from you yet, so here is the link again.",
    "email.answer_here": "Answer here: {link}",
    "email.answer_link": "Answer three short questions",
    "email.no_reply": "This address does not read replies.",
    "email.crisis": "If you feel at risk now, call 999, or NHS 111 (option 2), or Samaritans on 116 123.",
    "email.stop_text": "To stop these messages: {link}",
    "email.stop_link": "Stop these messages",
    # The web survey.
    "survey.title": "A few short questions",
    "survey.problem_heading": "There is a problem",
    "survey.error_marker": "Error:",
    "survey.intro": (
        "Stillwell asks people who used {name} how they are now, for an independent evaluation of services. "
        "It takes about a minute. Your answers go to the independent evaluation, not to {name}."
    ),
    "survey.already_told": "You already told us by text: {answer}. Thank you.",
    "survey.already_told_since": "You already told us by text: since {date}. Thank you.",
    "survey.change_question": "Compared with when you first went, how are you now?",
    "survey.change_hint": "Choose one. This question needs an answer.",
    "survey.change.much_better": "Much better",
    "survey.change.a_little_better": "A little better",
    "survey.change.same": "The same",
    "survey.change.a_little_worse": "A little worse",
    "survey.change.much_worse": "Much worse",
    "survey.duration_question": "How long have you been the way you are now?",
    "survey.duration_hint": "For example 3 weeks or 2 months. You can leave this out.",
    "survey.duration.length": "For a length of time",
    "survey.duration.finished": "Since I finished",
    "survey.duration.always": "As long as I can remember",
    "survey.duration.unsure": "I am not sure",
    "survey.number": "Number",
    "survey.unit": "Days, weeks, months or years",
    "survey.unit.choose": "Choose a unit",
    "survey.unit.days": "days",
    "survey.unit.weeks": "weeks",
    "survey.unit.months": "months",
    "survey.unit.years": "years",
    "survey.usual_self_question": "Do you feel back to your usual self?",
    "survey.usual_self.yes": "Yes, completely",
    "survey.usual_self.mostly": "Mostly, only mild symptoms left",
    "survey.usual_self.no": "No",
    "survey.comment_label": "Anything else you would like to tell us? (optional)",
    "survey.comment_hint": (
        "This is not read straight away. If you need help now, call 999, or NHS 111 (option 2), "
        "or Samaritans on 116 123."
    ),
    "survey.send": "Send my answers",
    "survey.error.choose_option": "Choose one of the options",
    "survey.error.change_required": "Choose how you are now, compared with when you first went",
    "survey.error.whole_number": "Enter a whole number, like 3 or 12",
    "survey.error.number_missing": "Enter how many days, weeks, months or years",
    "survey.error.unit_missing": "Choose days, weeks, months or years",
    "survey.error.length_missing": "Enter a number and choose days, weeks, months or years",
    "survey.error.both": "Either give a length of time, or choose one of the other options, not both",
    "survey.error.comment_long": "Keep your comment under {max} characters",
    "survey.error.future": "That would be a date in the future. Please check the number and the unit",
    "survey.error.timed_out": (
        "Sorry, this page timed out for your security. Please check your answers and press Send my answers again."
    ),
    # After a submission.
    "thanks.title": "Thank you",
    "thanks.answers_go_named": "We have your answers. They go to the independent evaluation, not to {name}.",
    "thanks.answers_go_unnamed": (
        "We have your answers. They go to the independent evaluation, not to the service you saw."
    ),
    "thanks.nothing_more": "There is nothing more you need to do. You can close this page.",
    # Crisis signposting on a page (a comment that suggests risk).
    "signposting.title": "If you need help now",
    "signposting.danger": "If you are in danger or might harm yourself, please call {phone_999} now.",
    "signposting.urgent": (
        "For urgent help at any time, call {phone_111} and choose option 2, "
        "or call Samaritans free on {phone_samaritans}."
    ),
    "signposting.nhs_111": "NHS 111",
    "signposting.alone": "You do not have to face this alone.",
    # Survey links that cannot be answered.
    "link.used_title": "Already answered",
    "link.used_heading": "You have already answered",
    "link.used_body": "Thank you: we have your answers from this link. There is nothing more you need to do.",
    "link.expired_title": "This link has closed",
    "link.expired_heading": "This link has closed",
    "link.expired_body": (
        "Thank you for opening it. The time for answering these questions has passed, so there is nothing you "
        "need to do now. If there is another planned check-in, we will be in touch then."
    ),
    "link.unknown_title": "Link not recognised",
    "link.unknown_heading": "We do not recognise this link",
    "link.unknown_body": (
        "Please check that you opened the whole link from your message. A newer message may also have replaced "
        "this link: if so, please use that one."
    ),
    "link.unknown_nothing": "If it still does not work, there is nothing you need to do.",
    # The unsubscribe link of every email.
    "unsubscribe.confirm_title": "Stop messages",
    "unsubscribe.confirm_heading": "Stop these messages?",
    "unsubscribe.confirm_body": (
        "We will not send you any more messages, by email or by text. You can start them again at any time."
    ),
    "unsubscribe.stop_button": "Stop messages",
    "unsubscribe.stopped_title": "Messages stopped",
    "unsubscribe.stopped_heading": "You will not get any more messages",
    "unsubscribe.stopped_body": "Thank you for letting us know. If you change your mind, you can start them again.",
    "unsubscribe.start_button": "Start messages again",
    "unsubscribe.resumed_title": "Messages started again",
    "unsubscribe.resumed_heading": "Messages will start again",
    "unsubscribe.resumed_body": "We will get in touch at the next planned time. Thank you.",
    "unsubscribe.invalid_title": "Link not recognised",
    "unsubscribe.invalid_heading": "We do not recognise this link",
    "unsubscribe.invalid_body": (
        "It may have been copied only in part. You can also stop texts at any time by replying STOP."
    ),
    # An error on a client page (a request too large, too many, a failure): never a developer's message.
    "error.413_title": "This is too long to send",
    "error.413_body": (
        "What you sent is longer than this page can take. Please go back, shorten your comment and send it again."
    ),
    "error.429_title": "Too many tries",
    "error.429_body": (
        "There have been a lot of tries from here in a short time. Please wait a few minutes and try again."
    ),
    "error.500_title": "Sorry, something went wrong",
    "error.500_body": "The problem has been logged. Please try again later: your link still works until it closes.",
    "error.other_title": "This page could not be shown",
    "error.other_body": "Please check that you opened the whole link from your message, or try again later.",
}
