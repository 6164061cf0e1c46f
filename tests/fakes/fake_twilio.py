"""A fake Twilio REST API on loopback that the real `twilio` client can talk to.

Serves the Messages resource of API 2010-04-01 (create, list with To/From/DateSent filters and
paging, fetch), checks HTTP basic auth, records every message, and can be told to be slow, to fail
(transiently or permanently, Twilio-shaped), to drop connections or to die. Failures apply to
message creation; latency and drops apply to every request.

    with FakeTwilio(latency=0.1) as fake:
        sender = sms_sender(fake.config())
        ...
        assert fake.messages[0].body == "..."

Run it alone for benchmarks: `python -m tests.fakes.fake_twilio --port 8099 --latency 0.1`.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hmac
import json
import re
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

API_VERSION = "2010-04-01"
DEFAULT_ACCOUNT_SID = "AC" + "f" * 32
DEFAULT_AUTH_TOKEN = "fake-twilio-auth-token"
DEFAULT_FROM_NUMBER = "+447700900000"
_MESSAGES_PATH = re.compile(rf"^/{API_VERSION}/Accounts/(?P<account>[^/]+)/Messages(?:/(?P<sid>[^/]+))?\.json$")
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_ERROR_MESSAGES = {
    20003: "Authenticate",
    20404: "The requested resource was not found",
    20429: "Too Many Requests",
    20500: "Internal Server Error",
    21211: "Invalid 'To' Phone Number",
    21602: "Message body is required.",
    21603: "A 'From' or 'MessagingServiceSid' parameter is required to send a message",
    21604: "A 'To' phone number is required.",
    21610: "Attempt to send to unsubscribed recipient",
    21612: "The 'To' phone number is not currently reachable via SMS",
    21614: "'To' number is not a valid mobile number",
    30003: "Unreachable destination handset",
    30005: "Unknown destination handset",
    30006: "Landline or unreachable carrier",
}
# Twilio's DateSent filters: on the day, on or after, on or before (messages not yet sent never match).
_DATE_SENT_FILTERS: dict[str, Callable[[datetime, datetime], bool]] = {
    "DateSent": lambda sent, bound: sent.date() == bound.date(),
    "DateSent>": lambda sent, bound: sent >= bound,
    "DateSent<": lambda sent, bound: sent <= bound,
}
_DEFAULT_CODE_FOR_STATUS = {500: 20500, 503: 20500, 429: 20429, 401: 20003, 404: 20404}


@dataclass
class FakeMessage:
    """One message the fake accepted, in Twilio's terms."""

    sid: str
    account_sid: str
    to: str
    from_: str | None
    messaging_service_sid: str | None
    body: str
    status_callback: str | None
    status: str
    date_created: datetime
    date_sent: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        """The Twilio JSON representation of this message."""
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{self.sid}.json"
        created = format_datetime(self.date_created)
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": self.body,
            "date_created": created,
            "date_sent": format_datetime(self.date_sent) if self.date_sent else None,
            "date_updated": created,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": self.from_,
            "messaging_service_sid": self.messaging_service_sid,
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": self.sid,
            "status": self.status,
            "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
            "to": self.to,
            "uri": uri,
        }


@dataclass(frozen=True)
class _Failure:
    http_status: int
    code: int


def _error_body(http_status: int, code: int) -> dict[str, Any]:
    return {
        "code": code,
        "message": _ERROR_MESSAGES.get(code, "Error"),
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": http_status,
    }


