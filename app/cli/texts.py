"""`flask texts ...`: the SMS texts of every language's message catalogue (SPEC 8.3)."""

from __future__ import annotations

import click

from app.domain import texts as sms_texts
from app.domain.catalogues import LANGUAGES
from app.domain.languages import BILINGUAL


@click.group(help="The SMS texts of every language's message catalogue.")
def texts() -> None:
    pass


@texts.command(
    "check",
    help=(
        "List every SMS text in every language (en, cy) and bilingually (cy+en: Welsh, a blank line, English, in"
        " one message) at its longest (a 20-character short name of two-septet characters, a 70-character link, a"
        " 40-character contact) with its characters, encoding (GSM-7 or UCS-2), units and segments. Exits"
        f" non-zero when a text takes more than {sms_texts.MAX_SEGMENTS} segments, or a bilingual text more than"
        f" {sms_texts.MAX_BILINGUAL_SEGMENTS} (each of its halves must fit in {sms_texts.MAX_SEGMENTS})."
    ),
)
def check() -> None:
    too_long = []
    click.echo("language\ttext\tcharacters\tencoding\tunits\tsegments")
    for language in (*LANGUAGES, BILINGUAL):
        for size in sms_texts.text_report(language):
            mark = "" if size.fits else "\tTOO LONG"
            click.echo(
                f"{size.language}\t{size.key}\t{size.characters}\t{size.encoding}\t{size.units}\t{size.segments}{mark}"
            )
            if not size.fits:
                too_long.append(f"{size.language}:{size.key}")
    if too_long:
        raise click.ClickException(
            f"{len(too_long)} text(s) take more segments than allowed ({sms_texts.MAX_SEGMENTS}, bilingual"
            f" {sms_texts.MAX_BILINGUAL_SEGMENTS}): {', '.join(too_long)}"
        )
    click.echo(
        f"every text fits in {sms_texts.MAX_SEGMENTS} segments, every bilingual text in"
        f" {sms_texts.MAX_BILINGUAL_SEGMENTS}",
        err=True,
    )
