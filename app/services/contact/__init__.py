"""Who may be contacted and why not: opt-out and resume by contact point, stopped contact, usable channels.

The one place for opting out (STOP, the email link, Twilio 21610 at send time or in a callback), resuming and
stopping contact (death, withdrawal by the service, consent changed to no, wrong number, erasure).
"""

from app.services.contact import links
from app.services.contact.contactability import opted_out_clients, usable_channels
from app.services.contact.opting import episodes_of, opt_out, points_of, resume, stop_contact

__all__ = [
    "episodes_of",
    "links",
    "opt_out",
    "opted_out_clients",
    "points_of",
    "resume",
    "stop_contact",
    "usable_channels",
]
