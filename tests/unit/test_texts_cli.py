"""`flask texts check` (SPEC 8.3): lists every text in every language; fails on a text over 2 segments."""

from __future__ import annotations

import pytest
from flask import Flask

from app.domain.catalogues import CATALOGUES


def test_texts_check_lists_every_text_of_every_language(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["texts", "check"])
    assert result.exit_code == 0, result.output
    assert "en\tfirst_message\t" in result.output and "cy\tfirst_message\t" in result.output
    assert "cy\tresume_confirmation\t90\tUCS-2\t90\t2" in result.output
    assert "TOO LONG" not in result.output


def test_texts_check_fails_on_a_question_text_over_two_segments(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(CATALOGUES["cy"], "duration_question", "Ers faint ydych chi wedi bod fel hyn? " * 4 + "\u0175")
    result = app.test_cli_runner().invoke(args=["texts", "check"])
    assert result.exit_code != 0
    assert "cy\tduration_question\t" in result.output and "TOO LONG" in result.output
    assert "cy:duration_question" in result.output


def test_texts_check_has_help(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["texts", "check", "--help"])
    assert result.exit_code == 0 and "segments" in result.output


def test_texts_check_lists_the_bilingual_texts_with_their_cost(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["texts", "check"])
    assert result.exit_code == 0, result.output
    lines = {tuple(line.split("\t")[:2]): line.split("\t") for line in result.output.splitlines()}
    first = lines[("cy+en", "first_message")]
    assert first[3] == "GSM-7" and first[5] == "4"  # two 2-segment texts: allowed, as docs/languages.md says
    assert lines[("cy+en", "resume_confirmation")][3:] == ["UCS-2", "175", "3"]  # the Welsh ô makes it all UCS-2


def test_texts_check_fails_on_a_bilingual_text_over_four_segments(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    # Each half fits in 2 segments, but a Welsh letter makes the whole UCS-2, English too: 5 segments together.
    short = "Ffoniwch 999 mewn perygl, GIG 111 opsiwn 2, Samariaid 116 123 (yn Gymraeg 0808 164 0123). Dewch \u0175"
    monkeypatch.setitem(CATALOGUES["cy"], "crisis_signposting", short)
    result = app.test_cli_runner().invoke(args=["texts", "check"])
    assert result.exit_code != 0
    assert "cy\tcrisis_signposting\t97\tUCS-2\t97\t2\n" in result.output
    assert "cy+en\tcrisis_signposting\t296\tUCS-2\t296\t5\tTOO LONG" in result.output
    assert result.output.rstrip().endswith("cy+en:crisis_signposting")
