"""After-action reports over HTTP: pages and REST. Conflicting saves (409 with both
texts), the workflow through the forms, the library under TLP markings, drafts for
their authors and reviewers only, filters and search, comparison, and the exports
(Markdown, standalone HTML, PDF) marked on every page and audited."""

from __future__ import annotations

import html
import io
import re
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from exercises.reports import services as reports
from exercises.reports.models import Report
from tests.conftest import csrf, login
from tests.exercises.helpers import read
from tests.exercises.report_helpers import (
    audit_rows,
    closed_incident,
    drafted,
    exercise_setup,
    load,
    publish_through_review,
    section,
    start,
    write,
)

EXERCISE_MARK = "EXERCISE EXERCISE EXERCISE"


def browser(app, user):
    """A test client signed in as ``user``."""
    client = app.test_client()
    assert login(client, user.email).status_code == 302
    return client


def text_of(response):
    return response.get_data(as_text=True)


def rest_library(api, user, query: str = ""):
    response = api.client.get(f"/api/v1/reports?{query}", headers=api.headers(user))
    assert response.status_code == 200
    return response.get_json()["reports"]


def library_titles(page: str) -> list[str]:
    """Report titles listed in the library table of the /reports/ page (not the drafts panel)."""
    table = page.split('id="lib-h"', 1)[1].split("</table>", 1)[0]
    return [html.unescape(t) for t in re.findall(r'<a href="/reports/\d+"[^>]*>([^<]+)</a>', table)]


# --- the exercise report being written -------------------------------------------------------------

@pytest.fixture
def world(make):
    return exercise_setup(make)


@pytest.fixture
def people(world):
    return world.people


@pytest.fixture
def draft(app, make, world):
    return load(app, start(make, world.people.director, world.ex.room_id).id)


