"""Privacy helpers: a reply straight through the inbound service, and a full dump of the database."""

from __future__ import annotations

import glob
import sqlite3
import subprocess
from datetime import datetime

from sqlalchemy.engine import make_url

from app.extensions import db
from app.services.conversation.inbound import handle_inbound_sms
from tests.factories.sms import new_sid


def reply(phone: str, body: str, at: datetime) -> list[str]:
    replies = handle_inbound_sms(new_sid(), phone, body, at)
    db.session.expire_all()
    return replies


def database_dump() -> str:
    url = make_url(db.engine.url)
    if url.get_backend_name() == "sqlite":
        db.session.remove()
        db.engine.dispose()
        with sqlite3.connect(url.database) as connection:
            text = "\n".join(connection.iterdump())
        with open(url.database, "rb") as raw:  # free pages and the journal too, not just live rows
            text += raw.read().decode("latin-1")
        return text
    pg_dump = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_dump"))[-1]
    result = subprocess.run(
        [pg_dump, "-h", url.host, "-p", str(url.port), "-U", url.username or "postgres", url.database],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout
