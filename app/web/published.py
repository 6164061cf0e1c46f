"""Releases: created by evaluators, public at /published/<id> with CSV and JSON downloads."""

from __future__ import annotations

from functools import lru_cache
from typing import Final

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from app.domain.csv_cells import write_csv
from app.extensions import db
from app.models import Area, Release, Role, Service
from app.models.types import utcnow
from app.security.access import allow, public
from app.services.errors import NotFound, ServiceError
from app.services.publication import figure_charts, signing
from app.services.publication import packages as package_service
from app.services.publication import releases as release_service
from app.web.markdown import methodology_html

bp = Blueprint("published", __name__)

PER_PAGE: Final = 20
MAX_PAGE: Final = 1_000_000


def public_url(path: str) -> str:
    """An absolute link built from PUBLIC_BASE_URL, never from the request's Host header."""
    return str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/") + path


def _release_or_404(release_id: int) -> Release:
    try:
        return release_service.get_release(release_id)
    except NotFound:
        abort(404)


def release_document_response(release: Release, download_name: str | None = None) -> Response:
    """The canonical bytes, exactly as hashed, served as JSON and cacheable forever (releases never change)."""
    response = Response(release_service.payload_bytes(release), mimetype="application/json")
    response.headers["ETag"] = f'"{release.sha256}"'
    response.headers["X-Release-SHA256"] = release.sha256
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    if download_name:
        response.headers["Content-Disposition"] = f'inline; filename="{download_name}"'
    return response


