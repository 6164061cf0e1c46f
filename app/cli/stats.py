"""`flask stats ...`: durable-recovery statistics (wired in with the statistics service)."""

from __future__ import annotations

import click


@click.group(help="Durable-recovery statistics.")
def stats() -> None:
    pass
