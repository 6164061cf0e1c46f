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
