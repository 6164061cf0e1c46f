"""Request bodies are capped before parsing (SPEC 8.6): webhooks and forms 64 KB, discharge lists 20 MB on
the web and the API alike; 413 on the Content-Length alone, or after at most cap+1 bytes of a chunked body.

Chunked bodies go through the Flask test client (`input_stream`, no length, `wsgi.input_terminated` as a
terminating server sets it: gunicorn always, werkzeug's for chunked requests) and through a real werkzeug
server with a raw chunked request from http.client. Synthetic data only."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.client import HTTPConnection
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from app.extensions import db
from app.models import AuditEvent, Episode, InboundMessage, OutboundMessage, Role, Service, Submission
from app.security import limits
from app.services.access import api_tokens
from app.web import webhooks
from tests.factories import csv_bytes, make_service, row
from tests.factories.sms import BASE, SMS_PATH, open_check_in, signature, sms_params
from tests.fakes import fixtures
from tests.web.sign_in import light_password_hashing, make_user, sign_in

pytestmark = pytest.mark.usefixtures("light_password_hashing")
__all__ = ["light_password_hashing"]

STATUS_PATH = "/webhooks/twilio/status"
KB, MB = 1024, 1024 * 1024
#: A chunked request as a terminating server hands it on: no length, and the stream ends where the body does.
CHUNKED = {"wsgi.input_terminated": True, "HTTP_TRANSFER_ENCODING": "chunked"}

fake_twilio = fixtures.fake_twilio
smtp_sink = fixtures.smtp_sink
providers = fixtures.providers


class EndlessBody(io.RawIOBase):
    """A request body that never ends (the 400 MB unsigned POST, and more), counting what is read of it."""

    def __init__(self) -> None:
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0  # the test client measures a stream's length first: it says 0 and no byte is consumed

    def tell(self) -> int:
        return 0

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        size = min(len(buffer), 8 * KB)
        buffer[:size] = b"a" * size
        self.read_bytes += size
        return size


def count(model: type) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def signature_checks(monkeypatch) -> list[str]:
    """Every webhook signature check made, by URL."""
    checked: list[str] = []
    real = webhooks.signature_is_valid

    def spy(token, url, params, sig):  # type: ignore[no-untyped-def]
        checked.append(url)
        return real(token, url, params, sig)

    monkeypatch.setattr(webhooks, "signature_is_valid", spy)
    return checked


def test_the_limit_table_names_real_views(app) -> None:
    """A renamed view would silently fall back to the 64 KB form limit."""
    assert set(limits.ENDPOINT_LIMITS) <= set(app.view_functions)
    assert set(limits.BLUEPRINT_LIMITS) <= set(app.blueprints)
    assert limits.WEBHOOK_BODY_BYTES == limits.FORM_BODY_BYTES == 64 * KB
    assert limits.DISCHARGE_LIST_BYTES == 20 * MB


# --- webhooks -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [SMS_PATH, STATUS_PATH])
def test_a_huge_content_length_is_refused_unread_and_unsigned_checks_never_run(app, signature_checks, path) -> None:
    body = EndlessBody()
    response = app.test_client().post(
        path,
        input_stream=body,
        content_type="application/x-www-form-urlencoded",
        environ_overrides={"CONTENT_LENGTH": str(400 * MB)},
    )
    assert response.status_code == 413
    assert "larger than 64 KB" in response.get_data(as_text=True)
    assert body.read_bytes == 0 and signature_checks == []
    assert count(InboundMessage) == 0 and count(AuditEvent) == 0


@pytest.mark.parametrize("path", [SMS_PATH, STATUS_PATH])
def test_an_endless_chunked_body_is_read_to_the_cap_and_refused(app, signature_checks, path) -> None:
    body = EndlessBody()
    response = app.test_client().post(
        path, input_stream=body, content_type="application/x-www-form-urlencoded", environ_overrides=CHUNKED
    )
    assert response.status_code == 413
    assert body.read_bytes <= limits.WEBHOOK_BODY_BYTES + 8 * KB  # the cap plus one, in the stream's blocks
    assert signature_checks == [] and count(InboundMessage) == 0


def padded_status(size: int, token: str) -> tuple[bytes, str]:
    """A signed status callback (for an unknown message) of exactly `size` bytes, and its signature."""
    params = {"MessageSid": "SM" + "0" * 32, "MessageStatus": "delivered", "AccountSid": "AC" + "0" * 32, "X": ""}
    params["X"] = "p" * (size - len(urlencode(params)))
    body = urlencode(params).encode()
    assert len(body) == size
    return body, signature(token, BASE + STATUS_PATH, params)


def test_a_chunked_body_of_exactly_the_cap_passes_and_one_byte_more_does_not(app, providers) -> None:
    token = app.config["TWILIO_AUTH_TOKEN"]
    client = app.test_client()
    for size, status in ((limits.WEBHOOK_BODY_BYTES, 204), (limits.WEBHOOK_BODY_BYTES + 1, 413)):
        body, sig = padded_status(size, token)
        response = client.post(
            STATUS_PATH,
            input_stream=io.BytesIO(body),
            content_type="application/x-www-form-urlencoded",
            headers={"X-Twilio-Signature": sig},
            environ_overrides=CHUNKED,
        )
        assert response.status_code == status, size


def test_a_signed_webhook_under_the_cap_still_works(app, providers) -> None:
    body, sig = padded_status(limits.WEBHOOK_BODY_BYTES, app.config["TWILIO_AUTH_TOKEN"])
    response = app.test_client().post(
        STATUS_PATH, data=body, content_type="application/x-www-form-urlencoded", headers={"X-Twilio-Signature": sig}
    )
    assert response.status_code == 204


@pytest.fixture
def server(app) -> Iterator[str]:
    """The app behind a real werkzeug server (which de-chunks bodies), as host:port."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=5)


def post_chunked(address: str, path: str, chunks: Iterator[bytes], headers: dict[str, str]) -> tuple[int, bytes]:
    connection = HTTPConnection(address, timeout=30)
    try:
        connection.request("POST", path, body=chunks, headers=headers, encode_chunked=True)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_a_real_server_takes_a_small_chunked_webhook_and_refuses_a_large_one(app, providers, server) -> None:
    open_check_in()
    token = app.config["TWILIO_AUTH_TOKEN"]
    params = sms_params("1")
    body = urlencode(params).encode()
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    headers = {**form, "X-Twilio-Signature": signature(token, BASE + SMS_PATH, params)}
    status, answer = post_chunked(server, SMS_PATH, iter([body[:10], body[10:]]), headers)
    assert status == 200 and b"<Message>" in answer  # the chunks were joined, checked and handled
    status, answer = post_chunked(server, SMS_PATH, iter([b"a" * (16 * KB)] * 5), headers)
    assert status == 413 and b"larger than 64 KB" in answer
    db.session.expire_all()
    assert count(InboundMessage) == 1


# --- forms and the survey -------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/login", "/s/some-survey-token", "/submit/withdraw"])
def test_forms_and_the_survey_refuse_more_than_64_kb(app, path) -> None:
    client = app.test_client()
    over = client.post(path, data={"comment": "x" * (64 * KB)})
    assert over.status_code == 413
    page = over.get_data(as_text=True)
    if path.startswith("/s/"):  # a respondent's page: kind words in their language (SPEC 8.3), no byte counts
        assert "This is too long to send" in page and "shorten your comment" in page
    else:
        assert "This request is too large" in page and "The request body is larger than 64 KB, the most a form" in page
    chunked = client.post(
        path,
        input_stream=io.BytesIO(b"comment=" + b"x" * (64 * KB)),
        content_type="application/x-www-form-urlencoded",
        environ_overrides=CHUNKED,
    )
    assert chunked.status_code == 413
    assert client.post(path, data={"comment": "x" * (60 * KB)}).status_code != 413


# --- discharge lists ------------------------------------------------------------------------------


def api_token(role: Role = Role.SERVICE_SUBMITTER) -> str:
    service = db.session.scalars(select(Service).where(Service.code == "TYNE")).one()
    user = make_user(role, service=service)
    return api_tokens.create_token(user.email, "limits", actor="test", now=datetime.now(UTC)).secret


def long_bad_list(size: int) -> bytes:
    """A discharge list of about `size` bytes that the importer refuses (client references far too long)."""
    return csv_bytes([row(client_ref=f"R{number}" + "R" * (32 * KB)) for number in range(size // (32 * KB))])


def test_the_api_takes_up_to_20_mb_and_refuses_more(app) -> None:
    make_service()
    headers = {"Authorization": f"Bearer {api_token()}", "Content-Type": "text/csv"}
    client = app.test_client()
    submissions, audits = count(Submission), count(AuditEvent)
    over = client.post("/api/v1/submissions", data=b"a" * (limits.DISCHARGE_LIST_BYTES + 1), headers=headers)
    assert over.status_code == 413
    assert over.get_json() == {
        "error": "the request body is larger than 20 MB, the most a discharge list may be; "
        "split the list into smaller files"
    }
    chunked = client.post("/api/v1/submissions", input_stream=EndlessBody(), headers=headers, environ_overrides=CHUNKED)
    assert chunked.status_code == 413 and "20 MB" in chunked.get_json()["error"]
    assert (count(Submission), count(AuditEvent)) == (submissions, audits)
    # Far over the form limit, well under the list limit: it reaches the importer (which refuses it, 422).
    refused = client.post("/api/v1/submissions", data=long_bad_list(200 * KB), headers=headers)
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["column"] == "client_ref"


def test_the_api_reads_a_chunked_list_whole(app) -> None:
    make_service()
    headers = {"Authorization": f"Bearer {api_token()}", "Content-Type": "text/csv"}
    body = csv_bytes([row(client_ref="CH1"), row(client_ref="CH2")])
    response = app.test_client().post(
        "/api/v1/submissions", input_stream=io.BytesIO(body), headers=headers, environ_overrides=CHUNKED
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["created"] == 2 and count(Episode) == 2


def test_the_upload_page_takes_up_to_20_mb_and_refuses_more(app) -> None:
    make_service()
    client = app.test_client()
    sign_in(client, make_user(Role.SERVICE_SUBMITTER))
    submissions, audits = count(Submission), count(AuditEvent)

    def upload(data: bytes, **kwargs):  # type: ignore[no-untyped-def]
        form = {"discharge_list": (io.BytesIO(data), "list.csv")}
        return client.post("/submit/upload", data=form, content_type="multipart/form-data", **kwargs)

    over = upload(b"a" * limits.DISCHARGE_LIST_BYTES)  # the form's own bytes take it past 20 MB
    assert over.status_code == 413
    page = over.get_data(as_text=True)
    assert "This request is too large" in page and "larger than 20 MB, the most a discharge list may be" in page
    assert (count(Submission), count(AuditEvent)) == (submissions, audits)
    refused = upload(long_bad_list(200 * KB))
    assert refused.status_code == 400 and "client_ref" in refused.get_data(as_text=True)
    assert count(Submission) == submissions + 1 and count(OutboundMessage) == 0
