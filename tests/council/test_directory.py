"""The directory: team records in FIRST's field names (FIRST's own example record
round-trips), all-or-nothing imports with row-level errors, validation, duty
rosters and who is on duty now, urgent notifications reaching the person on duty,
and communication checks — who starts them over which organisations, who is told,
one answer per organisation, the matrix and summary, closing by hand and by the
clock — with the denials (invisible is 404) and the pages."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from council.actors import SYSTEM
from council.audit.models import AuditEntry
from council.audit.services import verify
from council.auth.models import User
from council.db import utcnow
from council.directory import checks, roster
from council.directory.models import CommsCheck, CommsCheckOrg, DutyShift, TeamRecord
from council.errors import Conflict
from council.extensions import database
from council.governance.models import Seat, SeatRepresentative
from council.notifications.models import Notification
from council.notifications.services import Note, notify
from tests.conftest import csrf, login
from tests.council.test_rooms_api import Api

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "first-global-irt-single-team.json"
# What the council computes itself and so writes its own way on export (council/directory/first.py).
COMPUTED = {"last-modified", "meta", "parent-organisation"}
FP = "CA572205C0024E06BA70BE89EAADCFFC22BD4CD5"


@pytest.fixture
def api(client, make):
    return Api(client, make)


@pytest.fixture
def w(app, make):
    """National CERT > Banking CERT > Indus Bank > Branch; Banking > Meezan; National > Telecom CERT > Jazz;
    a ministry whose representative is the council's secretary; CIRCL (FIRST's example team)."""
    class W:
        national = make.org("National CERT D", tier="national")
        banking = make.org("Banking CERT D", parent=national, sector="banking-finance")
        bank = make.org("Indus Bank D", tier="organizational", parent=banking)
        branch = make.org("Indus Branch D", tier="organizational", parent=bank)
        meezan = make.org("Meezan D", tier="organizational", parent=banking)
        telco = make.org("Telecom CERT D", parent=national, sector="telecom")
        jazz = make.org("Jazz D", tier="organizational", parent=telco)
        ministry = make.org("Ministry D", tier="organizational")
        circl = make.org("CIRCL", tier="organizational")
        duty = make.user("duty@nat.example", org=national)
        padmin = make.user("padmin@nat.example", org=national, role="admin")
        outside_admin = make.user("padmin@jazz.example", org=jazz, role="admin")
        bankcert = make.user("lead@bankcert.example", org=banking, org_admin=True)
        bankcert_member = make.user("member@bankcert.example", org=banking)
        banker = make.user("soc@indus.example", org=bank)
        banker2 = make.user("noc@indus.example", org=bank)
        bank_admin = make.user("ciso@indus.example", org=bank, org_admin=True)
        brancher = make.user("it@branch.example", org=branch)
        meezan_user = make.user("soc@meezan.example", org=meezan)
        telco_user = make.user("noc@telco.example", org=telco)
        jazz_user = make.user("soc@jazz.example", org=jazz)
        secretary = make.user("secretary@ministry.example", org=ministry)
        circl_admin = make.user("admin@circl.example", org=circl, org_admin=True)
    with database(app).transaction() as s:
        seat = Seat(org_id=W.ministry.id, office="secretary", label="Ministry", term_start=date.today() - timedelta(30))
        s.add(seat)
        s.flush()
        s.add(SeatRepresentative(seat_id=seat.id, user_id=W.secretary.id, role="primary"))
    return W


def fixture_records():
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def audit_count(app, action):
    with database(app).session(write=False) as s:
        return s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action))


def shift(make, who, org, *, hours_ago=1, hours_ahead=8, actor=None):
    now = utcnow()
    return make.run(roster.add_shift, actor=actor or who, org_id=org.id, user_id=who.id,
                    starts_at=now - timedelta(hours=hours_ago), ends_at=now + timedelta(hours=hours_ahead))


def notes(app, kind=None, **where):
    with database(app).session(write=False) as s:
        stmt = select(Notification)
        if kind:
            stmt = stmt.where(Notification.kind == kind)
        for key, value in where.items():
            stmt = stmt.where(getattr(Notification, key) == value)
        return list(s.scalars(stmt.order_by(Notification.id)))


# --- team records -------------------------------------------------------------------------------

def test_firsts_own_example_record_round_trips_through_import_and_export(app, api, w):
    records = fixture_records()
    imported = api.post(w.padmin, "/directory/import", records)  # FIRST's file as it is: an array
    assert imported.status_code == 200, imported.get_json()
    assert imported.get_json() == {"imported": 1, "teams": [{"org_id": w.circl.id, "short-team-name": "CIRCL",
                                                             "created": True}]}
    exported = api.get(w.banker, f"/directory/{w.circl.id}").get_json()  # every member reads the directory
    original = records[0]
    for key, value in original.items():
        if key in COMPUTED:
            continue
        assert exported[key] == value, key
    assert exported["team-members"][1] == original["team-members"][1]  # is_second_rep, no e-mail, kept as given
    assert "parent-organisation" not in exported  # FIRST leaves empty values out; CIRCL has no parent here
    assert exported["meta"]["schema_version"] == 2 and exported["-council-org-id"] == w.circl.id
    # Our export imports again and changes nothing (a fixed point).
    again = api.post(w.padmin, "/directory/import", {"teams": [exported]})
    assert again.status_code == 200 and again.get_json()["teams"][0]["created"] is False
    assert api.get(w.banker, f"/directory/{w.circl.id}").get_json() == exported
    assert audit_count(app, "directory.import") == 2 and audit_count(app, "directory.record_import") == 1


def test_an_import_is_all_or_nothing_and_names_each_problem_by_its_row(app, api, w):
    good = {"short-team-name": "INDUS-CSIRT", "-council-org-id": w.bank.id, "email": "csirt@indus.example"}
    answer = api.post(w.padmin, "/directory/import", {"teams": [
        good,
        {"short-team-name": "MEEZAN", "email": "not an address", "enckeys": ["0x22BD4CD5"],
         "phone-numbers": ["051 1234"], "-council-org-id": w.meezan.id},
        {"short-team-name": "NOBODY-WE-KNOW"},
        {"short-team-name": "JAZZ", "operating-hours": {"mon_1_open": "25:00"}, "country-code": ["PAK"],
         "website": ["ftp://jazz.example"], "-council-time-zone": "Mars/Olympus"},
    ]})
    assert answer.status_code == 422
    fields = answer.get_json()["fields"]
    assert {"teams.1.email", "teams.1.enckeys", "teams.1.phone-numbers", "teams.3.operating-hours",
            "teams.3.country-code", "teams.3.website", "teams.3.-council-time-zone"} <= set(fields)
    assert "short key id" in fields["teams.1.enckeys"]
    with database(app).session(write=False) as s:
        assert s.scalar(select(func.count()).select_from(TeamRecord)) == 0  # not even the good row
    # Now only the row no organisation matches: still nothing written, the row named.
    answer = api.post(w.padmin, "/directory/import", [good, {"short-team-name": "NOBODY-WE-KNOW"},
                                                      {**good, "short-team-name": "INDUS-2"}])
    assert answer.status_code == 422
    assert set(answer.get_json()["fields"]) == {"teams.1.short-team-name", "teams.2"}
    with database(app).session(write=False) as s:
        assert s.scalar(select(func.count()).select_from(TeamRecord)) == 0
    assert api.post(w.padmin, "/directory/import", [good]).status_code == 200


def test_org_admins_import_their_own_record_only(app, api, w):
    own = {"short-team-name": "INDUS", "-council-org-id": w.bank.id}
    other = {"short-team-name": "MEEZAN", "-council-org-id": w.meezan.id}
    assert api.post(w.banker, "/directory/import", [own]).status_code == 403  # a member, not an org admin
    refused = api.post(w.bank_admin, "/directory/import", [own, other])
    assert refused.status_code == 403 and "Meezan D" in refused.get_json()["error"]
    with database(app).session(write=False) as s:
        assert s.get(TeamRecord, w.bank.id) is None  # all or nothing
    assert api.post(w.bank_admin, "/directory/import", [own]).status_code == 200
    assert api.post(w.outside_admin, "/directory/import", [other]).status_code == 200  # platform admins: any


@pytest.mark.parametrize(("body", "field"), [
    ([{"short-team-name": ""}], "teams.0.short-team-name"),
    ([{"short-team-name": "x" * 101}], "teams.0.short-team-name"),
    ([{"short-team-name": "X", "enckeys": ["XYZ" * 14]}], "teams.0.enckeys"),
    ([{"short-team-name": "X", "enckeys": [FP + "00"]}], "teams.0.enckeys"),
    ([{"short-team-name": "X", "-council-emergency-phone": "+12"}], "teams.0.-council-emergency-phone"),
    ([{"short-team-name": "X", "team-members": [{"name": "A", "email": "a@"}]}], "teams.0.team-members.email"),
    ([{"short-team-name": "X", "team-members": [{"name": "A", "-council-role": "boss"}]}],
     "teams.0.team-members.-council-role"),
    ([{"short-team-name": "X", "unknown-field": 1}], "teams.0.unknown-field"),
    ([{"short-team-name": "X", "establishment": "2008-13-01"}], "teams.0.establishment"),
    ([{"short-team-name": "X", "languages": ["English"]}], "teams.0.languages"),
    ([{"short-team-name": 7}], "teams.0.short-team-name"),
    ({"teams": "CIRCL"}, "teams"),
    ({"records": []}, "records"),
])
def test_bad_records_are_422_with_field_messages(api, w, body, field):
    answer = api.post(w.padmin, "/directory/import", body)
    assert answer.status_code == 422, answer.get_json()
    assert field in answer.get_json()["fields"], answer.get_json()


def test_not_json_is_400_and_an_unknown_organisation_404(api, w):
    token = api.headers(w.padmin)
    assert api.client.post("/api/v1/directory/import", headers=token, data="[",
                           content_type="application/json").status_code == 400
    assert api.get(w.banker, "/directory/999999").status_code == 404
    assert api.get(w.banker, "/directory/9223372036854775807").status_code == 404


def test_the_directory_lists_every_team_searches_and_shows_who_is_on_duty(app, api, make, w):
    api.post(w.padmin, "/directory/import", fixture_records())
    shift(make, w.banker, w.bank, actor=w.bank_admin)
    teams = api.get(w.jazz_user, "/directory").get_json()["teams"]
    assert len(teams) == 9
    indus = next(t for t in teams if t["-council-org-id"] == w.bank.id)
    assert [p["name"] for p in indus["-council-on-duty-now"]] == [w.banker.name]
    assert [t["short-team-name"] for t in api.get(w.jazz_user, "/directory", q="luxembourg").get_json()["teams"]] \
        == ["CIRCL"]
    assert [t["-council-org-id"] for t in api.get(w.jazz_user, "/directory", q=w.banker.name).get_json()["teams"]] \
        == [w.bank.id]
    assert api.get(w.jazz_user, "/directory", nope="1").status_code == 422


# --- rosters ------------------------------------------------------------------------------------

def test_org_admins_and_platform_admins_edit_the_roster_and_on_duty_follows_the_clock(app, api, make, w):
    now = utcnow()
    body = {"user_id": w.banker.id, "starts_at": (now - timedelta(hours=1)).isoformat(),
            "ends_at": (now + timedelta(hours=7)).isoformat(), "note": "Day shift"}
    assert api.post(w.banker, f"/directory/{w.bank.id}/roster", body).status_code == 403
    assert api.post(w.circl_admin, f"/directory/{w.bank.id}/roster", body).status_code == 403  # another org's admin
    added = api.post(w.bank_admin, f"/directory/{w.bank.id}/roster", body)
    assert added.status_code == 201 and added.get_json()["on_duty"] is True
    later = api.post(w.outside_admin, f"/directory/{w.bank.id}/roster", {
        "user_id": w.banker2.id, "starts_at": "2099-01-01T08:00", "ends_at": "2099-01-01T20:00",
        "tz": "Asia/Karachi"})
    assert later.status_code == 201 and later.get_json()["starts_at"].startswith("2099-01-01T03:00")
    wrong = api.post(w.bank_admin, f"/directory/{w.bank.id}/roster", {**body, "user_id": w.meezan_user.id})
    assert wrong.status_code == 422 and "user_id" in wrong.get_json()["fields"]
    backwards = api.post(w.bank_admin, f"/directory/{w.bank.id}/roster", {**body, "ends_at": body["starts_at"]})
    assert backwards.status_code == 422 and "ends_at" in backwards.get_json()["fields"]
    assert api.post(w.bank_admin, f"/directory/{w.bank.id}/roster", {**body, "starts_at": "soon"}).status_code == 422
    with database(app).session(write=False) as s:
        assert [x.user_id for x in roster.on_duty(s, [w.bank.id], now)[w.bank.id]] == [w.banker.id]
        assert roster.on_duty(s, [w.bank.id], now + timedelta(hours=8)) == {}
    assert [x["user_id"] for x in api.get(w.jazz_user, f"/directory/{w.bank.id}/roster").get_json()["shifts"]] \
        == [w.banker.id]  # two weeks ahead: the 2099 shift is not listed
    shift_id = added.get_json()["id"]
    assert api.client.delete(f"/api/v1/directory/{w.meezan.id}/roster/{shift_id}",
                             headers=api.headers(w.padmin)).status_code == 404  # the row touched, not the URL's org
    assert api.client.delete(f"/api/v1/directory/{w.bank.id}/roster/{shift_id}",
                             headers=api.headers(w.banker)).status_code == 403
    gone = api.client.delete(f"/api/v1/directory/{w.bank.id}/roster/{shift_id}", headers=api.headers(w.bank_admin))
    assert gone.status_code == 200 and gone.get_json() == {"removed": shift_id}
    assert audit_count(app, "directory.shift_add") == 2 and audit_count(app, "directory.shift_remove") == 1


def test_an_urgent_notification_also_reaches_the_person_on_duty(app, make, w):
    shift(make, w.banker, w.bank, actor=w.bank_admin)
    room = make.room(w.bank_admin, title="Switch down", tlp="GREEN")
    urgent = Note(kind="advisory_overdue", title="Escalated", url="/", urgent=True, subject=f"room:{room.id}",
                  dedupe_key="t:urgent")
    calm = Note(kind="advisory_overdue", title="Reminder", url="/", subject=f"room:{room.id}", dedupe_key="t:calm")
    personal = Note(kind="ratification_due", title="For you alone", url="/", dedupe_key="t:personal")
    make.run(lambda s: notify(s, urgent, [s.merge(w.bank_admin)]))
    make.run(lambda s: notify(s, calm, [s.merge(w.bank_admin)]))
    make.run(lambda s: notify(s, personal, [s.merge(w.bank_admin)]))
    assert {n.user_id for n in notes(app, dedupe_key="t:urgent")} == {w.bank_admin.id, w.banker.id}
    assert {n.user_id for n in notes(app, dedupe_key="t:calm")} == {w.bank_admin.id}
    # A note about nothing in particular is personal: never routed to the people on duty.
    assert {n.user_id for n in notes(app, dedupe_key="t:personal")} == {w.bank_admin.id}
    # The person on duty is told only what they may see: a subject nobody may see reaches nobody.
    hidden = Note(kind="stage_overdue", title="Hidden", url="/", subject="nothing:1", dedupe_key="t:hidden")
    make.run(lambda s: notify(s, hidden, [s.merge(w.bank_admin)]))
    assert notes(app, dedupe_key="t:hidden") == []


# --- communication checks -----------------------------------------------------------------------

def test_the_secretary_checks_the_whole_council_and_duty_contacts_are_told(app, api, make, w):
    shift(make, w.banker, w.bank, actor=w.bank_admin)  # Indus Bank: the person on duty
    api.post(w.padmin, "/directory/import", [{"short-team-name": "MEEZAN", "-council-org-id": w.meezan.id,
                                              "team-members": [{"name": "SOC", "email": "SOC@meezan.example"},
                                                               {"name": "Not a user", "email": "x@meezan.example"}]}])
    started = api.post(w.secretary, "/comms-checks", {"hours": 24, "message": "Quarterly check"})
    assert started.status_code == 201, started.get_json()
    check_id = started.get_json()["id"]
    assert started.get_json()["orgs"] == 8  # every organisation but the secretary's own
    with database(app).session(write=False) as s:
        rows = {r.org_id: r for r in s.scalars(select(CommsCheckOrg).where(CommsCheckOrg.check_id == check_id))}
    assert rows[w.bank.id].via == "duty" and rows[w.meezan.id].via == "contacts"
    assert rows[w.jazz.id].via == "members" and rows[w.branch.id].via == "members"
    told = notes(app, "comms_check")
    by_org = {}
    for n in told:
        by_org.setdefault(n.dedupe_key, set()).add(n.user_id)
    assert by_org[f"comms_check:{check_id}:org:{w.bank.id}"] == {w.banker.id}  # on duty, not everyone
    assert by_org[f"comms_check:{check_id}:org:{w.meezan.id}"] == {w.meezan_user.id}
    assert by_org[f"comms_check:{check_id}:org:{w.jazz.id}"] == {w.jazz_user.id, w.outside_admin.id}
    link = next(n for n in told if n.user_id == w.banker.id)
    assert link.urgent and link.url == f"/comms-checks/{check_id}/answer?t={rows[w.bank.id].answer_token}"
    assert audit_count(app, "comms_check.start") == 1


def test_one_answer_per_organisation_the_matrix_and_the_summary(app, api, make, w):
    started = api.post(w.padmin, "/comms-checks", {"orgs": [w.bank.id, w.meezan.id, w.telco.id]})
    assert started.status_code == 201, started.get_json()
    check_id = started.get_json()["id"]
    first = api.post(w.banker, f"/comms-checks/{check_id}/answer", {})
    assert first.status_code == 200 and first.get_json()["first"] is True
    assert first.get_json()["user_id"] == w.banker.id
    again = api.post(w.banker2, f"/comms-checks/{check_id}/answer", {})
    assert again.status_code == 200 and again.get_json()["first"] is False
    assert again.get_json()["user_id"] == w.banker.id and again.get_json()["answered_at"] == first.get_json()[
        "answered_at"]
    assert api.post(w.telco_user, f"/comms-checks/{check_id}/answer", {}).status_code == 200
    seen = api.get(w.duty, f"/comms-checks/{check_id}").get_json()  # the starter's organisation
    assert {o["org_id"]: o["user_id"] for o in seen["orgs"]} == {w.bank.id: w.banker.id, w.meezan.id: None,
                                                                 w.telco.id: w.telco_user.id}
    assert all(set(o) >= {"org_id", "sent_at", "answered_at", "user_id"} for o in seen["orgs"])
    summary = seen["summary"]
    assert summary["answered"] == 2 and summary["unanswered"] == 1 and summary["unanswered_orgs"] == ["Meezan D"]
    tiers = {t["tier"]: t for t in summary["tiers"]}
    assert tiers["Organisational CERT"]["answered"] == 1 and tiers["Organisational CERT"]["unanswered"] == 1
    assert tiers["Sectoral CERT"]["median_seconds"] is not None and summary["worst_seconds"] >= 0
    assert "2 of 3 organisations answered" in summary["lines"][0]
    mine = api.get(w.meezan_user, f"/comms-checks/{check_id}").get_json()  # a checked org: its own row only
    assert [o["org_id"] for o in mine["orgs"]] == [w.meezan.id] and mine["summary"] is None
    closed = api.post(w.padmin, f"/comms-checks/{check_id}/close", {})
    assert closed.status_code == 200 and closed.get_json()["status"] == "closed"
    late = api.post(w.meezan_user, f"/comms-checks/{check_id}/answer", {})
    assert late.status_code == 409
    assert api.post(w.banker2, f"/comms-checks/{check_id}/answer", {}).status_code == 200  # the answer stands
    assert [c["id"] for c in api.get(w.meezan_user, "/comms-checks").get_json()["checks"]] == [check_id]
    assert audit_count(app, "comms_check.answer") == 2 and audit_count(app, "comms_check.close") == 1
    with database(app).session(write=False) as s:
        assert verify(s).ok


def test_the_clock_closes_a_check_once(app, api, w):
    check_id = api.post(w.padmin, "/comms-checks", {"orgs": [w.bank.id], "hours": 1}).get_json()["id"]
    later = utcnow() + timedelta(hours=2)
    with database(app).transaction() as s:
        assert checks.sweep(s, now=utcnow()) == []
        assert checks.sweep(s, now=later) == [check_id]
        assert checks.sweep(s, now=later) == []
    with database(app).session(write=False) as s:
        check = s.get(CommsCheck, check_id)
        assert check.status == "closed" and check.closed_by_id is None
    assert audit_count(app, "comms_check.close") == 1


def test_who_may_start_a_check_and_over_which_organisations(app, api, w):
    assert api.post(w.duty, "/comms-checks", {}).status_code == 403  # national CERT, not an admin: no whole council
    assert api.post(w.banker, "/comms-checks", {}).status_code == 403  # an organisational CERT
    assert api.post(w.outside_admin, "/comms-checks", {}).status_code == 403  # a platform admin, not national
    # A sectoral CERT's ordinary member does not send urgent mail to the whole tree; its org admins do.
    assert api.post(w.bankcert_member, "/comms-checks", {}).status_code == 403
    outside = api.post(w.bankcert, "/comms-checks", {"orgs": [w.bank.id, w.jazz.id]})
    assert outside.status_code == 403 and "Jazz D" in outside.get_json()["error"]
    tree = api.post(w.bankcert, "/comms-checks", {})  # a sectoral CERT: its whole tree, not the council
    assert tree.status_code == 201
    with database(app).session(write=False) as s:
        check = s.get(CommsCheck, tree.get_json()["id"])
        assert check.org_ids == {w.bank.id, w.branch.id, w.meezan.id}
    again = api.post(w.bankcert, "/comms-checks", {})  # one check at a time per organisation
    assert again.status_code == 409 and "already has a check running" in again.get_json()["error"]
    assert api.post(w.secretary, "/comms-checks", {"orgs": [999999]}).status_code == 422
    assert api.post(w.secretary, "/comms-checks", {"hours": 0}).status_code == 422
    assert api.post(w.secretary, "/comms-checks", {"orgs": [w.jazz.id], "hours": 2}).status_code == 201
    with database(app).session(write=False) as s:
        assert s.scalar(select(func.count()).select_from(CommsCheck)) == 2  # nothing of the refused ones


def test_outsiders_cannot_see_or_answer_another_organisations_check(app, api, w):
    check_id = api.post(w.bankcert, "/comms-checks", {"orgs": [w.bank.id]}).get_json()["id"]
    for outsider in (w.jazz_user, w.meezan_user, w.telco_user):
        assert api.get(outsider, f"/comms-checks/{check_id}").status_code == 404
        assert api.post(outsider, f"/comms-checks/{check_id}/answer", {}).status_code == 404
        assert check_id not in [c["id"] for c in api.get(outsider, "/comms-checks").get_json()["checks"]]
    # The starter's organisation sees it but does not answer it; a checked organisation cannot close it.
    assert api.post(w.bankcert, f"/comms-checks/{check_id}/answer", {}).status_code == 403
    assert api.post(w.banker, f"/comms-checks/{check_id}/close", {}).status_code == 403
    assert api.get(w.banker, "/comms-checks/999999").status_code == 404
    with database(app).session(write=False) as s:
        assert s.scalar(select(CommsCheckOrg.answered_at).where(CommsCheckOrg.check_id == check_id)) is None


# --- pages --------------------------------------------------------------------------------------

def test_pages_show_the_directory_and_edit_the_record(app, client, make, w):
    shift(make, w.banker, w.bank, actor=w.bank_admin)
    login(client, w.bank_admin.email)
    page = client.get("/directory/").get_data(as_text=True)
    assert "Indus Bank D" in page and w.banker.name in page
    assert w.banker.name in client.get("/directory/?q=indus").get_data(as_text=True)
    assert client.get(f"/directory/{w.meezan.id}/edit").status_code == 403  # not their organisation
    token = csrf(client, f"/directory/{w.bank.id}/edit")
    form = {"csrf_token": token, "short": "INDUS-CSIRT", "official": "Indus Bank CSIRT", "email": "csirt@indus.example",
            "emergency_phone": "+92 21 111 222 333", "time_zone": "Asia/Karachi", "country_codes": "pk",
            "hours": "mon 09:00-13:00 14:00-17:00\nfri 09:00-12:00", "enckeys": f"0x{FP[:20]} {FP[20:]}",
            "c0_name": "Fatima", "c0_email": w.banker.email, "c0_role": "primary", "c0_phone": "+92 300 1234567"}
    saved = client.post(f"/directory/{w.bank.id}/edit", data=form)
    assert saved.status_code == 302
    shown = client.get(f"/directory/{w.bank.id}").get_data(as_text=True)
    assert "CA57 2205 C002 4E06 BA70&nbsp; BE89 EAAD CFFC 22BD 4CD5" in shown and "council user" in shown
    assert "mon 09:00-13:00 14:00-17:00" in shown
    with database(app).session(write=False) as s:
        record = s.get(TeamRecord, w.bank.id)
        assert json.loads(record.hours)["mon_2_close"] == "17:00" and json.loads(record.country_codes) == ["PK"]
    bad = client.post(f"/directory/{w.bank.id}/edit", data={**form, "email": "nope", "emergency_phone": "12"})
    assert bad.status_code == 422 and "e-mail address" in bad.get_data(as_text=True)
    assert client.post(f"/directory/{w.bank.id}/edit", data={**form, "hours": "someday"}).status_code == 422
    assert audit_count(app, "directory.record_edit") == 1
    start = (utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    end = (utcnow() + timedelta(days=1, hours=8)).strftime("%Y-%m-%dT%H:%M")
    added = client.post(f"/directory/{w.bank.id}/roster", data={"csrf_token": token, "user_id": str(w.banker2.id),
                                                                 "starts_at": start, "ends_at": end})
    assert added.status_code == 302
    with database(app).session(write=False) as s:
        assert s.scalar(select(func.count()).select_from(DutyShift).where(DutyShift.user_id == w.banker2.id)) == 1
    assert client.post(f"/directory/{w.bank.id}/roster", data={"user_id": "1"}).status_code == 400  # no CSRF


def test_check_pages_start_answer_by_one_click_link_and_show_the_matrix(app, client, make, w):
    login(client, w.padmin.email)
    token = csrf(client, "/comms-checks/")
    started = client.post("/comms-checks/", data={"csrf_token": token, "orgs": [str(w.bank.id), str(w.jazz.id)],
                                                  "hours": "4"})
    assert started.status_code == 302
    with database(app).session(write=False) as s:
        check = s.scalars(select(CommsCheck)).one()
        tokens = {r.org_id: r.answer_token for r in check.orgs}
    client.post("/logout", data={"csrf_token": token})
    login(client, w.banker.email)
    assert "Communication checks awaiting" in client.get("/").get_data(as_text=True)  # the dashboard card
    answer_token = csrf(client, f"/comms-checks/{check.id}")
    wrong = client.post(f"/comms-checks/{check.id}/answer", data={"csrf_token": answer_token,
                                                                 "t": tokens[w.jazz.id]})  # another organisation's
    assert wrong.status_code == 302
    odd = client.post(f"/comms-checks/{check.id}/answer", data={"csrf_token": answer_token, "t": "é"})
    assert odd.status_code == 302  # refused with a reason, never a 500
    # The link opens a page that asks; only its button (a POST) answers: previews and prefetches do not.
    link = client.get(f"/comms-checks/{check.id}/answer?t={tokens[w.bank.id]}")
    assert link.status_code == 200 and "We hear you" in link.get_data(as_text=True)
    assert link.headers["Cache-Control"] == "no-store"
    with database(app).session(write=False) as s:
        assert s.scalar(select(CommsCheckOrg.answered_at).where(CommsCheckOrg.org_id == w.bank.id)) is None
    one_click = client.post(f"/comms-checks/{check.id}/answer", data={"csrf_token": answer_token,
                                                                     "t": tokens[w.bank.id]})
    assert one_click.status_code == 302 and one_click.headers["Location"].endswith(f"/comms-checks/{check.id}")
    page = client.get(f"/comms-checks/{check.id}").get_data(as_text=True)
    assert "answered" in page and "We hear you" not in page and "Who answered" not in page
    client.post("/logout", data={"csrf_token": csrf(client)})
    login(client, w.padmin.email)
    matrix = client.get(f"/comms-checks/{check.id}").get_data(as_text=True)
    assert "Who answered" in matrix and "1 of 2 organisations answered" in matrix and 'http-equiv="refresh"' in matrix
    assert client.get("/comms-checks/").status_code == 200
    closed = client.post(f"/comms-checks/{check.id}/close", data={"csrf_token": csrf(client, "/comms-checks/")})
    assert closed.status_code == 302
    assert "(by the clock)" not in client.get(f"/comms-checks/{check.id}").get_data(as_text=True)


def test_the_demo_seed_gives_every_cert_a_record_a_roster_and_a_past_check(app, make):
    from council.demo import seed as demo_seed
    from council.directory import demo
    from council.orgs.models import Organization

    with database(app).transaction() as s:
        demo_seed(s)
    with database(app).transaction() as s:
        orgs = {o.name: o for o in s.scalars(select(Organization))}
        users = {u.email: u for u in s.scalars(select(User))}
        demo.seed(s, orgs, users, utcnow())
        demo.seed(s, orgs, users, utcnow())  # idempotent
    with database(app).session(write=False) as s:
        certs = [o for o in s.scalars(select(Organization)) if o.is_cert]
        assert all(s.get(TeamRecord, o.id) is not None for o in certs)
        on_duty = roster.on_duty(s, [o.id for o in certs])
        assert set(on_duty) == {o.id for o in certs if any(u.org_id == o.id for u in users.values())}
        check = s.scalars(select(CommsCheck)).one()
        assert check.status == "closed" and 0 < sum(1 for r in check.orgs if r.answered_at) < len(check.orgs)
        assert verify(s).ok


def test_a_record_cannot_take_another_organisations_name_nor_an_e_mail_carrying_headers(api, w):
    squat = api.post(w.padmin, "/directory/import", [{"short-team-name": "Telecom CERT D",
                                                      "-council-org-id": w.jazz.id}])
    assert squat.status_code == 422 and "answers to this name" in str(squat.get_json())
    headers = api.post(w.padmin, "/directory/import", [{"short-team-name": "JAZZ", "-council-org-id": w.jazz.id,
                                                        "email": "soc@cert.pk?bcc=spy%40evil.example"}])
    assert headers.status_code == 422


def test_only_the_starter_or_its_admins_close_a_check_and_late_answers_are_refused(app, api, make, w):
    check_id = api.post(w.bankcert, "/comms-checks", {"orgs": [w.bank.id], "hours": 1}).get_json()["id"]
    member = api.post(w.bankcert_member, f"/comms-checks/{check_id}/close", {})
    assert member.status_code == 403  # sees the check, does not end the measurement
    assert api.post(w.outside_admin, f"/comms-checks/{check_id}/close", {}).status_code == 404
    later = utcnow() + timedelta(hours=2)

    def late(s):
        return checks.answer(s, actor=s.merge(w.banker), check_id=check_id, now=later)

    with pytest.raises(Conflict):
        make.run(late)
    with database(app).session(write=False) as s:
        assert s.scalar(select(CommsCheckOrg.answered_at).where(CommsCheckOrg.check_id == check_id)) is None
    assert api.post(w.bankcert, f"/comms-checks/{check_id}/close", {}).status_code == 200


def test_the_roster_shows_only_people_who_can_still_be_reached(app, api, make, w):
    from council.auth.services import set_active

    shift(make, w.banker2, w.bank, actor=w.bank_admin)
    before = api.get(w.banker, f"/directory/{w.bank.id}/roster").get_json()
    assert [s["user_id"] for s in before["shifts"]] == [w.banker2.id]
    make.run(set_active, actor=SYSTEM, user_id=w.banker2.id, active=False)
    assert api.get(w.banker, f"/directory/{w.bank.id}/roster").get_json()["shifts"] == []
