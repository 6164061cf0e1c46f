"""The public release pages and downloads, and the evaluators' form that creates a release."""

from __future__ import annotations

import csv
import hashlib
import io
import json

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Release, Role
from app.services.publication import releases
from tests.factories import NOW
from tests.factories.cohorts import AS_OF, seed_releasable
from tests.web.sign_in import form_post, make_user, sign_in


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def release(app):
    seed_releasable()
    return releases.create_release(AS_OF, "all", None, "test", NOW, title="Figures for autumn 2026")


def test_json_download_hashes_to_the_published_sha256(client, release):
    response = client.get(f"/published/{release.id}.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert hashlib.sha256(response.data).hexdigest() == release.sha256
    assert response.headers["ETag"] == f'"{release.sha256}"'
    assert json.loads(response.data)["figures"]["outcomes"]["unchanged"] == "*"


def test_release_page_shows_figures_hash_and_how_to_verify(client, release):
    response = client.get(f"/published/{release.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Figures for autumn 2026" in page
    assert release.sha256 in page
    assert f"http://127.0.0.1:5000/published/{release.id}.json | sha256sum" in page
    assert "hashlib.sha256" in page
    assert "methodology" in page.lower() and "/published/methodology" in page
    assert "Durable recovery, intention to treat (primary)" in page
    assert '<td class="numeric">67%</td>' in page  # 10 of 15
    assert '<td class="numeric">*</td>' in page  # suppressed counts
    assert "is shown as <strong>*</strong>" in page  # what "*" means
    assert "<caption>" in page and 'scope="row"' in page and 'scope="col"' in page
    assert "<script" not in page and "style=" not in page


def test_csv_download_is_tidy(client, release):
    response = client.get(f"/published/{release.id}.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["section", "key", "value"]
    assert all(len(line) == 3 for line in rows)
    values = {(section, key): value for section, key, value in rows[1:]}
    assert values[("release", "sha256")] == release.sha256
    assert values[("release", "id")] == str(release.id)
    assert values[("outcomes", "durably_recovered")] == "10"
    assert values[("outcomes", "unchanged")] == "*"
    assert values[("release", "title")] == "Figures for autumn 2026"


def test_index_lists_newest_first_and_pages(client, release):
    later = releases.create_release(AS_OF, "area", "NE", "test", NOW.replace(day=21))
    page = client.get("/published").get_data(as_text=True)
    assert page.index(f"/published/{later.id}") < page.index(f'/published/{release.id}"')
    assert "Area NE" in page
    assert client.get("/published?page=2").status_code == 404


def test_index_paginates(app, client):
    seed_releasable()
    for day in range(1, 23):
        releases.create_release(AS_OF, "all", None, "test", NOW.replace(day=day))
    first = client.get("/published").get_data(as_text=True)
    assert "page 1 of 2" in first and 'rel="next"' in first
    second = client.get("/published?page=2").get_data(as_text=True)
    assert second.count('<th scope="row"><a href="/published/') == 2 and 'rel="prev"' in second


def test_unknown_release_is_404(client, app):
    for path in ("/published/999", "/published/999.json", "/published/999.csv"):
        assert client.get(path).status_code == 404


def test_methodology_page_renders_the_document(client, app):
    page = client.get("/published/methodology").get_data(as_text=True)
    assert "<h1>How Stillwell counts recovery (methodology version 1)</h1>" in page
    assert "<strong>check-in</strong>" in page


def test_evaluator_creates_a_release_through_the_form(app, client):
    seed_releasable()
    evaluator = make_user(Role.EVALUATOR)
    sign_in(client, evaluator)
    form = client.get("/published/new").get_data(as_text=True)
    assert 'value="area:NE"' in form and 'value="service:MERSEY"' in form
    assert '<label for="as_of">' in form
    response = form_post(
        client, "/published/new", {"as_of": "2026-10-31", "scope": "service:TYNE", "title": "Tyneside, October"}
    )
    assert response.status_code == 303
    created = db.session.scalars(select(Release)).one()
    assert response.headers["Location"].endswith(f"/published/{created.id}")
    assert (created.scope_kind, created.scope_code, created.title) == ("service", "TYNE", "Tyneside, October")
    assert created.created_by == f"user:{evaluator.id}"


def test_form_shows_errors_and_creates_nothing(app, client):
    seed_releasable()
    sign_in(client, make_user(Role.EVALUATOR))
    response = form_post(client, "/published/new", {"as_of": "yesterday", "scope": "area:NOPE"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "There is a problem" in page
    assert db.session.scalar(select(func.count()).select_from(Release)) == 0


@pytest.mark.parametrize("role", [Role.COMMISSIONER, Role.SERVICE_SUBMITTER, Role.ADMIN])
def test_only_evaluators_create_releases(app, client, role):
    seed_releasable()
    sign_in(client, make_user(role))
    assert client.get("/published/new").status_code == 403
    assert form_post(client, "/published/new", {"as_of": "2026-10-31", "scope": "all"}).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Release)) == 0


def test_anonymous_visitors_are_sent_to_sign_in(client, app):
    response = client.get("/published/new")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.post("/published/new", data={"as_of": "2026-10-31", "scope": "all"}).status_code in (302, 400)
    assert db.session.scalar(select(func.count()).select_from(Release)) == 0


def test_non_ascii_titles_keep_the_hash_exact(app, client):
    seed_releasable()
    release = releases.create_release(AS_OF, "area", "NE", "test", NOW, title="Évaluation – octobre ✓")
    response = client.get(f"/published/{release.id}.json")
    assert "Évaluation – octobre ✓".encode() in response.data  # UTF-8, not \u escapes
    assert hashlib.sha256(response.data).hexdigest() == release.sha256
    assert releases.verify_release(release.id).ok


def test_csv_download_guards_formulas_and_keeps_numbers(client, app):
    seed_releasable()
    title = '=HYPERLINK("http://x.example","click")'
    item = releases.create_release(AS_OF, "all", None, "test", NOW, title=title)
    text = client.get(f"/published/{item.id}.csv").get_data(as_text=True)
    values = {(section, key): value for section, key, value in csv.reader(io.StringIO(text))}
    assert values[("release", "title")] == "'" + title  # a spreadsheet shows it as text, never runs it
    assert values[("outcomes", "durably_recovered")] == "10"  # numbers are written as numbers, unquoted
    assert "\n" + "outcomes,durably_recovered,10\n" in text


def test_form_refuses_an_as_of_after_today_in_london_and_creates_nothing(app, client, monkeypatch):
    from datetime import UTC, datetime

    seed_releasable()
    sign_in(client, make_user(Role.EVALUATOR))
    # 00:30 on 2 July 2027 in London (BST): still 1 July in UTC, so 2 July is today and 3 July is not.
    monkeypatch.setattr("app.web.published.utcnow", lambda: datetime(2027, 7, 1, 23, 30, tzinfo=UTC))
    response = form_post(client, "/published/new", {"as_of": "2027-07-03", "scope": "all"})
    assert response.status_code == 400
    assert "as-of date 2027-07-03 is after today (2027-07-02, Europe/London)" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Release)) == 0
    assert form_post(client, "/published/new", {"as_of": "2027-07-02", "scope": "all"}).status_code == 303


def test_release_page_says_it_is_frozen_and_counts_late_arrivals(app, client, release):
    from datetime import UTC, datetime

    from tests.factories import csv_bytes, row, run_import

    page = client.get(f"/published/{release.id}").get_data(as_text=True)
    assert "These figures are frozen" in page and "Live figures for a past date move" in page
    assert "has arrived since" in page
    late = [row(client_ref=f"L{i:02d}", discharge_date="2026-10-01") for i in range(12)]
    run_import(csv_bytes(late), now=datetime(2026, 11, 27, 12, tzinfo=UTC))
    page = client.get(f"/published/{release.id}").get_data(as_text=True)
    assert "Since it was made, <strong>10</strong> episodes" in page  # 12, rounded to 5


def test_the_release_page_has_its_charts_as_svg_images_from_this_site(client, release):
    """Issue 14: the public release page had no charts. They are SVG images served by the app (the CSP forbids
    inline styles), drawn from the published figures, cached for good since a release never changes."""
    import re

    page = client.get(f"/published/{release.id}").get_data(as_text=True)
    pattern = r'<img src="(/published/' + str(release.id) + r'/charts/\d+\.svg)" alt="([^"]+)"'
    sources = re.findall(pattern, page)
    assert len(sources) >= 3
    assert any("Durable recovery by problem group" in alt for _, alt in sources)
    for src, _ in sources:
        chart = client.get(src)
        assert chart.status_code == 200 and chart.mimetype == "image/svg+xml"
        assert b"<svg" in chart.data[:500]
        assert "immutable" in chart.headers["Cache-Control"]
    assert client.get(f"/published/{release.id}/charts/99.svg").status_code == 404
    assert client.get("/published/999999/charts/1.svg").status_code == 404


def test_a_release_breaks_durable_recovery_down_by_disorder(app, client, release, monkeypatch):
    page = client.get(f"/published/{release.id}").get_data(as_text=True)
    assert "<caption>By disorder first presented with</caption>" in page
    table = page.split("<caption>By disorder first presented with</caption>")[1].split("</table>")[0]
    assert '<th scope="col">Disorder</th>' in table
    depression = table.split('<th scope="row">Depression (F32, F33)</th>')[1].split("</tr>")[0]
    assert depression.split("</td>")[0].strip() == '<td class="numeric">10'  # 12 episodes, rounded to 5
    assert '<th scope="row">Generalised anxiety (F41.1)</th>\n      <td class="numeric">*</td>' in table  # 3
    assert table.count('<th scope="row">') == 12
    values = {
        (s, k): v
        for s, k, v in list(csv.reader(io.StringIO(client.get(f"/published/{release.id}.csv").get_data(as_text=True))))[
            1:
        ]
    }
    assert values[("by_disorder", "depression.episodes")] == "10"
    assert values[("by_disorder", "generalised_anxiety.durable_recovery.itt.rate")] == "*"
    # a release made before by_disorder joined the summary has none, and its page still shows
    from app.services import statistics

    made = statistics.summary

    def before_by_disorder(*args, **kwargs):
        return {k: v for k, v in made(*args, **kwargs).items() if k != "by_disorder"}

    monkeypatch.setattr(statistics, "summary", before_by_disorder)
    old = releases.create_release(AS_OF, "all", None, "test", NOW, title="Made before by_disorder")
    assert "by_disorder" not in releases.document(old)["figures"]
    page = client.get(f"/published/{old.id}")
    assert page.status_code == 200
    assert "By disorder first presented with" not in page.get_data(as_text=True)
    assert "<caption>By problem group</caption>" in page.get_data(as_text=True)
