"""Pytest fixtures for the provider fakes.

A conftest imports them with `from tests.fakes.fixtures import fake_twilio, smtp_sink  # noqa: F401`.
A test module assigns them instead (`fake_twilio = fixtures.fake_twilio`): an imported fixture used
as a parameter name is a redefinition ruff reports (F811).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.factories.sms import BASE
from tests.fakes.fake_twilio import FakeTwilio
from tests.fakes.smtp_sink import SmtpSink


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    """A fresh fake Twilio REST API for one test; `fake_twilio.config()` gives the settings for it."""
    with FakeTwilio() as fake:
        yield fake


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    """A fresh SMTP sink for one test; `smtp_sink.config()` gives the settings for it."""
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def providers(app, fake_twilio: FakeTwilio, smtp_sink: SmtpSink) -> tuple[FakeTwilio, SmtpSink]:
    """The fake Twilio and the SMTP sink wired into the app, links built on the webhook tests' BASE."""
    app.config.update(
        fake_twilio.config(),
        **smtp_sink.config(),
        SEND_RATE_PER_SECOND=500,
        PUBLIC_BASE_URL=BASE,
        SAFEGUARDING_EMAIL="platform-safe@example.org",
    )
    return fake_twilio, smtp_sink
