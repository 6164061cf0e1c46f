"""The client's side of a check-in: inbound SMS (the webhook and `demo reply`) and the web survey."""

from app.services.conversation import survey
from app.services.conversation.inbound import handle_inbound_sms

__all__ = ["handle_inbound_sms", "survey"]
