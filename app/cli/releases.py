"""`flask releases ...`: Releases of published figures, frozen as of a date."""

from __future__ import annotations

import click


@click.group(help="Releases of published figures, frozen as of a date.")
def releases() -> None:
    pass
