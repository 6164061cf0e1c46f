"""/reports: a commissioner sees and downloads their own area's monthly reports, and only theirs."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Area, AuditEvent, MonthlyReport, Role
from app.services.publication import releases
from tests.factories import make_service
from tests.web.sign_in import make_user, sign_in

BUILT = datetime(2026, 10, 1, 5, 0, tzinfo=UTC)


@pytest.fixture
def client(app):
    return app.test_client()


def add_report(area_code: str, month: str) -> MonthlyReport:
    """A stored report (the files' content is made up here: building real ones is tested in integration)."""
    area = db.session.scalars(select(Area).where(Area.code == area_code)).one()
    report = MonthlyReport(
        area_id=area.id,
        month=month,
        built_at=BUILT,
        pdf=f"%PDF-1.7 {area_code} {month}".encode(),
        csv=f"area,month\n{area_code},{month}\n",
        figures="{}",
    )
    db.session.add(report)
    db.session.commit()
    return report


@pytest.fixture
def areas(app):
    make_service(code="TYNE", area="NE")
    make_service(code="AVON", area="SW", short_name="Avon Wellbeing")
    ne = db.session.scalars(select(Area).where(Area.code == "NE")).one()
    sw = db.session.scalars(select(Area).where(Area.code == "SW")).one()
    return ne, sw


def test_the_archive_lists_the_own_areas_reports_newest_first(client, areas):
    ne, _ = areas
    august, september = add_report("NE", "2026-08"), add_report("NE", "2026-09")
    other = add_report("SW", "2026-09")
    sign_in(client, make_user(Role.COMMISSIONER, "ne@example.org", area=ne))
    page = client.get("/reports/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Monthly reports: Area NE" in html
    assert html.index("September 2026") < html.index("August 2026")
    for report in (august, september):
        assert f'href="/reports/{report.id}.pdf"' in html and f'href="/reports/{report.id}.csv"' in html
    assert f"/reports/{other.id}." not in html and "SW-2026-09" not in html
    assert "NE-2026-09.pdf" in html and "<caption>" in html and 'scope="col"' in html
    assert "1 October 2026" in html  # when it was built, as a date in England
    assert "<script" not in html and "style=" not in html


def test_downloads_are_attachments_with_area_month_names_and_audited(client, areas):
    ne, _ = areas
    report = add_report("NE", "2026-09")
    user = make_user(Role.COMMISSIONER, "ne@example.org", area=ne)
    sign_in(client, user)
    pdf = client.get(f"/reports/{report.id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["Content-Disposition"] == 'attachment; filename="NE-2026-09.pdf"'
    assert pdf.data == b"%PDF-1.7 NE 2026-09"
    assert "no-store" in pdf.headers["Cache-Control"]
    csv_file = client.get(f"/reports/{report.id}.csv")
    assert csv_file.status_code == 200 and csv_file.mimetype == "text/csv"
    assert csv_file.headers["Content-Disposition"] == 'attachment; filename="NE-2026-09.csv"'
    assert csv_file.get_data(as_text=True) == "area,month\nNE,2026-09\n"
    audited = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "report.downloaded")).all()
    assert [(event.actor, event.subject) for event in audited] == [
        (f"user:{user.id}", "report:NE-2026-09"),
        (f"user:{user.id}", "report:NE-2026-09"),
    ]


def test_another_areas_report_is_not_found(client, areas):
    ne, _ = areas
    theirs = add_report("SW", "2026-09")
    sign_in(client, make_user(Role.COMMISSIONER, "ne@example.org", area=ne))
    assert client.get(f"/reports/{theirs.id}.pdf").status_code == 404
    assert client.get(f"/reports/{theirs.id}.csv").status_code == 404
    assert client.get(f"/reports/{theirs.id + 100}.pdf").status_code == 404  # same answer as for no report
    assert client.get(f"/reports/{theirs.id}.json").status_code == 404
    downloads = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "report.downloaded")).all()
    assert downloads == []


def test_empty_state_when_the_area_has_no_report_yet(client, areas):
    ne, _ = areas
    add_report("SW", "2026-09")
    sign_in(client, make_user(Role.COMMISSIONER, "ne@example.org", area=ne))
    html = client.get("/reports/").get_data(as_text=True)
    assert "There are no reports for Area NE yet" in html and "<table" not in html


def test_only_commissioners_reach_the_reports(client, areas):
    report = add_report("NE", "2026-09")
    anonymous = client.get(f"/reports/{report.id}.pdf")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert client.get("/reports/").status_code == 302
    sign_in(client, make_user(Role.SERVICE_SUBMITTER, "submit@example.org"))
    assert client.get("/reports/").status_code == 403
    assert client.get(f"/reports/{report.id}.pdf").status_code == 403


def test_the_reports_page_links_to_the_releases_of_the_own_area_and_its_services(client, areas):
    ne, _ = areas
    made = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    as_of = date(2026, 10, 31)
    own_area = releases.create_release(as_of, "area", "NE", "test", made, title="North East, October")
    own_service = releases.create_release(as_of, "service", "TYNE", "test", made, title="Tyneside, October")
    other_area = releases.create_release(as_of, "area", "SW", "test", made, title="South West, October")
    other_service = releases.create_release(as_of, "service", "AVON", "test", made, title="Avon, October")
    sign_in(client, make_user(Role.COMMISSIONER, "ne@example.org", area=ne))
    html = client.get("/reports/").get_data(as_text=True)
    assert f'href="/published/{own_area.id}"' in html and f'href="/published/{own_service.id}"' in html
    assert "North East, October" in html and "Tyneside, October" in html
    assert f'href="/published/{other_area.id}"' not in html and f'href="/published/{other_service.id}"' not in html
    assert 'href="/published"' in html  # and every release
    assert '<time class="nowrap" datetime="2026-10-31">2026-10-31</time>' in html


def test_the_reports_page_says_when_no_release_covers_the_area(client, areas):
    ne, _ = areas
    sign_in(client, make_user(Role.COMMISSIONER, "ne@example.org", area=ne))
    html = client.get("/reports/").get_data(as_text=True)
    assert "No release covers Area NE or one of its services yet." in html and 'href="/published"' in html
