"""What a provider's answer does to a message and its check-in (app.domain.messages), and the status order."""

import pytest

from app.domain.messages import AFTER_SEND, STATUS_ORDER, Channel, MessageStatus, after_send


@pytest.mark.parametrize(
    ("outcome", "channel", "status", "step"),
    [
        ("accepted", "sms", "accepted", "open"),
        ("accepted", "email", "accepted", "open"),
        ("unknown", "sms", "sending", "reconcile"),  # Twilio's list can tell later: never resent blindly
        ("unknown", "email", "possibly_sent", "open"),  # an email's fate cannot be known: never resent
        ("transient", "sms", "transient", "retry"),
        ("transient", "email", "transient", "retry"),
        ("permanent", "sms", "failed", "channel_failed"),
        ("permanent", "email", "failed", "channel_failed"),
    ],
)
def test_after_send(outcome: str, channel: str, status: str, step: str) -> None:
    assert after_send(outcome, channel) == (result := AFTER_SEND[(outcome, Channel(channel))])
    assert (result.message_status, result.check_in) == (status, step)


def test_every_outcome_on_every_channel_has_a_row() -> None:
    assert set(AFTER_SEND) == {(o, c) for o in ("accepted", "unknown", "transient", "permanent") for c in Channel}


def test_status_order_moves_forward_to_final_statuses() -> None:
    order = STATUS_ORDER
    assert order[MessageStatus.QUEUED] < order[MessageStatus.SENDING] < order[MessageStatus.SENT]
    assert order[MessageStatus.SENT] < order[MessageStatus.DELIVERED] == order[MessageStatus.FAILED]
    assert "delivered" in order and order["undelivered"] == order["delivered"]  # plain strings find their rank
