"""Messages to clients: their channels, purposes and statuses, and what a send's outcome does (SPEC section 6).

Pure: dispatch applies `after_send` to every provider answer, so the rule "an accepted message opens the
check-in; an email whose fate is unknown is possibly sent and never resent; an SMS whose fate is unknown
waits to be reconciled; a transient refusal retries; a permanent one retires the channel" is written once.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final, Literal


class Channel(enum.StrEnum):
    SMS = "sms"
    EMAIL = "email"


class MessagePurpose(enum.StrEnum):
    FIRST = "first"  # the check-in's first message
    FALLBACK = "fallback"  # the first message again, on the other channel after a permanent failure
    REMINDER = "reminder"  # one reminder when nothing was received (SPEC 2)
    REPLY = "reply"  # an answer to a message the client sent
    ALERT = "alert"  # a safeguarding alert's email to the safeguarding contact

    @classmethod
    def first_sends(cls) -> tuple[str, ...]:
        return (cls.FIRST.value, cls.FALLBACK.value)


class MessageStatus(enum.StrEnum):
    """Ours before the provider answers, then Twilio's (status callbacks), then final ones."""

    SENDING = "sending"  # written before the provider call (at most once)
    ACCEPTED = "accepted"
    SCHEDULED = "scheduled"
    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    CANCELED = "canceled"
    POSSIBLY_SENT = "possibly_sent"  # an email whose fate cannot be known: never resent
    NOT_SENT = "not_sent"  # reconciled: never reached the provider
    TRANSIENT = "transient"  # refused for now: the check-in retries with backoff


#: The order a message's status only ever moves forward in (SPEC 6): queued < sending < sent < delivered;
#: undelivered and failed are final like delivered. Our own statuses before any callback rank lowest.
STATUS_ORDER: Final[dict[MessageStatus, int]] = {
    MessageStatus.ACCEPTED: 1,
    MessageStatus.SCHEDULED: 1,
    MessageStatus.QUEUED: 1,
    MessageStatus.SENDING: 2,
    MessageStatus.SENT: 3,
    MessageStatus.DELIVERED: 4,
    MessageStatus.READ: 4,
    MessageStatus.UNDELIVERED: 4,
    MessageStatus.FAILED: 4,
    MessageStatus.CANCELED: 4,
}
#: Statuses only we set, never Twilio: a callback may move a message on from any of them.
OWN_STATUSES: Final = frozenset({MessageStatus.POSSIBLY_SENT, MessageStatus.NOT_SENT, MessageStatus.TRANSIENT})
FAILED_STATUSES: Final = frozenset({MessageStatus.UNDELIVERED, MessageStatus.FAILED})


CheckInAfterSend = Literal["open", "reconcile", "retry", "channel_failed"]


@dataclass(frozen=True)
class AfterSend:
    """What one provider answer does: the message's recorded status and the check-in's next step.

    `open`: first sent, the response window runs; `reconcile`: stays claimed until settled against the
    provider; `retry`: back to scheduled with backoff; `channel_failed`: never this channel again, try the other.
    """

    message_status: MessageStatus
    check_in: CheckInAfterSend


AFTER_SEND: Final[dict[tuple[str, Channel], AfterSend]] = {
    ("accepted", Channel.SMS): AfterSend(MessageStatus.ACCEPTED, "open"),
    ("accepted", Channel.EMAIL): AfterSend(MessageStatus.ACCEPTED, "open"),
    ("unknown", Channel.SMS): AfterSend(MessageStatus.SENDING, "reconcile"),
    ("unknown", Channel.EMAIL): AfterSend(MessageStatus.POSSIBLY_SENT, "open"),
    ("transient", Channel.SMS): AfterSend(MessageStatus.TRANSIENT, "retry"),
    ("transient", Channel.EMAIL): AfterSend(MessageStatus.TRANSIENT, "retry"),
    ("permanent", Channel.SMS): AfterSend(MessageStatus.FAILED, "channel_failed"),
    ("permanent", Channel.EMAIL): AfterSend(MessageStatus.FAILED, "channel_failed"),
}


def after_send(outcome: str, channel: str) -> AfterSend:
    """The row of the table for a send outcome (accepted, transient, permanent, unknown) on a channel."""
    return AFTER_SEND[(outcome, Channel(channel))]
