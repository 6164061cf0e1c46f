"""The one rule that keeps survey and unsubscribe tokens out of logs, and the logging filter that applies it."""

from __future__ import annotations

import logging

import pytest

from app.security.log_redaction import RedactTokens, add_filter, redact_tokens


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("/s/AbC123-_xyzTOKEN", "/s/[redacted]"),
        ("/s/AbC123-_xyzTOKEN?utm=1", "/s/[redacted]?utm=1"),
        ("/u/UnSubTOKEN.sig", "/u/[redacted]"),
        ("/u/UnSubTOKEN.sig/resume", "/u/[redacted]/resume"),
        ('GET /s/AbC123 HTTP/1.1" 200', 'GET /s/[redacted] HTTP/1.1" 200'),
        (
            "link https://stillwell.example.org/s/AbC123, then /u/Xy.z",
            "link https://stillwell.example.org/s/[redacted], then /u/[redacted]",
        ),
        ("'/s/AbC123' and \"/u/Xyz\" and </s/Q1>", "'/s/[redacted]' and \"/u/[redacted]\" and </s/[redacted]>"),
        ("/s/[redacted]", "/s/[redacted]"),  # redacting twice changes nothing
        ("/s/", "/s/"),
        ("(see /s/AbC123; or /u/Xyz)", "(see /s/[redacted]; or /u/[redacted])"),
        ("/submit/status /users/4 /survey /api/v1/stats", "/submit/status /users/4 /survey /api/v1/stats"),
    ],
)
def test_redact_tokens(text: str, redacted: str) -> None:
    assert redact_tokens(text) == redacted


def record(msg: str, args: object = None, name: str = "test") -> logging.LogRecord:
    return logging.LogRecord(name, logging.INFO, __file__, 1, msg, args, None)  # type: ignore[arg-type]


def test_the_filter_redacts_the_merged_message_of_a_gunicorn_access_record() -> None:
    # gunicorn logs `access_log_format % atoms`: the format as the message, the atoms mapping as its argument.
    atoms = {"h": "127.0.0.1", "r": "GET /s/AbC123TOKEN HTTP/1.1", "s": "200"}
    access = record('%(h)s "%(r)s" %(s)s', None, "gunicorn.access")
    access.args = atoms  # a mapping, as logging keeps it (LogRecord unwraps a one-mapping tuple)
    assert RedactTokens().filter(access) is True
    assert access.getMessage() == '127.0.0.1 "GET /s/[redacted] HTTP/1.1" 200'
    assert "TOKEN" not in logging.Formatter("%(message)s").format(access)


def test_the_filter_redacts_a_werkzeug_request_line_and_leaves_others_alone() -> None:
    line = record('127.0.0.1 - - [07/Dec/2026 03:00:00] "%s" %s %s', ("GET /u/Unsub.TOKEN/resume HTTP/1.1", "200", "-"))
    RedactTokens().filter(line)
    assert line.getMessage() == '127.0.0.1 - - [07/Dec/2026 03:00:00] "GET /u/[redacted]/resume HTTP/1.1" 200 -'
    plain = record("dispatch tick: %d sent", (3,))
    RedactTokens().filter(plain)
    assert (plain.msg, plain.args) == ("dispatch tick: %d sent", (3,))  # untouched, still lazy


def test_the_filter_redacts_a_traceback_too() -> None:
    try:
        raise RuntimeError("could not open /s/AbC123TOKEN")
    except RuntimeError:
        import sys

        failed = logging.LogRecord("stillwell", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    RedactTokens().filter(failed)
    written = logging.Formatter("%(message)s").format(failed)
    assert "could not open /s/[redacted]" in written and "TOKEN" not in written


def test_add_filter_adds_one_filter_however_often_it_is_called() -> None:
    logger = logging.getLogger("test.log_redaction.once")
    add_filter(logger)
    add_filter(logger)
    assert sum(isinstance(f, RedactTokens) for f in logger.filters) == 1
