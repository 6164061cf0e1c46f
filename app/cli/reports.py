"""`flask reports ...`: Monthly reports for commissioners."""

from __future__ import annotations

import click


@click.group(help="Monthly reports for commissioners.")
def reports() -> None:
    pass
