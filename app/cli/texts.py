"""`flask texts ...`: the SMS texts of every language's message catalogue (SPEC 8.3)."""

from __future__ import annotations

import click

from app.domain import texts as sms_texts
from app.domain.catalogues import LANGUAGES


@click.group(help="The SMS texts of every language's message catalogue.")
def texts() -> None:
    pass


@texts.command(
    "check",
    help=(
        "List every SMS text in every language (en, cy) at its longest (a 20-character short name of"
        " two-septet characters, a 70-character link, a 40-character contact) with its characters, encoding"
        f" (GSM-7 or UCS-2) and segments. Exits non-zero when a text takes more than {sms_texts.MAX_SEGMENTS}"
        " segments."
    ),
)
def check() -> None:
    too_long = []
    click.echo("language\ttext\tcharacters\tencoding\tunits\tsegments")
    for language in LANGUAGES:
        for size in sms_texts.text_report(language):
            mark = "" if size.fits else "\tTOO LONG"
            click.echo(
                f"{size.language}\t{size.key}\t{size.characters}\t{size.encoding}\t{size.units}\t{size.segments}{mark}"
            )
            if not size.fits:
                too_long.append(f"{size.language}:{size.key}")
    if too_long:
        raise click.ClickException(
            f"{len(too_long)} text(s) take more than {sms_texts.MAX_SEGMENTS} segments: {', '.join(too_long)}"
        )
    click.echo(f"every text fits in {sms_texts.MAX_SEGMENTS} segments", err=True)
