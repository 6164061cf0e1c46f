"""SMS through the real `twilio` package, pointed at `TWILIO_API_BASE` (api.twilio.com, or a local fake).

Errors become SendOutcomes: a recipient Twilio will never reach is permanent, everything else is
retried; a request that may have reached Twilio without our hearing the answer is unknown, so
the caller reconciles against Twilio's message list instead of sending twice.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import threading
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import requests
from aiohttp.helpers import get_env_proxy_for_url
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from yarl import URL

from app.messaging.base import (
    TWILIO_PERMANENT_CODES,
    TWILIO_TRANSIENT_CODES,
    ProviderLookupError,
    ProviderMessage,
    SendOutcome,
    SendStatus,
)

log = logging.getLogger(__name__)

TWILIO_API_ORIGIN = "https://api.twilio.com"
DEFAULT_TIMEOUT_SECONDS = 10.0

# Messages created this long before `since` are still listed by recent_messages_to: Twilio stamps
# date_created with its own clock, which may be behind ours.
CLOCK_SKEW_ALLOWANCE = timedelta(minutes=2)
RECONCILE_LIMIT = 200


def classify_twilio_error(code: int | None) -> SendStatus:
    """Permanent or transient, from a Twilio error code (REST error or status-callback ErrorCode).

    Only recipient errors are permanent. Any other rejection (bad credentials, a sender or body
    Twilio refuses) is a fault of ours that would otherwise retire every client's SMS channel at
    once, so it is transient: the retry cap and the logs bring it to an operator.
    """
    if code is not None and str(code) in TWILIO_PERMANENT_CODES:
        return "permanent"
    return "transient"


def redirected(url: str, api_base: str) -> str:
    """A URL for api.twilio.com moved to `api_base` (TWILIO_API_BASE); any other URL as it is."""
    if url.startswith(TWILIO_API_ORIGIN):
        return api_base + url[len(TWILIO_API_ORIGIN) :]
    return url


class RedirectingHttpClient(TwilioHttpClient):  # type: ignore[misc]  # twilio ships no type hints
    """Twilio's own HTTP client, sending requests for api.twilio.com to `api_base` instead.

    Never logs query strings: they hold the phone number a message list is filtered by.
    """

    def __init__(self, api_base: str = TWILIO_API_ORIGIN, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        super().__init__(pool_connections=True, timeout=timeout)
        self.api_base = api_base.rstrip("/")

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        url = redirected(url, self.api_base)
        return super().request(method, url, params, data, headers, auth, timeout, allow_redirects)

    def log_request(self, kwargs: dict[str, Any]) -> None:
        self.logger.debug("Twilio API request: %s %s", kwargs["method"], str(kwargs["url"]).split("?")[0])

    def log_response(self, status_code: int, response: Any) -> None:
        self.logger.debug("Twilio API response: %s", status_code)


class AsyncRedirectingHttpClient(AsyncTwilioHttpClient):  # type: ignore[misc]
    """Twilio's asynchronous HTTP client (aiohttp), redirected like RedirectingHttpClient.

    Used for batches: one event loop keeps many requests in flight for a fraction of the CPU that
    a thread per request costs. A proxy in the environment (HTTPS_PROXY, NO_PROXY) is looked up
    once per batch, not per request as aiohttp's trust_env would (a thread hop each).
    """

    def __init__(self, api_base: str, timeout: float, concurrency: int) -> None:
        super().__init__(pool_connections=False, timeout=timeout)
        self.api_base = api_base.rstrip("/")
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=concurrency), timeout=aiohttp.ClientTimeout(total=timeout)
        )
        try:
            self.proxy, self.proxy_auth = get_env_proxy_for_url(URL(self.api_base))
        except LookupError:
            self.proxy, self.proxy_auth = None, None

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        url = redirected(url, self.api_base)
        headers = dict(headers or {})
        if auth is not None:
            headers["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
        self.logger.debug("Twilio API request: %s %s", method, url.split("?")[0])
        async with self.session.request(
            method.upper(),
            url,
            params=params,
            data=data,
            headers=headers,
            allow_redirects=allow_redirects,
            proxy=self.proxy,
            proxy_auth=self.proxy_auth,
        ) as response:
            text = await response.text()
            self.logger.debug("Twilio API response: %s", response.status)
            return Response(response.status, text, response.headers)


def _rest_error_outcome(code: int | None, http_status: int | None) -> SendOutcome:
    status = classify_twilio_error(code)
    detail = f"Twilio refused the message (HTTP {http_status}, error {code})"
    throttled_or_down = (
        (code is not None and str(code) in TWILIO_TRANSIENT_CODES) or http_status == 429 or (http_status or 500) >= 500
    )
    if status == "transient" and not throttled_or_down:
        detail += ": not a recipient error; check the Twilio settings and the message"
        log.error("%s", detail)
    return SendOutcome(status, error_code=str(code) if code is not None else None, detail=detail)


_BEFORE_SENDING = (requests.exceptions.ConnectTimeout, requests.exceptions.SSLError, requests.exceptions.ProxyError)


def _never_connected(exc: BaseException) -> bool:
    """Whether a requests error happened before any byte of the request could reach Twilio."""
    if isinstance(exc, _BEFORE_SENDING):
        return True
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, NewConnectionError | ConnectTimeoutError | ConnectionRefusedError):
            return True
        reason = getattr(current, "reason", None)
        pending.extend(
            item
            for item in (reason, current.__cause__, current.__context__, *current.args)
            if isinstance(item, BaseException)
        )
    return False


def _network_error_outcome(exc: requests.RequestException) -> SendOutcome:
    kind = type(exc).__name__
    if _never_connected(exc):
        return SendOutcome.transient(f"could not reach Twilio ({kind})")
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return SendOutcome.unknown(f"no answer from Twilio within the timeout ({kind}); the message may have been sent")
    return SendOutcome.unknown(f"connection to Twilio lost before its answer ({kind}); the message may have been sent")


def _aiohttp_error_outcome(exc: BaseException) -> SendOutcome:
    """As _network_error_outcome, for the batch path: only a failure to connect is surely unsent."""
    kind = type(exc).__name__
    if isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError):
        return SendOutcome.transient(f"could not reach Twilio ({kind})")
    if isinstance(exc, TimeoutError):
        return SendOutcome.unknown(f"no answer from Twilio within the timeout ({kind}); the message may have been sent")
    return SendOutcome.unknown(f"connection to Twilio lost before its answer ({kind}); the message may have been sent")


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class TwilioSmsSender:
    """SmsSender on Twilio's Programmable Messaging API; safe to share between threads (one Client each)."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        from_number: str = "",
        messaging_service_sid: str = "",
        api_base: str = TWILIO_API_ORIGIN,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        if not account_sid or not auth_token:
            raise ValueError("Twilio needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
        if not from_number and not messaging_service_sid:
            raise ValueError("Twilio needs TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID")
        self.account_sid = account_sid
        self._auth_token = auth_token
        self.from_number = from_number
        self.messaging_service_sid = messaging_service_sid
        self.api_base = api_base
        self.timeout = timeout
        self._local = threading.local()

    def _client(self) -> Client:
        client: Client | None = getattr(self._local, "client", None)
        if client is None:
            http_client = RedirectingHttpClient(self.api_base, self.timeout)
            client = Client(self.account_sid, self._auth_token, http_client=http_client)
            self._local.client = client
        return client

    def send_sms(self, to_e164: str, body: str, *, status_callback: str | None = None) -> SendOutcome:
        """Create one Message on Twilio; see the module docstring for how failures are classified."""
        sender = self._sender_fields(status_callback)
        try:
            message = self._client().messages.create(to=to_e164, body=body, **sender)
        except TwilioRestException as exc:
            return _rest_error_outcome(exc.code, exc.status)
        except TwilioServiceException as exc:
            return _rest_error_outcome(exc.code, exc.status)
        except requests.RequestException as exc:
            return _network_error_outcome(exc)
        except (TwilioException, ValueError) as exc:
            # An answer we could not read (not JSON, a proxy's page): Twilio may have the message.
            return SendOutcome.unknown(f"unreadable answer from Twilio ({type(exc).__name__})")
        if not message.sid:
            return SendOutcome.unknown("Twilio answered without a message SID")
        return SendOutcome.accepted(str(message.sid), detail=f"Twilio status {message.status}")

    def send_sms_many(
        self,
        messages: Sequence[tuple[str, str]],
        *,
        status_callback: str | None = None,
        pace: Callable[[], float] | None = None,
        concurrency: int = 128,
    ) -> list[SendOutcome]:
        """Send (to, body) pairs concurrently on one event loop, outcomes in the same order (never raises).

        `pace()` returns how long to wait before starting the next message (the account's rate
        limit); it is called once per message, in order.
        """
        if not messages:
            return []
        return asyncio.run(self._send_many(messages, status_callback, pace, max(1, concurrency)))

    async def _send_many(
        self,
        messages: Sequence[tuple[str, str]],
        status_callback: str | None,
        pace: Callable[[], float] | None,
        concurrency: int,
    ) -> list[SendOutcome]:
        http_client = AsyncRedirectingHttpClient(self.api_base, self.timeout, concurrency)
        client = Client(self.account_sid, self._auth_token, http_client=http_client)
        sender = self._sender_fields(status_callback)
        slots = asyncio.Semaphore(concurrency)

        async def one(to: str, body: str) -> SendOutcome:
            async with slots:
                return await self._outcome_of(client.messages.create_async(to=to, body=body, **sender))

        try:
            tasks = []
            for to, body in messages:
                delay = pace() if pace is not None else 0.0
                if delay > 0:
                    await asyncio.sleep(delay)
                await slots.acquire()  # start no faster than requests can be in flight
                slots.release()
                tasks.append(asyncio.ensure_future(one(to, body)))
            return list(await asyncio.gather(*tasks))
        finally:
            await http_client.close()

    @staticmethod
    async def _outcome_of(call: Awaitable[Any]) -> SendOutcome:
        try:
            message = await call
        except TwilioRestException as exc:
            return _rest_error_outcome(exc.code, exc.status)
        except TwilioServiceException as exc:
            return _rest_error_outcome(exc.code, exc.status)
        except (aiohttp.ClientError, TimeoutError) as exc:
            return _aiohttp_error_outcome(exc)
        except (TwilioException, ValueError) as exc:
            return SendOutcome.unknown(f"unreadable answer from Twilio ({type(exc).__name__})")
        except Exception as exc:  # never let one message's surprise lose the outcomes of the others
            return SendOutcome.unknown(f"transport raised {type(exc).__name__}")
        if not message.sid:
            return SendOutcome.unknown("Twilio answered without a message SID")
        return SendOutcome.accepted(str(message.sid), detail=f"Twilio status {message.status}")

    def _sender_fields(self, status_callback: str | None) -> dict[str, str]:
        sender: dict[str, str] = (
            {"messaging_service_sid": self.messaging_service_sid}
            if self.messaging_service_sid
            else {"from_": self.from_number}
        )
        if status_callback:
            sender["status_callback"] = status_callback
        return sender

    def recent_messages_to(self, to_e164: str, since: datetime) -> list[ProviderMessage]:
        """Messages Twilio created for this number since `since` (less a clock-skew allowance), newest first.

        Filtered by `To` and by date_created here, not by Twilio's DateSent filter: DateSent works on
        whole days and leaves out messages still queued (their date_sent is null), which are
        exactly the ones a crash may have left behind.
        """
        cutoff = _as_utc(since).replace(microsecond=0) - CLOCK_SKEW_ALLOWANCE
        try:
            listed = self._client().messages.list(to=to_e164, limit=RECONCILE_LIMIT)
        except (TwilioException, requests.RequestException, ValueError) as exc:
            raise ProviderLookupError(f"could not list Twilio messages ({type(exc).__name__})") from None
        found = [
            ProviderMessage(sid=str(m.sid), body=str(m.body or ""), status=str(m.status), date_created=m.date_created)
            for m in listed
            if isinstance(m.date_created, datetime) and m.date_created >= cutoff
        ]
        return sorted(found, key=lambda m: m.date_created, reverse=True)
