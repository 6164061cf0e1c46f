"""`flask privacy ...`: The privacy lifecycle: erase, withdraw, export, rotate keys."""

from __future__ import annotations

import click


@click.group(help="The privacy lifecycle: erase, withdraw, export, rotate keys.")
def privacy() -> None:
    pass
