"""Flask commands, grouped by noun. Each is thin: parse input, call one service function, print."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from app.cli import (
        assessment,
        demo,
        dispatch,
        intake,
        organisation,
        privacy,
        releases,
        reports,
        stats,
        texts,
        tokens,
        users,
    )

    for group in (
        organisation.areas,
        organisation.services,
        users.users,
        intake.intake,
        demo.demo,
        dispatch.dispatch,
        stats.stats,
        releases.releases,
        reports.reports,
        tokens.tokens,
        privacy.privacy,
        texts.texts,
        assessment.assessment,
    ):
        app.cli.add_command(group)