@bp.get("/published")
@public
def index() -> ResponseReturnValue:
    """Every release, newest first, a page at a time."""
    page = request.args.get("page", 1, type=int) or 1
    if not 1 <= page <= MAX_PAGE:
        abort(404)
    items, total = release_service.list_releases(page, PER_PAGE)
    pages = max(1, -(-total // PER_PAGE))
    if page > pages:
        abort(404)
    return render_template("published/index.html", releases=items, page=page, pages=pages, total=total)


@bp.get("/published/<int:release_id>")
@public
def release(release_id: int) -> ResponseReturnValue:
    """One release: its figures as tables, the methods statement and how to check the hash."""
    item = _release_or_404(release_id)
    document = release_service.document(item)
    return render_template(
        "published/release.html",
        release=item,
        document=document,
        figures=document["figures"],
        comparison=document.get("comparison"),
        agreement=document.get("agreement"),  # releases made before SPEC 8.4 have none
        charts=_charts(item),
        late_arrivals=release_service.late_arrivals(item),
        json_url=public_url(url_for("published.release_json", release_id=item.id)),
        csv_url=public_url(url_for("published.release_csv", release_id=item.id)),
        package=_package(item),
        package_url=public_url(url_for("published.release_package", release_id=item.id)),
        signing_key_id=signing.public_keys()[0].key_id,
    )


def _key_list_url() -> str:
    return public_url(url_for("published.signing_key"))


def _package(release: Release) -> package_service.Package:
    return _built_package(release.id, release.sha256, _key_list_url(), signing.public_keys()[0].key_id)


@lru_cache(maxsize=32)
def _built_package(release_id: int, sha256: str, key_list_url: str, key_id: str) -> package_service.Package:
    """A package built once per process for a release, link and signing key (the hash and key id are in the key)."""
    return package_service.build_package(release_id, key_list_url)


@bp.get("/published/<int:release_id>/package.zip")
@public
def release_package(release_id: int) -> ResponseReturnValue:
    """The release's open data package (SPEC 8.2): unzip it and run `python verify.py DIR`."""
    item = _release_or_404(release_id)
    package = _package(item)
    response = Response(package.zip_bytes, mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{package.folder}.zip"'
    response.headers["ETag"] = f'"{package.zip_sha256}"'
    response.headers["X-Package-SHA256"] = package.zip_sha256
    response.headers["Cache-Control"] = "public, max-age=3600"  # a new signing key or software makes a new zip
    return response


@bp.get("/published/signing-key")
@public
def signing_key() -> ResponseReturnValue:
    """Every public key releases are signed with (current first), with its id: what verify.py's key id must match."""
    return {
        "algorithm": "Ed25519",
        "message": "stillwell-release:sha256:<release sha256>",
        "key_id": "first 16 hex digits of the SHA-256 of the raw 32-byte public key",
        "keys": [
            {
                "key_id": key.key_id,
                "public_key": key.public_key.hex(),
                "status": "current" if key.current else "retired",
            }
            for key in signing.public_keys()
        ],
    }


@lru_cache(maxsize=64)
def _drawn(release_id: int, sha256: str) -> tuple[tuple[str, str], ...]:
    """A release's charts, drawn once per process: a release never changes (its hash is part of the key)."""
    document = release_service.document(release_service.get_release(release_id))
    drawn = figure_charts.summary_charts(document["figures"])
    if document.get("comparison") is not None:
        drawn += figure_charts.comparison_charts(document["comparison"])
    return tuple(drawn)


def _charts(release: Release) -> list[dict[str, str]]:
    return [
        {"title": title, "src": url_for("published.release_chart", release_id=release.id, number=number)}
        for number, (title, _) in enumerate(_drawn(release.id, release.sha256), start=1)
    ]


@bp.get("/published/<int:release_id>/charts/<int:number>.svg")
@public
def release_chart(release_id: int, number: int) -> ResponseReturnValue:
    """One chart of a release as an SVG image (the page's CSP allows images from this site, not inline styles)."""
    item = _release_or_404(release_id)
    drawn = _drawn(item.id, item.sha256)
    if not 1 <= number <= len(drawn):
        abort(404)
    response = Response(drawn[number - 1][1], mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


@bp.get("/published/<int:release_id>.json")
@public
def release_json(release_id: int) -> ResponseReturnValue:
    """The released document: sha256sum of this download is the release's hash."""
    item = _release_or_404(release_id)
    return release_document_response(item, f"stillwell-release-{item.id}.json")


@bp.get("/published/<int:release_id>.csv")
@public
def release_csv(release_id: int) -> ResponseReturnValue:
    """The same figures as a tidy CSV: one value per row, `section,key,value`."""
    item = _release_or_404(release_id)
    rows = [
        ("section", "key", "value"),
        # The id and hash tie this CSV to the checksummed JSON it was made from.
        ("release", "id", item.id),
        ("release", "sha256", item.sha256),
        *release_service.tidy_rows(release_service.document(item)),
    ]
    response = Response(write_csv(rows), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="stillwell-release-{item.id}.csv"'
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


@bp.get("/published/methodology")
@public
def methodology() -> ResponseReturnValue:
    """The full methodology (docs/methodology.md), for readers of releases."""
    return render_template("published/methodology.html", body=methodology_html())


class ReleaseForm(FlaskForm):  # type: ignore[misc]
    """What an evaluator chooses for a new release."""

    as_of = DateField(
        "Figures as of",
        format="%Y-%m-%d",
        validators=[DataRequired(message="Enter the date the figures are as of, such as 2027-01-31")],
    )
    scope = SelectField("Scope", validators=[DataRequired(message="Choose what the release covers")])
    title = StringField(
        "Title (optional)",
        validators=[Optional(), Length(max=release_service.TITLE_MAX, message="Use at most 200 characters")],
    )


def _scope_choices() -> list[tuple[str, str]]:
    choices = [("all", "All services")]
    for area in db.session.scalars(select(Area).order_by(Area.code)):
        choices.append((f"area:{area.code}", f"Area {area.code}: {area.name}"))
    for service in db.session.scalars(select(Service).order_by(Service.code)):
        choices.append((f"service:{service.code}", f"Service {service.code}: {service.name}"))
    return choices


@bp.route("/published/new", methods=["GET", "POST"])
@allow(Role.EVALUATOR)
def new_release() -> ResponseReturnValue:
    """Evaluators freeze the published figures for a scope as of a date."""
    form = ReleaseForm()
    form.scope.choices = _scope_choices()
    error: str | None = None
    if form.validate_on_submit():
        kind, _, code = str(form.scope.data).partition(":")
        try:
            created = release_service.create_release(
                form.as_of.data,
                kind,
                code or None,
                f"user:{current_user.id}",
                utcnow(),
                title=form.title.data,
            )
        except ServiceError as refused:
            error = str(refused)
        else:
            return redirect(url_for("published.release", release_id=created.id), code=303)
    status = 400 if request.method == "POST" else 200
    return render_template("published/new.html", form=form, error=error), status