def test_a_conflicting_save_answers_409_showing_their_text_and_yours(app, make, people, draft):
    director, evaluator = browser(app, people.director), browser(app, people.evaluator)
    page = text_of(director.get(f"/reports/{draft.id}/edit"))  # the director opens the editor at v1
    assert f'action="/reports/{draft.id}/sections/executive_summary"' in page
    token = csrf(director, f"/reports/{draft.id}/edit")
    saved = evaluator.post(f"/reports/{draft.id}/sections/executive_summary", data={
        "csrf_token": csrf(evaluator, f"/reports/{draft.id}/edit"), "version": "1",
        "body": "Evaluator: detection was fast"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith(
        f"/reports/{draft.id}/edit#section-executive_summary")
    refused = director.post(f"/reports/{draft.id}/sections/executive_summary", data={
        "csrf_token": token, "version": "1", "body": "Director: <b>coordination</b> was slow"})
    assert refused.status_code == 409
    page = text_of(refused)
    assert "Evaluator: detection was fast" in page  # theirs
    assert "Director: &lt;b&gt;coordination&lt;/b&gt; was slow" in page  # yours, escaped, in the merge box
    assert "Their version (v2, by Eve Evaluator)" in page and "Eve Evaluator saved this section" in page
    assert '<input type="hidden" name="version" value="2">' in page
    stored = section(load(app, draft.id), "executive_summary")
    assert (stored.body, stored.version) == ("Evaluator: detection was fast", 2)
    assert [r["actor_id"] for r in audit_rows(app, "report.section_save")] == [people.evaluator.id]
    merged = director.post(f"/reports/{draft.id}/sections/executive_summary", data={
        "csrf_token": token, "version": "2", "body": "Evaluator: detection was fast\n\nDirector: slow"})
    assert merged.status_code == 302
    assert section(load(app, draft.id), "executive_summary").version == 3


def test_the_rest_section_save_answers_409_with_the_current_text(app, api, people, draft):
    path = f"/reports/{draft.id}/sections/executive_summary"
    first = api.post(people.evaluator, path, json={"body": "Evaluator's *summary*", "version": 1})
    assert first.status_code == 200
    assert first.get_json() == {"key": "executive_summary", "version": 2,
                                "body_html": "<p>Evaluator's <em>summary</em></p>"}
    stale = api.post(people.director, path, json={"body": "Director's summary", "version": 1})
    assert stale.status_code == 409
    body = stale.get_json()
    assert set(body) == {"error", "current"} and "Eve Evaluator" in body["error"]
    assert body["current"] == {"body": "Evaluator's *summary*", "version": 2, "updated_by": "Eve Evaluator"}
    assert section(load(app, draft.id), "executive_summary").body == "Evaluator's *summary*"
    # Not an author: a reviewer is refused, someone who cannot read the draft does not find it.
    api.post(people.director, f"/reports/{draft.id}/submit", json={"reviewers": [people.outsider.email]})
    assert api.post(people.outsider, path, json={"body": "x", "version": 2}).status_code == 403
    assert api.post(people.player_a, path, json={"body": "x", "version": 2}).status_code == 404
    assert api.post(people.director, path, json={"body": "x"}).status_code == 422


def test_the_workflow_through_the_pages(app, make, people, world):
    director = browser(app, people.director)
    library = text_of(director.get("/reports/"))
    assert "Cohort A drill" in library and 'name="room_id"' in library  # the ended exercise is offered
    started = director.post("/reports/", data={"csrf_token": csrf(director, "/reports/"),
                                               "room_id": str(world.ex.room_id)})
    report_id = read_only_report_id(app)
    assert started.status_code == 302 and started.headers["Location"].endswith(f"/reports/{report_id}/edit")
    token = csrf(director, f"/reports/{report_id}")
    director.post(f"/reports/{report_id}/submit", data={
        "csrf_token": token, "reviewers": f"{people.outsider.email}, {people.observer.email}"})
    assert load(app, report_id).status == "review"
    reviewer = browser(app, people.outsider)
    shown = text_of(reviewer.get(f"/reports/{report_id}"))
    assert "Approve" in shown and "Request changes" in shown and "Edit sections" not in shown
    assert reviewer.get(f"/reports/{report_id}/edit").status_code == 302  # not an author: back to reading
    rtoken = csrf(reviewer, f"/reports/{report_id}")
    reviewer.post(f"/reports/{report_id}/comments", data={"csrf_token": rtoken, "section": "metrics",
                                                          "body": "Who missed inject 3?"})
    [comment_id] = read(app, lambda s: [c.id for c in reports.comments_of(s, s.get(Report, report_id))])
    director.post(f"/reports/{report_id}/comments", data={"csrf_token": token, "section": "metrics",
                                                          "parent_id": str(comment_id), "body": "The bank team."})
    threads = read(app, lambda s: [(c.parent_id, c.body) for c in reports.comments_of(s, s.get(Report, report_id))])
    assert threads == [(None, "Who missed inject 3?"), (comment_id, "The bank team.")]
    reviewer.post(f"/reports/{report_id}/review", data={"csrf_token": rtoken, "decision": "approve"})
    # An evaluator is an author but not the director: the publish form is refused.
    evaluator = browser(app, people.evaluator)
    refused = evaluator.post(f"/reports/{report_id}/publish", data={
        "csrf_token": csrf(evaluator, f"/reports/{report_id}"), "override_reason": "Go"})
    assert refused.status_code == 403 and load(app, report_id).status == "review"
    page = text_of(director.get(f"/reports/{report_id}"))
    assert "Not signed off yet: <strong>Telecom Sector CERT</strong>" in page
    director.post(f"/reports/{report_id}/publish", data={"csrf_token": token})  # no reason: refused
    assert load(app, report_id).status == "review"
    director.post(f"/reports/{report_id}/publish", data={"csrf_token": token,
                                                         "override_reason": "Telco signed off by email"})
    published = load(app, report_id)
    assert (published.status, published.override_reason) == ("published", "Telco signed off by email")
    page = text_of(director.get(f"/reports/{report_id}"))
    assert "published over missing sign-offs: Telco signed off by email" in page
    assert EXERCISE_MARK in page and "TLP:AMBER" in page


def read_only_report_id(app):
    return read(app, lambda s: s.scalars(select(Report.id)).one())


# --- the library under TLP --------------------------------------------------------------------

@pytest.fixture
def council(app, make):
    """Four published incident reports (GREEN, AMBER, AMBER+STRICT, RED) of a sector CERT's
    rooms, one draft, and people inside, below and outside that CERT."""
    sector = make.org("Sector CERT", tier="sectoral", sector="banking-finance")
    child = make.org("Member Bank CSIRT", tier="organizational", parent=sector)
    other = make.org("Other ISAC", tier="sectoral", sector="energy")
    w = SimpleNamespace(
        sector=sector, child=child, other=other,
        # Those who read TLP:RED in a browser need a second factor (the step-up).
        lead=make.user("lead@sector.example", org=sector, name="Lena Lead", second_factor=True),
        colleague=make.user("colleague@sector.example", org=sector, name="Cole Colleague"),
        child_user=make.user("soc@member.example", org=child, name="Chris Child"),
        other_user=make.user("analyst@other.example", org=other, name="Oscar Other"),
        named=make.user("named@other.example", org=other, name="Nina Named", second_factor=True),
    )
    w.reports = {}
    for tlp, members in (("GREEN", ()), ("AMBER", ()), ("AMBER+STRICT", ()), ("RED", (w.named,))):
        room = closed_incident(make, w.lead, orgs=(sector,), members=members, tlp=tlp, title=f"{tlp} incident")
        report = start(make, w.lead, room.id)
        publish_through_review(make, w.lead, report.id, [w.colleague])
        w.reports[tlp] = report.id
    room = closed_incident(make, w.lead, orgs=(sector,), tlp="GREEN", title="Unfinished incident")
    w.draft = start(make, w.lead, room.id).id
    return w


VISIBLE = {
    "lead": {"GREEN", "AMBER", "AMBER+STRICT", "RED"},  # named in every room
    "colleague": {"GREEN", "AMBER", "AMBER+STRICT"},  # participating organisation, not named
    "child_user": {"GREEN", "AMBER"},  # below it
    "other_user": {"GREEN"},
    "named": {"GREEN", "RED"},  # named in the RED room only
}


@pytest.mark.parametrize("who", sorted(VISIBLE))
def test_the_library_lists_what_each_person_may_read_under_tlp(app, api, council, who):
    user = getattr(council, who)
    expected = {f"After-action report: {tlp} incident" for tlp in VISIBLE[who]}
    page = text_of(browser(app, user).get("/reports/"))
    assert set(library_titles(page)) == expected
    listed = api.get(user, "/reports").get_json()["reports"]
    assert {r["title"] for r in listed} == expected
    assert {r["tlp"] for r in listed} == VISIBLE[who] and {r["status"] for r in listed} == {"published"}
    assert "sections" not in listed[0]  # the list is a summary
    client = browser(app, user)
    for tlp, report_id in council.reports.items():
        status = 200 if tlp in VISIBLE[who] else 404
        assert client.get(f"/reports/{report_id}").status_code == status, tlp
        assert api.get(user, f"/reports/{report_id}").status_code == status, tlp
        assert client.get(f"/reports/{report_id}/export.md").status_code == status, tlp


def test_a_red_report_stays_closed_to_a_browser_without_the_step_up(app, api, council):
    client = browser(app, council.named)
    with client.session_transaction() as sess:
        sess.pop("second_factor")  # a session that has not verified the factor (restored, say)
    assert "RED incident" not in text_of(client.get("/reports/"))
    assert client.get(f"/reports/{council.reports['RED']}").status_code == 404
    assert client.get(f"/reports/{council.reports['GREEN']}").status_code == 200
    assert api.get(council.named, f"/reports/{council.reports['RED']}").status_code == 200  # a token is a machine


def test_a_draft_is_seen_by_its_authors_and_reviewers_only(app, make, api, council):
    outsiders = (council.colleague, council.child_user, council.other_user, council.named)
    for user in outsiders:
        assert browser(app, user).get(f"/reports/{council.draft}").status_code == 404
        assert api.get(user, f"/reports/{council.draft}").status_code == 404
        assert "Unfinished incident" not in text_of(browser(app, user).get("/reports/"))
    lead = browser(app, council.lead)
    assert lead.get(f"/reports/{council.draft}").status_code == 200
    assert "After-action report: Unfinished incident" in text_of(lead.get("/reports/"))  # in "your drafts"
    assert "After-action report: Unfinished incident" not in library_titles(text_of(lead.get("/reports/")))
    make.run(reports.submit, actor=council.lead, report_id=council.draft, reviewer_emails=[council.other_user.email])
    reviewer = browser(app, council.other_user)
    assert reviewer.get(f"/reports/{council.draft}").status_code == 200
    body = api.get(council.other_user, f"/reports/{council.draft}").get_json()
    assert body["status"] == "review" and body["sections"][0]["key"] == "overview"
    assert body["reviewers"][0]["name"] == "Oscar Other" and body["missing_signoffs"] == ["Sector CERT"]
    for user in (council.colleague, council.child_user, council.named):
        assert browser(app, user).get(f"/reports/{council.draft}").status_code == 404
        assert api.get(user, f"/reports/{council.draft}").status_code == 404


def test_library_filters_by_type_year_and_organisation_and_searches_the_text(app, make, api, council, world):
    people = world.people
    exercise = start(make, people.director, world.ex.room_id)
    make.run(reports.set_title, actor=people.director, report_id=exercise.id, title="Cohort A drill report",
             tlp="GREEN")
    publish_through_review(make, people.director, exercise.id, [people.outsider, people.observer])
    # A word found in one executive summary only (written in a revision, published as v2).
    green = council.reports["GREEN"]
    v2 = make.run(reports.revise, actor=council.lead, report_id=green)
    write(make, council.lead, v2.id, "executive_summary", "Scrubbing held; the Quokka botnet came back twice.")
    publish_through_review(make, council.lead, v2.id, [council.colleague])
    long_ago = datetime(2019, 5, 1, tzinfo=UTC)
    make.run(lambda s: setattr(s.get(Report, council.reports["AMBER"]), "published_at", long_ago))
    user = council.child_user  # reads GREEN, AMBER (and the GREEN exercise report)
    cases = {
        "": {"Cohort A drill report", "After-action report: GREEN incident", "After-action report: AMBER incident"},
        "type=exercise": {"Cohort A drill report"},
        "type=incident": {"After-action report: GREEN incident", "After-action report: AMBER incident"},
        "year=2019": {"After-action report: AMBER incident"},
        f"year={datetime.now(UTC).year}": {"Cohort A drill report", "After-action report: GREEN incident"},
        f"org={people.telco.id}": {"Cohort A drill report"},
        f"org={council.sector.id}": {"After-action report: GREEN incident", "After-action report: AMBER incident"},
        "q=quokka": {"After-action report: GREEN incident"},
        "q=QUOKKA+botnet": {"After-action report: GREEN incident"},
        "q=quokka+ransomware": set(),
        "q=%25": set(),  # "%" and "_" are searched as text, not as wildcards
        "q=_": set(),
        "type=exercise&q=quokka": set(),
        "sector=energy": set(),
        "sector=banking-finance": {"Cohort A drill report", "After-action report: GREEN incident",
                                   "After-action report: AMBER incident"},
    }
    client = browser(app, user)
    for query, expected in cases.items():
        assert set(library_titles(text_of(client.get(f"/reports/?{query}")))) == expected, query
        listed = rest_library(api, user, query)
        assert {r["title"] for r in listed} == expected, query
    [green_listed] = rest_library(api, user, "q=quokka")
    assert (green_listed["id"], green_listed["version"], green_listed["previous_id"]) == (v2.id, 2, green)


# --- comparing versions -------------------------------------------------------------------------

def test_the_compare_page_shows_the_changes_escaped(app, make, people, draft):
    write(make, people.director, draft.id, "executive_summary", "Old line\nKept line")
    publish_through_review(make, people.director, draft.id, [people.outsider, people.observer])
    v2 = make.run(reports.revise, actor=people.director, report_id=draft.id)
    write(make, people.director, v2.id, "executive_summary", "<script>alert('x')</script>\nKept line")
    page = text_of(browser(app, people.director).get(f"/reports/{v2.id}/compare"))
    assert '<span class="diff-add">+&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;</span>' in page
    assert '<span class="diff-del">-Old line</span>' in page
    assert "<script>alert" not in page
    assert page.count("Unchanged.") == 7
    # v2 is a draft: a reader of v1 neither sees nor compares it.
    assert browser(app, people.player_a).get(f"/reports/{v2.id}/compare").status_code == 404
    assert browser(app, people.player_a).get(f"/reports/{draft.id}").status_code == 200


def test_a_revision_edits_its_own_corrective_actions_and_lists_the_published_ones(app, make, people, draft):
    """A revision's plan shows the earlier version's actions (published, tracked in the
    register) read-only: a form for them could only be refused on save."""
    make.run(reports.save_action, actor=people.director, report_id=draft.id,
             fields={"area": "Escalation path to the regulator", "action": "Write the escalation runbook"})
    publish_through_review(make, people.director, draft.id, [people.outsider, people.observer])
    v2 = make.run(reports.revise, actor=people.director, report_id=draft.id)
    own = make.run(reports.save_action, actor=people.director, report_id=v2.id,
                   fields={"area": "Liaison rota", "action": "Name a deputy liaison"})
    carried = read(app, lambda s: [(ca.id, ca.number) for ca in reports.plan_of(s, s.get(Report, draft.id))])
    assert carried and all(number for _id, number in carried)

    page = text_of(browser(app, people.director).get(f"/reports/{v2.id}/edit"))
    save_urls = set(re.findall(rf'action="/reports/{v2.id}/actions/(\d+)"', page))
    assert save_urls == {str(own.id)}
    plan_table = page.split('<table class="table plan">', 1)[1].split("</table>", 1)[0]
    for ca_id, number in carried:
        assert f'<a href="/actions/{ca_id}">CA-{number}</a>' in plan_table
    assert "Write the escalation runbook" in plan_table and "Name a deputy liaison" not in plan_table

    # Nor can a hand-made request change or delete them through the revision.
    client = browser(app, people.director)
    token = csrf(client, f"/reports/{v2.id}/edit")
    ca_id = carried[0][0]
    def first_area():
        return read(app, lambda s: reports.plan_of(s, s.get(Report, draft.id))[0].area)

    before = first_area()
    for extra in ({}, {"delete": "1"}):
        response = client.post(f"/reports/{v2.id}/actions/{ca_id}",
                               data={"csrf_token": token, "area": "Rewritten", **extra})
        assert response.status_code == 404
    assert first_area() == before != "Rewritten"
    assert {ca_id for ca_id, _n in carried} <= {
        ca.id for ca in read(app, lambda s: reports.plan_of(s, s.get(Report, v2.id)))}


# --- exports -------------------------------------------------------------------------------------

LONG_SUMMARY = "\n\n".join(
    f"Paragraph {n}: the council's coordination of the payment-switch response is described here at length, "
    "with the decisions taken, who took them, and what the teams did between the injects. " * 3
    for n in range(45))


@pytest.fixture
def exported(app, make, people, draft):
    """A published GREEN exercise report long enough for several PDF pages."""
    write(make, people.director, draft.id, "executive_summary",
          LONG_SUMMARY + "\n\n<script>alert(1)</script> <img src=\"https://evil.example/x.png\">")
    make.run(reports.set_title, actor=people.director, report_id=draft.id, title="Cohort A drill report",
             tlp="GREEN")
    publish_through_review(make, people.director, draft.id, [people.outsider, people.observer])
    return load(app, draft.id)


def test_the_markdown_export_is_marked_and_audited(app, people, exported):
    response = browser(app, people.player_b).get(f"/reports/{exported.id}/export.md")  # a GREEN reader
    assert response.status_code == 200 and response.mimetype == "text/markdown"
    assert response.headers["Content-Disposition"] == f'attachment; filename="aar-{exported.id}-v1.md"'
    text = text_of(response)
    lines = text.strip().splitlines()
    assert lines[0] == lines[-1] == f"**{EXERCISE_MARK} · TLP:GREEN**"
    assert "# Cohort A drill report" in text and "## 6. Metrics" in text and "Paragraph 44:" in text
    assert re.search(r"\| CA-\d+ \| Nobody owned the upstream contact list \| Coordination \|", text)
    [row] = audit_rows(app, "report.export")
    assert row["actor_id"] == people.player_b.id and row["target_id"] == str(exported.id)
    assert row["details"] == {"format": "md", "version": 1}


def test_the_html_export_is_standalone_marked_and_audited(app, people, exported):
    response = browser(app, people.director).get(f"/reports/{exported.id}/export.html")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = text_of(response)
    assert page.count(f"{EXERCISE_MARK} · TLP:GREEN") >= 3  # title, top and bottom
    assert '<p class="marking"' in page and "<style>" in page
    assert "<script" not in page.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert "<link" not in page and "@import" not in page and "url(" not in page
    assert "evil.example" not in page
    assert "<svg" in page  # the charts are drawn inline
    assert "Nobody owned the upstream contact list" in page
    assert [r["details"]["format"] for r in audit_rows(app, "report.export")] == ["html"]


def test_the_pdf_export_is_a_pdf_marked_on_every_page(app, people, exported):
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:  # pragma: no cover - depends on the machine
        pytest.skip(f"WeasyPrint cannot load on this machine (pango missing?): {exc}")
    from pypdf import PdfReader

    response = browser(app, people.observer).get(f"/reports/{exported.id}/export.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    pdf = PdfReader(io.BytesIO(response.data))
    assert len(pdf.pages) >= 3
    for number, page in enumerate(pdf.pages, start=1):
        text = " ".join(page.extract_text().split())
        assert text.count(EXERCISE_MARK) >= 2, number  # header and footer
        assert text.count("TLP:GREEN") >= 2, number
        assert f"page {number} of {len(pdf.pages)}" in text, number
    assert [r["details"] for r in audit_rows(app, "report.export")] == [{"format": "pdf", "version": 1}]


LONG_OBJECTIVES = [{"id": f"O{n}", "text": (
    f"Within {15 * n} minutes of the first alert, the sector CERTs confirm the incident from two independent "
    f"sources, share validated indicators at the right TLP and agree the council's next step (objective {n}).")}
    for n in range(1, 7)]


def pdf_text(client, report_id) -> tuple[int, str]:
    """The page count of a report's PDF export, and its text with whitespace collapsed."""
    from pypdf import PdfReader

    response = client.get(f"/reports/{report_id}/export.pdf")
    assert response.status_code == 200
    pages = PdfReader(io.BytesIO(response.data)).pages
    return len(pages), " ".join(" ".join(page.extract_text().split()) for page in pages)


def test_the_pdf_capability_grid_shows_whole_objectives_without_a_page_per_row(app, make, people):
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:  # pragma: no cover - depends on the machine
        pytest.skip(f"WeasyPrint cannot load on this machine (pango missing?): {exc}")
    from exercises.vocab import CAPABILITIES

    report = drafted(app, make, people, objectives=LONG_OBJECTIVES, capabilities=tuple(CAPABILITIES),
                     ratings=[("O1", "detection", "P"), ("O3", "coordination", "M"), ("O6", "recovery", "U")])
    client = browser(app, people.director)
    pages, text = pdf_text(client, report.id)
    grid = text.split("3. Analysis of capabilities", 1)[1].split("4. Strengths and areas for improvement", 1)[0]
    for objective in LONG_OBJECTIVES:
        assert f"{objective['id']} {objective['text']}" in grid
    write(make, people.director, report.id, "analysis", "No grid.")
    pages_without_grid, _text = pdf_text(client, report.id)
    assert pages <= pages_without_grid + 1  # six rows of seven capabilities fit on one page


def test_a_pdf_export_the_server_cannot_make_is_503_and_not_audited(app, people, exported, monkeypatch):
    from exercises.reports import routes
    from exercises.reports.export import Unavailable

    def no_pango(*_args):
        raise Unavailable("PDF export is not installed on this server (it needs pango).")

    monkeypatch.setattr(routes, "to_pdf", no_pango)
    response = browser(app, people.observer).get(f"/reports/{exported.id}/export.pdf")
    assert response.status_code == 503 and "needs pango" in text_of(response)
    assert audit_rows(app, "report.export") == []


def test_an_incident_export_carries_its_tlp_and_no_exercise_marking(app, council):
    client = browser(app, council.child_user)
    text = text_of(client.get(f"/reports/{council.reports['AMBER']}/export.md"))
    assert text.startswith("**TLP:AMBER**") and EXERCISE_MARK not in text
    page = text_of(client.get(f"/reports/{council.reports['AMBER']}/export.html"))
    assert "TLP:AMBER" in page and EXERCISE_MARK not in page


def test_an_unreadable_report_is_not_exported_nor_audited(app, council):
    for user, report_id in ((council.other_user, council.reports["AMBER"]),
                            (council.child_user, council.reports["AMBER+STRICT"]),
                            (council.colleague, council.reports["RED"]), (council.colleague, council.draft)):
        client = browser(app, user)
        for fmt in ("md", "html", "pdf"):
            assert client.get(f"/reports/{report_id}/export.{fmt}").status_code == 404, (user.email, fmt)
    assert browser(app, council.lead).get(f"/reports/{council.reports['RED']}/export.txt").status_code == 422
    assert audit_rows(app, "report.export") == []
