"""`flask tokens ...`: API bearer tokens: create, list, revoke."""

from __future__ import annotations

import click


@click.group(help="API bearer tokens: create, list, revoke.")
def tokens() -> None:
    pass