def _parse_date_filter(value: str) -> datetime:
    value = value.strip()
    if len(value) == 10:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client killed mid-request (the dispatch kill test does that on purpose) is not news."""
        import sys

        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)

    def __init__(self, address: tuple[str, int], fake: FakeTwilio) -> None:
        self.fake = fake
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Without this, Nagle's algorithm and delayed ACKs add 40 ms to every request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.fake._track(self.connection, open_=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.fake._track(self.connection, open_=False)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: request lines hold phone numbers."""

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        fake = self.server.fake
        fake._count_request()
        if fake.latency > 0:
            time.sleep(fake.latency)
        drop = fake._take_drop()
        if drop is not None:
            if drop.process and method == "POST":
                self._handle(method, raw_body)  # the work happens; the answer is lost
            self._hang_up(dying=drop.die)
            return
        status, payload = self._handle(method, raw_body)
        self._respond(status, payload)

    def _hang_up(self, *, dying: bool) -> None:
        self.close_connection = True
        if dying:
            self.server.fake._stop_listening()
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _respond(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorised(self, account: str) -> bool:
        fake = self.server.fake
        header = self.headers.get("Authorization") or ""
        if not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        expected = f"{fake.account_sid}:{fake.auth_token}"
        return hmac.compare_digest(f"{user}:{password}", expected) and account == fake.account_sid

    def _handle(self, method: str, raw_body: bytes) -> tuple[int, dict[str, Any]]:
        fake = self.server.fake
        url = urlsplit(self.path)
        match = _MESSAGES_PATH.match(url.path)
        if not match:
            return 404, _error_body(404, 20404)
        if not self._authorised(match["account"]):
            return 401, _error_body(401, 20003)
        if method == "POST" and match["sid"] is None:
            form = {key: values[-1] for key, values in parse_qs(raw_body.decode(), keep_blank_values=True).items()}
            return fake._create(form)
        if method == "GET" and match["sid"] is None:
            query = {key: values[-1] for key, values in parse_qs(url.query, keep_blank_values=True).items()}
            return 200, fake._list(query)
        if method == "GET":
            found = fake.message(match["sid"])
            return (200, found.to_json()) if found else (404, _error_body(404, 20404))
        return 405, _error_body(405, 20004)


@dataclass(frozen=True)
class _Drop:
    process: bool
    die: bool


@dataclass
class _Faults:
    transient: deque[_Failure] = field(default_factory=deque)
    by_number: dict[str, _Failure] = field(default_factory=dict)
    always: _Failure | None = None
    drops: deque[_Drop] = field(default_factory=deque)


class FakeTwilio:
    """A Twilio Messages API on 127.0.0.1; a context manager; thread-safe; serves >100 clients at once."""

    def __init__(
        self,
        *,
        account_sid: str = DEFAULT_ACCOUNT_SID,
        auth_token: str = DEFAULT_AUTH_TOKEN,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.latency = latency
        self._lock = threading.Lock()
        self._messages: list[FakeMessage] = []
        self._faults = _Faults()
        self._connections: set[socket.socket] = set()
        self._requests = 0
        self._address = (host, port)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._closed = threading.Event()

    # -- lifecycle -----------------------------------------------------------------------------------

    def start(self) -> FakeTwilio:
        """Start serving in a daemon thread; returns self."""
        self._server = _Server(self._address, self)
        self._address = self._server.server_address[:2]  # type: ignore[assignment]
        self._closed.clear()
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-twilio", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and hang up every open connection."""
        self._stop_listening()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeTwilio:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return int(self._address[1])

    @property
    def api_base(self) -> str:
        """The value for TWILIO_API_BASE."""
        return f"http://{self._address[0]}:{self.port}"

    def config(self, **overrides: Any) -> dict[str, Any]:
        """Settings that point `app.messaging.registry.sms_sender` at this fake."""
        settings: dict[str, Any] = {
            "SMS_TRANSPORT": "twilio",
            "TWILIO_ACCOUNT_SID": self.account_sid,
            "TWILIO_AUTH_TOKEN": self.auth_token,
            "TWILIO_FROM_NUMBER": DEFAULT_FROM_NUMBER,
            "TWILIO_MESSAGING_SERVICE_SID": "",
            "TWILIO_API_BASE": self.api_base,
        }
        settings.update(overrides)
        return settings

    # -- what it saw -----------------------------------------------------------------------------------

    @property
    def messages(self) -> list[FakeMessage]:
        """Every message created, oldest first (a copy)."""
        with self._lock:
            return list(self._messages)

    @property
    def request_count(self) -> int:
        """HTTP requests received, of any kind, including failed and dropped ones."""
        with self._lock:
            return self._requests

    def message(self, sid: str) -> FakeMessage | None:
        with self._lock:
            return next((m for m in self._messages if m.sid == sid), None)

    def set_status(self, sid: str, status: str) -> None:
        """Move a message on (sent, delivered, undelivered, failed); sending stamps date_sent."""
        with self._lock:
            for index, message in enumerate(self._messages):
                if message.sid == sid:
                    sent = message.date_sent or (datetime.now(UTC) if status in {"sent", "delivered"} else None)
                    self._messages[index] = replace(message, status=status, date_sent=sent)
                    return
        raise KeyError(sid)

    # -- what it should do -----------------------------------------------------------------------------

    def fail_next(self, count: int = 1, *, http_status: int = 500, code: int | None = None) -> None:
        """Refuse the next `count` message creations: HTTP 500 or 429, or a coded error such as 30003 (HTTP 400)."""
        failure = _Failure(http_status, code if code is not None else _DEFAULT_CODE_FOR_STATUS.get(http_status, 20500))
        with self._lock:
            self._faults.transient.extend([failure] * count)

    def fail_for_number(self, number: str, code: int = 21211, *, http_status: int = 400) -> None:
        """Always refuse messages to this number with a Twilio error (21211, 21614, 21610, ...)."""
        with self._lock:
            self._faults.by_number[number] = _Failure(http_status, code)

    def fail_always(self, code: int, *, http_status: int = 400) -> None:
        """Refuse every message creation with this Twilio error."""
        with self._lock:
            self._faults.always = _Failure(http_status, code)

    def drop_next(self, count: int = 1, *, process: bool = True) -> None:
        """Close the connection of the next `count` requests without answering; by default after doing the work."""
        with self._lock:
            self._faults.drops.extend([_Drop(process=process, die=False)] * count)

    def die(self, *, process: bool = True) -> None:
        """On the next request, stop listening and hang up without answering (later connections are refused)."""
        with self._lock:
            self._faults.drops.append(_Drop(process=process, die=True))

    def reset(self) -> None:
        """Forget every fault and every recorded message; no latency."""
        with self._lock:
            self._faults = _Faults()
            self._messages.clear()
            self.latency = 0.0

    # -- called by the handler -------------------------------------------------------------------------

    def _track(self, connection: socket.socket, *, open_: bool) -> None:
        with self._lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def _count_request(self) -> None:
        with self._lock:
            self._requests += 1

    def _take_drop(self) -> _Drop | None:
        with self._lock:
            if self._closed.is_set():
                return _Drop(process=False, die=False)
            return self._faults.drops.popleft() if self._faults.drops else None

    def _stop_listening(self) -> None:
        """Stop accepting connections before any hung-up client can try again, so it is refused."""
        with self._lock:
            if self._closed.is_set():
                return
            self._closed.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _create(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        to = form.get("To", "")
        sender = form.get("From") or None
        service = form.get("MessagingServiceSid") or None
        with self._lock:
            failure = self._faults.always or self._faults.by_number.get(to)
            if failure is None and self._faults.transient:
                failure = self._faults.transient.popleft()
        if failure is not None:
            return failure.http_status, _error_body(failure.http_status, failure.code)
        problem = 21604 if not to else 21602 if not form.get("Body") else 21603 if not (sender or service) else None
        if problem is None and not _E164.match(to):
            problem = 21211
        if problem is not None:
            return 400, _error_body(400, problem)
        message = FakeMessage(
            sid="SM" + uuid.uuid4().hex,
            account_sid=self.account_sid,
            to=to,
            from_=sender,
            messaging_service_sid=service,
            body=form.get("Body", ""),
            status_callback=form.get("StatusCallback") or None,
            # Twilio answers "accepted" when a Messaging Service will choose the sender, else "queued".
            status="accepted" if service and not sender else "queued",
            date_created=datetime.now(UTC).replace(microsecond=0),
        )
        with self._lock:
            self._messages.append(message)
        return 201, message.to_json()

    def _list(self, query: dict[str, str]) -> dict[str, Any]:
        with self._lock:
            found = list(reversed(self._messages))  # newest first, as Twilio lists them
        if "To" in query:
            found = [m for m in found if m.to == query["To"]]
        if "From" in query:
            found = [m for m in found if m.from_ == query["From"]]
        for key, keep in _DATE_SENT_FILTERS.items():
            if key in query:
                bound = _parse_date_filter(query[key])
                found = [m for m in found if m.date_sent is not None and keep(m.date_sent, bound)]
        page_size = max(1, min(int(query.get("PageSize") or 50), 1000))
        page = max(0, int(query.get("Page") or 0))
        chunk = found[page * page_size : (page + 1) * page_size]
        filters = {key: value for key, value in query.items() if key not in {"Page", "PageSize", "PageToken"}}
        base = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages.json"

        def page_uri(number: int) -> str:
            return base + "?" + urlencode({**filters, "PageSize": page_size, "Page": number})

        has_next = (page + 1) * page_size < len(found)
        return {
            "end": page * page_size + max(len(chunk) - 1, 0),
            "first_page_uri": page_uri(0),
            "messages": [m.to_json() for m in chunk],
            "next_page_uri": page_uri(page + 1) if has_next else None,
            "page": page,
            "page_size": page_size,
            "previous_page_uri": page_uri(page - 1) if page > 0 else None,
            "start": page * page_size,
            "uri": page_uri(page),
        }


def main() -> None:
    """Serve a fake Twilio until interrupted (for bench scripts run in another process)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every request")
    parser.add_argument("--account-sid", default=DEFAULT_ACCOUNT_SID)
    parser.add_argument("--auth-token", default=DEFAULT_AUTH_TOKEN)
    args = parser.parse_args()
    fake = FakeTwilio(account_sid=args.account_sid, auth_token=args.auth_token, port=args.port, latency=args.latency)
    with fake:
        print(f"fake Twilio on {fake.api_base} (account {fake.account_sid}); Ctrl-C to stop", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
