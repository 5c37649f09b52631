"""Advisories: who publishes to whom, who reads them under each marking, one
answer per organisation and round, versions and re-acknowledgement, help
requests, the matrix and its CSV, reminders then escalation, notifications,
bad input and the page forms."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from council.advisories import deadlines, services
from council.advisories.models import Advisory, AdvisoryDelivery
from council.audit.models import AuditEntry
from council.auth.models import User
from council.db import utcnow
from council.errors import Forbidden
from council.extensions import database
from council.notifications.models import Notification
from tests.conftest import csrf, login
from tests.council.test_rooms_api import Api
from tests.factories import PASSWORD

BODY = "Patch the **VPN gateway** now. <script>alert(1)</script>"


@pytest.fixture
def api(client, make):
    return Api(client, make)


@pytest.fixture
def w(app, make):
    """National CERT > Banking CERT > Indus Bank > Indus Branch, Meezan; Telecom CERT > Jazz; Outside."""
    class W:
        national = make.org("National CERT A", tier="national")
        banking = make.org("Banking CERT A", parent=national, sector="banking-finance")
        bank = make.org("Indus Bank A", tier="organizational", parent=banking, sector="banking-finance")
        branch = make.org("Indus Branch A", tier="organizational", parent=bank, sector="banking-finance")
        meezan = make.org("Meezan A", tier="organizational", parent=banking, sector="banking-finance")
        telco = make.org("Telecom CERT A", parent=national, sector="telecom")
        jazz = make.org("Jazz A", tier="organizational", parent=telco, sector="telecom")
        outside = make.org("=Outside A", tier="organizational", sector="energy")
        duty = make.user("duty@a.example", org=national)
        bankcert = make.user("lead@bank-cert.example", org=banking)
        banker = make.user("csirt@indus.example", org=bank)
        banker2 = make.user("soc@indus.example", org=bank)
        bank_admin = make.user("ciso@indus.example", org=bank)
        brancher = make.user("it@branch.example", org=branch)
        meezan_user = make.user("soc@meezan.example", org=meezan)
        banking_admin = make.user("head@bank-cert.example", org=banking)
        telco_user = make.user("noc@telco.example", org=telco)
        jazz_user = make.user("soc@jazz.example", org=jazz)
        stranger = make.user("who@outside.example", org=outside)
        platform_admin = make.user("padmin@outside.example", org=outside, role="admin")
    with database(app).transaction() as s:
        for person in (W.bank_admin, W.banking_admin):
            s.get(User, person.id).org_admin = True
    return W


def publish(make, who, *, tlp="AMBER", severity="high", audience=None, ack_hours=72, now=None, **extra):
    return make.run(services.publish, actor=who, title=extra.pop("title", "VPN gateway RCE"), tlp=tlp,
                    severity=severity, body=extra.pop("body", BODY), audience=audience or {"all": True},
                    ack_hours=ack_hours, cves=extra.pop("cves", ["CVE-2026-12345"]),
                    products=extra.pop("products", ["Acme VPN 9"]), now=now, **extra)


def notes(app, advisory_id, kind=None):
    with database(app).session(write=False) as s:
        stmt = select(Notification).where(Notification.subject == f"advisory:{advisory_id}")
        if kind:
            stmt = stmt.where(Notification.kind == kind)
        return list(s.scalars(stmt.order_by(Notification.id)))


def deliveries(app, advisory_id):
    with database(app).session(write=False) as s:
        return list(s.scalars(select(AdvisoryDelivery).where(AdvisoryDelivery.advisory_id == advisory_id)
                              .order_by(AdvisoryDelivery.round, AdvisoryDelivery.org_id)))


def test_the_national_cert_publishes_to_all_delivers_and_notifies_every_member(app, api, w):
    answer = api.post(w.duty, "/advisories", {
        "title": "VPN gateway RCE", "tlp": "GREEN", "severity": "critical", "body": BODY, "ack_hours": 24,
        "audience": {"all": True}, "cves": ["cve-2026-12345"], "products": ["Acme VPN 9"],
        "recommended_actions": "1. Patch\n2. Rotate keys"})
    assert answer.status_code == 201, answer.get_json()
    out = answer.get_json()
    assert out["ref"] == f"ADV-{utcnow().year}-0001" and out["version"] == 1 and out["ack_due_at"]
    rows = deliveries(app, out["id"])
    assert {r.org_id for r in rows} == {w.banking.id, w.bank.id, w.branch.id, w.meezan.id, w.telco.id, w.jazz.id,
                                        w.outside.id}  # every organisation but the publisher's own
    told = notes(app, out["id"], "advisory")
    assert len(told) == 11 and w.duty.id not in {n.user_id for n in told}
    assert {n.dedupe_key for n in told} == {f"advisory:{out['id']}:round:1"}
    shown = api.get(w.banker, f"/advisories/{out['id']}").get_json()
    assert shown["cves"] == ["CVE-2026-12345"] and "<script>" not in shown["body_html"]
    assert "<strong>VPN gateway</strong>" in shown["body_html"] and "<ol>" in shown["recommended_actions_html"]
    assert shown["may_answer"] is True and shown["mine"]["acked_at"] is None
    with database(app).session(write=False) as s:
        published = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "advisory.publish")
        assert s.scalar(published) == 1


@pytest.mark.parametrize(("tlp", "sees"), [
    ("GREEN", {"duty", "bankcert", "banker", "brancher", "meezan_user", "telco_user", "stranger", "platform_admin"}),
    ("AMBER", {"duty", "bankcert", "banker", "brancher"}),  # the audience org and the ones below it
    ("AMBER+STRICT", {"duty", "bankcert", "banker"}),  # the audience org only
])
def test_reach_follows_the_marking(api, make, w, tlp, sees):
    advisory = publish(make, w.bankcert, tlp=tlp, audience={"orgs": [w.bank.id]})
    everyone = ("duty", "bankcert", "banker", "brancher", "meezan_user", "telco_user", "stranger", "platform_admin")
    for name in everyone:
        status = api.get(getattr(w, name), f"/advisories/{advisory.id}").status_code
        assert status == (200 if name in sees else 404), (name, status)
        listed = {a["id"] for a in api.get(getattr(w, name), "/advisories").get_json()["advisories"]}
        assert (advisory.id in listed) is (name in sees), name


def test_red_reaches_the_named_people_only(app, api, make, w):
    advisory = publish(make, w.duty, tlp="RED", audience={"people": [w.banker.id]})
    assert {n.user_id for n in notes(app, advisory.id)} == {w.banker.id}
    for who, status in ((w.banker, 200), (w.banker2, 404), (w.bankcert, 404), (w.duty, 200), (w.stranger, 404)):
        assert api.get(who, f"/advisories/{advisory.id}").status_code == status
    assert api.post(w.banker, f"/advisories/{advisory.id}/ack", {}).status_code == 200
    refused = api.post(w.duty, "/advisories", {"title": "x", "tlp": "RED", "severity": "low", "body": "b",
                                               "ack_hours": 4, "audience": {"all": True}})
    assert refused.status_code == 422 and {"audience", "audience.people"} <= set(refused.get_json()["fields"])


def test_a_sectoral_cert_publishes_only_within_its_tree(app, api, make, w):
    outside = api.post(w.bankcert, "/advisories", {"title": "x", "tlp": "AMBER", "severity": "low", "body": "b",
                                                   "ack_hours": 4, "audience": {"orgs": [w.bank.id, w.jazz.id]}})
    assert outside.status_code == 422
    assert "Jazz A" in outside.get_json()["fields"]["audience.orgs"]
    everyone = publish(make, w.bankcert, audience={"all": True})  # "all" within its tree
    assert {r.org_id for r in deliveries(app, everyone.id)} == {w.bank.id, w.branch.id, w.meezan.id}
    telecom = api.post(w.bankcert, "/advisories", {"title": "x", "tlp": "AMBER", "severity": "low", "body": "b",
                                                   "ack_hours": 4, "audience": {"sectors": ["telecom"]}})
    assert telecom.status_code == 422 and "audience" in telecom.get_json()["fields"]


def test_an_organisational_cert_cannot_publish(api, make, w):
    body = {"title": "x", "tlp": "GREEN", "severity": "low", "body": "b", "ack_hours": 4, "audience": {"all": True}}
    assert api.post(w.banker, "/advisories", body).status_code == 403
    assert api.post(w.platform_admin, "/advisories", body).status_code == 403
    with pytest.raises(Forbidden):
        publish(make, w.stranger)


def test_only_audience_organisations_acknowledge(api, make, w):
    green = publish(make, w.bankcert, tlp="GREEN", audience={"orgs": [w.bank.id]})
    strict = publish(make, w.bankcert, tlp="AMBER+STRICT", audience={"orgs": [w.bank.id]})
    assert api.post(w.stranger, f"/advisories/{green.id}/ack", {}).status_code == 403  # sees it, not addressed
    assert api.post(w.brancher, f"/advisories/{green.id}/ack", {}).status_code == 403
    assert api.post(w.duty, f"/advisories/{green.id}/ack", {}).status_code == 403  # sees all, answers none
    assert api.post(w.stranger, f"/advisories/{strict.id}/ack", {}).status_code == 404
    assert api.post(w.banker, f"/advisories/{strict.id}/ack", {}).status_code == 200


def test_an_organisation_acknowledges_once_per_version_then_updates_its_status(app, api, make, w):
    advisory = publish(make, w.bankcert, audience={"orgs": [w.bank.id, w.meezan.id]})
    first = api.post(w.banker, f"/advisories/{advisory.id}/ack", {"applicable": "yes", "status": "mitigating"})
    assert first.status_code == 200 and first.get_json()["acked_at"] and first.get_json()["version"] == 1
    again = api.post(w.banker2, f"/advisories/{advisory.id}/ack", {})
    assert again.status_code == 409 and "Already acknowledged" in again.get_json()["error"]
    later = api.post(w.banker2, f"/advisories/{advisory.id}/ack", {"status": "mitigated", "comment": "Patched."})
    assert later.status_code == 200 and later.get_json()["status"] == "mitigated"
    assert later.get_json()["acked_by"] == w.banker.name  # the acknowledgement stays the first one's
    with database(app).session(write=False) as s:
        actions = list(s.scalars(select(AuditEntry.action).where(AuditEntry.target_type == "advisory")
                                 .order_by(AuditEntry.id)))
    assert actions == ["advisory.publish", "advisory.ack", "advisory.status", "advisory.status"]


def test_raising_the_severity_asks_everyone_to_acknowledge_again(app, api, make, w):
    advisory = publish(make, w.bankcert, severity="high", audience={"orgs": [w.bank.id, w.meezan.id]})
    api.post(w.banker, f"/advisories/{advisory.id}/ack", {"applicable": "no", "status": "not_affected"})
    title = api.post(w.bankcert, f"/advisories/{advisory.id}/versions", {"title": "VPN RCE (exploited)",
                                                                          "severity": "medium"})
    assert title.status_code == 201 and title.get_json()["reack"] is False and title.get_json()["version"] == 2
    matrix = {r["org_id"]: r for r in api.get(w.bankcert, f"/advisories/{advisory.id}/matrix").get_json()["orgs"]}
    assert matrix[w.bank.id]["acked_at"] and matrix[w.bank.id]["status"] == "not_affected"  # kept
    raised = api.post(w.bankcert, f"/advisories/{advisory.id}/versions", {"severity": "critical",
                                                                           "note": "Exploited in the wild"})
    assert raised.status_code == 201 and raised.get_json()["reack"] is True and raised.get_json()["version"] == 3
    matrix = api.get(w.bankcert, f"/advisories/{advisory.id}/matrix").get_json()
    assert matrix["round"] == 3 and all(r["acked_at"] is None for r in matrix["orgs"])
    history = [(r.round, r.org_id, r.status) for r in deliveries(app, advisory.id)]
    assert (1, w.bank.id, "not_affected") in history  # the earlier answer stays
    round3 = [n for n in notes(app, advisory.id, "advisory") if n.dedupe_key.endswith(":round:3")]
    assert {n.user_id for n in round3} == {w.banker.id, w.banker2.id, w.bank_admin.id, w.meezan_user.id}
    shown = api.get(w.banker, f"/advisories/{advisory.id}").get_json()
    assert [v["version"] for v in shown["versions"]] == [3, 2, 1] and shown["mine"]["acked_at"] is None
    assert api.post(w.banker, f"/advisories/{advisory.id}/ack", {}).status_code == 200
    assert api.post(w.duty, f"/advisories/{advisory.id}/versions", {"title": "x"}).status_code == 403
    assert api.post(w.stranger, f"/advisories/{advisory.id}/versions", {"title": "x"}).status_code == 404
    assert api.post(w.bankcert, f"/advisories/{advisory.id}/versions", {"title": "VPN RCE (exploited)"}
                    ).status_code == 422  # nothing changed


def test_need_help_notifies_the_publisher_who_resolves_it(app, api, make, w):
    advisory = publish(make, w.bankcert, audience={"orgs": [w.bank.id]})
    other = publish(make, w.bankcert, audience={"orgs": [w.meezan.id]})
    assert api.post(w.banker, f"/advisories/{advisory.id}/ack", {"status": "need_help"}).status_code == 422
    asked = api.post(w.banker, f"/advisories/{advisory.id}/ack", {"status": "need_help",
                                                                  "comment": "We cannot patch before Friday."})
    assert asked.status_code == 200
    told = notes(app, advisory.id, "action_assigned")
    assert {n.user_id for n in told} == {w.bankcert.id, w.banking_admin.id}
    help_rows = api.get(w.bankcert, f"/advisories/{advisory.id}/matrix").get_json()["help"]
    assert len(help_rows) == 1 and help_rows[0]["comment"] == "We cannot patch before Friday."
    help_id = help_rows[0]["id"]
    assert api.post(w.banker, f"/advisories/{advisory.id}/help/{help_id}", {"resolved": True}).status_code == 403
    assert api.post(w.bankcert, f"/advisories/{other.id}/help/{help_id}", {"resolved": True}).status_code == 404
    done = api.post(w.bankcert, f"/advisories/{advisory.id}/help/{help_id}", {"resolved": True})
    assert done.status_code == 200 and done.get_json()["resolved_at"]


def test_the_matrix_shows_delivery_read_ack_and_overdue_and_exports_csv(app, api, make, w):
    advisory = publish(make, w.bankcert, ack_hours=2, audience={"orgs": [w.bank.id, w.meezan.id, w.branch.id]},
                       now=utcnow() - timedelta(hours=3))
    api.get(w.banker, f"/advisories/{advisory.id}")  # first read of Indus Bank
    api.get(w.banker2, f"/advisories/{advisory.id}")
    api.post(w.meezan_user, f"/advisories/{advisory.id}/ack", {"applicable": "unknown"})
    rows = {r["org_id"]: r for r in api.get(w.duty, f"/advisories/{advisory.id}/matrix").get_json()["orgs"]}
    bank, meezan, branch = rows[w.bank.id], rows[w.meezan.id], rows[w.branch.id]
    assert bank["delivered_at"] and bank["read_at"] and not bank["acked_at"] and bank["overdue"] is True
    assert meezan["acked_at"] and meezan["read_at"] and meezan["applicable"] == "unknown" and not meezan["overdue"]
    assert branch["read_at"] is None and branch["overdue"] is True
    with database(app).session(write=False) as s:
        assert s.get(AdvisoryDelivery, s.scalars(select(AdvisoryDelivery.id).where(
            AdvisoryDelivery.org_id == w.bank.id)).one()).read_by_id == w.banker.id  # the first reader
    exported = api.get(w.bankcert, f"/advisories/{advisory.id}/matrix", format="csv")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    table = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert {r["org"] for r in table} == {"Indus Bank A", "Meezan A", "Indus Branch A"}
    assert {r["overdue"] for r in table if r["org"] != "Meezan A"} == {"yes"}
    for who, status in ((w.banker, 403), (w.telco_user, 404), (w.stranger, 404)):
        assert api.get(who, f"/advisories/{advisory.id}/matrix").status_code == status
    green = publish(make, w.bankcert, tlp="GREEN", audience={"orgs": [w.bank.id]})
    assert api.get(w.stranger, f"/advisories/{green.id}/matrix").status_code == 403


def test_the_csv_is_formula_safe(api, make, w):
    advisory = publish(make, w.duty, tlp="GREEN", audience={"orgs": [w.outside.id]})
    text = api.get(w.duty, f"/advisories/{advisory.id}/matrix", format="csv").get_data(as_text=True)
    assert "'=Outside A" in text


def test_overdue_organisations_are_reminded_then_escalated_to_their_admins(app, make, w):
    start = utcnow()
    advisory = publish(make, w.bankcert, ack_hours=4, audience={"orgs": [w.bank.id, w.meezan.id, w.branch.id]},
                       now=start)
    make.run(services.acknowledge, actor=w.meezan_user, advisory_id=advisory.id, now=start + timedelta(hours=1))
    assert make.run(deadlines.sweep, now=start + timedelta(hours=3)) == {"reminded": [], "escalated": []}
    due = start + timedelta(hours=4, minutes=1)
    first = make.run(deadlines.sweep, now=due)
    assert len(first["reminded"]) == 2 and first["escalated"] == []
    assert make.run(deadlines.sweep, now=due) == {"reminded": [], "escalated": []}  # once
    reminders = notes(app, advisory.id, "advisory_overdue")
    assert {n.user_id for n in reminders} == {w.banker.id, w.banker2.id, w.bank_admin.id, w.brancher.id}
    assert make.run(deadlines.sweep, now=due + timedelta(hours=1)) == {"reminded": [], "escalated": []}
    later = make.run(deadlines.sweep, now=start + timedelta(hours=6, minutes=1))  # deadline + ack_hours/2
    assert len(later["escalated"]) == 2
    escalated = [n for n in notes(app, advisory.id, "advisory_overdue") if n.dedupe_key.endswith(":escalation")]
    # Indus Bank's own admin; Indus Branch has none, so its parent's (Indus Bank's) admin.
    assert sorted(n.user_id for n in escalated) == [w.bank_admin.id, w.bank_admin.id]
    assert len({n.dedupe_key for n in escalated}) == 2
    assert make.run(deadlines.sweep, now=start + timedelta(hours=9)) == {"reminded": [], "escalated": []}
    with database(app).session(write=False) as s:
        actions = list(s.scalars(select(AuditEntry.action).where(AuditEntry.action.like("advisory.%"))))
    assert actions.count("advisory.reminder") == 2 and actions.count("advisory.escalation") == 2


def test_notifications_are_withheld_from_who_may_no_longer_see(app, make, w):
    from council.notifications.subjects import may_see

    advisory = publish(make, w.bankcert, tlp="AMBER+STRICT", audience={"orgs": [w.bank.id]})
    with database(app).session(write=False) as s:
        assert may_see(s, s.get(User, w.banker.id), f"advisory:{advisory.id}")
        assert not may_see(s, s.get(User, w.brancher.id), f"advisory:{advisory.id}")
        assert not may_see(s, s.get(User, w.platform_admin.id), f"advisory:{advisory.id}")


@pytest.mark.parametrize(("change", "field"), [
    ({"tlp": "PURPLE"}, "tlp"), ({"severity": "urgent"}, "severity"), ({"ack_hours": 0}, "ack_hours"),
    ({"ack_hours": 721}, "ack_hours"), ({"ack_hours": "24"}, "ack_hours"), ({"cves": ["CVE-12"]}, "cves"),
    ({"title": ""}, "title"), ({"body": ""}, "body"), ({"audience": {"colour": "red"}}, "audience.colour"),
    ({"audience": {"orgs": [0]}}, "audience.orgs"), ({"audience": {"tiers": ["galactic"]}}, "audience.tiers"),
    ({"owner_id": 1}, "owner_id"), ({"audience": {}}, "audience"), ({"audience": {"orgs": [999999]}}, "audience.orgs"),
])
def test_bad_input_is_422_with_field_messages(api, w, change, field):
    body = {"title": "VPN", "tlp": "AMBER", "severity": "high", "body": "b", "ack_hours": 24,
            "audience": {"all": True}, "cves": ["CVE-2026-1234"], **change}
    answer = api.post(w.duty, "/advisories", body)
    assert answer.status_code == 422, answer.get_json()
    assert field in answer.get_json()["fields"], answer.get_json()


def test_bad_ack_and_queries_are_refused_not_500(api, make, w):
    advisory = publish(make, w.bankcert, audience={"orgs": [w.bank.id]})
    assert api.post(w.banker, f"/advisories/{advisory.id}/ack", {"status": "done"}).status_code == 422
    assert api.post(w.banker, f"/advisories/{advisory.id}/ack", {"applicable": True}).status_code == 422
    assert api.get(w.banker, "/advisories", status="sleeping").status_code == 422
    assert api.get(w.banker, "/advisories/99999999").status_code == 404
    assert api.get(w.banker, f"/advisories/{advisory.id}/matrix", format="xls").status_code == 422


def test_the_library_filters_and_puts_my_open_ones_first(api, make, w):
    old = publish(make, w.duty, tlp="GREEN", title="Old printer bug", cves=["CVE-2025-0001"],
                  products=["Laser 5"], severity="low", audience={"orgs": [w.bank.id]})
    newer = publish(make, w.duty, tlp="GREEN", title="Mail server RCE", cves=["CVE-2026-7777"],
                    products=["MailCo Exchange"], audience={"orgs": [w.meezan.id]})
    ids = [a["id"] for a in api.get(w.banker, "/advisories").get_json()["advisories"]]
    assert ids.index(old.id) < ids.index(newer.id)  # my organisation's open one first, though older
    search = lambda **q: [a["id"] for a in api.get(w.banker, "/advisories", **q).get_json()["advisories"]]  # noqa: E731
    assert search(q="printer") == [old.id] and search(q="cve-2026-7777") == [newer.id]
    assert search(cve="CVE-2025-0001") == [old.id] and search(product="mailco") == [newer.id]
    assert search(severity="low") == [old.id] and search(status="open") == [old.id]
    api.post(w.banker, f"/advisories/{old.id}/ack", {"status": "mitigated"})
    assert search(status="open") == [] and search(status="mitigated") == [old.id]


def test_pages_render_and_their_forms_need_csrf(app, client, make, w):
    advisory = publish(make, w.bankcert, audience={"orgs": [w.bank.id]}, ack_hours=1,
                       now=utcnow() - timedelta(hours=2))
    login(client, w.bankcert.email, PASSWORD)
    assert client.get("/advisories/new").status_code == 200
    missing = client.post("/advisories/new", data={"title": "x"})
    assert missing.status_code == 400
    token = csrf(client, "/advisories/new")
    form = {"csrf_token": token, "title": "Router firmware", "tlp": "AMBER", "severity": "medium", "ack_hours": "48",
            "cves": "CVE-2026-2222, CVE-2026-3333", "products": "RouterOS 7\nRouterOS 6", "body": "Update it.",
            "aud_orgs": [str(w.bank.id), str(w.meezan.id)]}
    made = client.post("/advisories/new", data=form)
    assert made.status_code == 302, made.get_data(as_text=True)
    bad = client.post("/advisories/new", data={**form, "ack_hours": "9999"})
    assert bad.status_code == 422 and "1 to 720" in bad.get_data(as_text=True)
    matrix = client.get(f"/advisories/{advisory.id}/matrix").get_data(as_text=True)
    assert "overdue-row" in matrix and "Indus Bank A" in matrix
    assert client.get(f"/advisories/{advisory.id}/matrix.csv").mimetype == "text/csv"
    assert client.get(f"/advisories/{advisory.id}/edit").status_code == 200
    client = app.test_client()
    login(client, w.banker.email, PASSWORD)
    assert client.get("/advisories/new").status_code == 403
    assert client.get(f"/advisories/{advisory.id}/matrix").status_code == 403
    page = client.get(f"/advisories/{advisory.id}").get_data(as_text=True)
    assert "TLP:AMBER" in page and "Acknowledge" in page
    assert client.post(f"/advisories/{advisory.id}/ack", data={"applicable": "yes"}).status_code == 400
    token = csrf(client, f"/advisories/{advisory.id}")
    done = client.post(f"/advisories/{advisory.id}/ack", data={"csrf_token": token, "applicable": "yes",
                                                               "status": "mitigating", "comment": ""})
    assert done.status_code == 302
    with database(app).session(write=False) as s:
        row = s.scalars(select(AdvisoryDelivery).where(AdvisoryDelivery.advisory_id == advisory.id)).one()
        assert row.acked_by_id == w.banker.id and row.status == "mitigating"
    assert "Router firmware" in client.get("/").get_data(as_text=True)  # the card and "My work"
    listing = client.get("/advisories/?q=router&severity=&status=").get_data(as_text=True)
    assert "Router firmware" in listing and "VPN gateway RCE" not in listing
    client = app.test_client()
    login(client, w.stranger.email, PASSWORD)
    assert client.get(f"/advisories/{advisory.id}").status_code == 404
    with database(app).session(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Advisory)) == 2


def test_hostile_form_numbers_are_refused_not_500(app, client, make, w):
    login(client, w.bankcert.email, PASSWORD)
    token = csrf(client, "/advisories/new")
    form = {"csrf_token": token, "title": "Router firmware", "tlp": "AMBER", "severity": "medium", "body": "x"}
    for extra in ({"ack_hours": "²"}, {"ack_hours": "9" * 5000}, {"ack_hours": "24", "aud_orgs": "9" * 30}):
        answer = client.post("/advisories/new", data={**form, **extra})
        assert answer.status_code == 422, (extra, answer.status_code)


def test_a_stricter_earlier_version_shows_only_its_number_and_marking(api, make, w):
    advisory = publish(make, w.duty, tlp="RED", title="Indus Bank core breached by APT-X",
                       audience={"people": [w.banker.id]})
    make.run(services.new_version, actor=w.duty, advisory_id=advisory.id,
             changes={"tlp": "CLEAR", "title": "Core banking flaw: patch"}, audience={"orgs": [w.bank.id]},
             note="Widened to the bank")
    seen = api.get(w.stranger, f"/advisories/{advisory.id}").get_json()
    v1 = next(v for v in seen["versions"] if v["version"] == 1)
    assert v1["withheld"] and v1["title"] == "" and v1["tlp"] == "RED"
    assert "APT-X" not in str(seen["versions"])
    oversees = api.get(w.duty, f"/advisories/{advisory.id}").get_json()
    assert "APT-X" in str(oversees["versions"])


def test_a_red_escalation_nobody_may_see_goes_to_the_publisher(app, make, w):
    advisory = publish(make, w.duty, tlp="RED", audience={"people": [w.banker.id]}, ack_hours=1,
                       now=utcnow() - timedelta(hours=6))
    make.run(deadlines.sweep)
    make.run(deadlines.sweep, now=utcnow() + timedelta(hours=2))
    escalations = [n for n in notes(app, advisory.id, "advisory_overdue") if n.title.startswith("Escalated")]
    assert escalations and {n.user_id for n in escalations} == {w.duty.id}
