"""Survey and unsubscribe tokens never reach a log: `/s/<token>` and `/u/<token>` are written `/s/[redacted]`.

A token in those paths is the key to someone's survey or their messages, so it is a credential. The one
rule (`redact_tokens`) serves every log: `RedactTokens`, a logging filter, applies it to each record's
message; `configure_logging` (app/__init__.py) puts the filter on the root handler and on werkzeug's logger
(the dev server's request lines), and gunicorn.conf.py's logger uses the same rule for the access log.
"""

from __future__ import annotations

import logging
import re
from typing import Final

REDACTED: Final = "[redacted]"
#: /s/<token> (web survey, app/web/survey.py) and /u/<token>[/resume] (unsubscribe, app/web/unsubscribe.py):
#: the segment after `/s/` or `/u/`, up to the next slash, query, fragment, space, quote or punctuation
#: (a token is URL-safe base64 with dots: it never holds any of them).
TOKEN_SEGMENT: Final = re.compile(r"(/[su]/)[^/?#\s\"'<>,;()\[\]]+")
#: werkzeug's request lines and gunicorn's loggers, besides what reaches the root handler
REDACTED_LOGGERS: Final = ("werkzeug", "gunicorn.access", "gunicorn.error")


def redact_tokens(text: str) -> str:
    """The text with the token of every survey or unsubscribe path replaced by `[redacted]`."""
    if "/s/" not in text and "/u/" not in text:
        return text
    return TOKEN_SEGMENT.sub(rf"\g<1>{REDACTED}", text)


class RedactTokens(logging.Filter):
    """Rewrites a record's message (arguments merged first) and traceback text with `redact_tokens`; lets every
    record through."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record that cannot be formatted: logging reports it as usual
            return True
        redacted = redact_tokens(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text when it is set: the traceback is written redacted too.
            record.exc_text = redact_tokens(_TRACEBACKS.formatException(record.exc_info))
        return True


_TRACEBACKS: Final = logging.Formatter()


def add_filter(target: logging.Logger | logging.Handler) -> None:
    """Put a RedactTokens filter on a logger or handler, once however often it is called."""
    if not any(isinstance(existing, RedactTokens) for existing in target.filters):
        target.addFilter(RedactTokens())


def redact_logs() -> None:
    """Redact tokens in every record reaching the root logger's handlers, and in werkzeug's and gunicorn's."""
    for handler in logging.getLogger().handlers:
        add_filter(handler)
    for name in REDACTED_LOGGERS:
        add_filter(logging.getLogger(name))
