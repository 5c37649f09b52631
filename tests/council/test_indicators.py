"""Indicators in rooms: normalisation per type, extraction from an advisory, the TLP
matrix, sightings per organisation, "also in" hints that never count invisible rooms,
search, live events that carry the indicator's marking, and bad input."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from council.audit.models import AuditEntry
from council.extensions import database
from council.indicators.extract import extract
from council.indicators.models import Indicator
from council.indicators.values import BadValue, defang, normalise
from council.rooms.models import Room, RoomEvent

ADVISORY = """PKCERT-2026-041 — Ransomware affiliate targeting telecom billing systems (TLP:AMBER)

Summary: Since 24 November the affiliate has used phishing from billing@paypa1-secure.com to
deliver a loader. The loader beacons to hxxps://update-check[.]com/gate.php and to
198.51.100[.]7 over 443; later stages come from cdn-sync[.]net (203.0.113.0/24, AS64500).

Observed on hosts:
  C:\\Users\\Public\\invoice_2611.exe  sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
  md5 44d88612fea8a8f36de82e1278abb02f
  Persistence: HKEY_LOCAL_MACHINE\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\updater
Exploited for initial access: CVE-2024-3400. Contact: pkcert@example.org
"""


@pytest.fixture
def api(app, make):
    tokens: dict[int, str] = {}

    class Caller:
        def __init__(self, user):
            if user.id not in tokens:
                tokens[user.id] = make.api_token(user, "tests")[1]
            self.headers = {"Authorization": f"Bearer {tokens[user.id]}"}
            self.client = app.test_client()

        def get(self, path, **kw):
            return self.client.get("/api/v1" + path, headers=self.headers, **kw)

        def post(self, path, payload=None, **kw):
            return self.client.post("/api/v1" + path, headers=self.headers, json=payload or {}, **kw)

        def patch(self, path, payload=None):
            return self.client.patch("/api/v1" + path, headers=self.headers, json=payload or {})

    return Caller


@pytest.fixture
def w(make):
    """A telecom incident room (AMBER) of the national CERT and Telecom CERT; the ISP below
    Telecom CERT sees AMBER; the water CERT sees only CLEAR/GREEN; a RED room elsewhere."""

    class W:
        national = make.org("National CERT", tier="national")
        telecom = make.org("Telecom Sector CERT", parent=national)
        isp = make.org("Indus ISP CSIRT", tier="organizational", parent=telecom)
        water = make.org("Water Sector CERT")
        lead = make.user("lead@national.example", org=national, name="Lena Lead")
        tel = make.user("tariq@telecom.example", org=telecom, name="Tariq")
        isp_user = make.user("ida@isp.example", org=isp, name="Ida")
        wat = make.user("wahid@water.example", org=water, name="Wahid")
        named = make.user("nora@water.example", org=water, name="Nora Named")

    W.room = make.room(W.lead, title="Telecom ransomware", tlp="AMBER", orgs=(W.national, W.telecom))
    W.green = make.room(W.tel, title="Phishing wave", tlp="GREEN", orgs=(W.telecom,))
    W.red = make.room(W.wat, title="Water plant intrusion", tlp="RED", orgs=(W.water,), members=(W.named,))
    return W


def add(api, user, room, **body):
    body.setdefault("type", "ipv4")
    body.setdefault("value", "198.51.100.7")
    return api(user).post(f"/rooms/{room.id}/indicators", body)


def events(app, room_id):
    with database(app).session(write=False) as s:
        rows = s.scalars(select(RoomEvent).where(RoomEvent.room_id == room_id, RoomEvent.kind == "indicator")
                         .order_by(RoomEvent.seq))
        return [json.loads(e.data) | {"seq": e.seq} for e in rows]


# --- values -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("type_", "raw", "canonical"), [
    ("ipv4", "198.51.100[.]7", "198.51.100.7"),
    ("ipv4", " 198.51.100.7 ", "198.51.100.7"),
    ("ipv6", "2001:DB8:0:0::1", "2001:db8::1"),
    ("cidr", "203.0.113.77/24", "203.0.113.0/24"),
    ("cidr", "2001:db8::1/32", "2001:db8::/32"),
    ("domain", "Update-Check[.]COM.", "update-check.com"),
    ("domain", "bücher.example", "xn--bcher-kva.example"),
    ("url", "hxxps://Update-Check[.]com:443/Gate.php?id=1", "https://update-check.com/Gate.php?id=1"),
    ("url", "HTTP://198.51.100[.]7:8080", "http://198.51.100.7:8080/"),
    ("email", "Billing[@]Paypa1-Secure[.]com", "billing@paypa1-secure.com"),
    ("md5", "44D88612FEA8A8F36DE82E1278ABB02F", "44d88612fea8a8f36de82e1278abb02f"),
    ("sha1", "3395856CE81F2B7382DEE72602F798B642F14140", "3395856ce81f2b7382dee72602f798b642f14140"),
    ("sha256", "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    ("file_name", " invoice_2611.exe ", "invoice_2611.exe"),
    ("cve", "cve-2024-3400", "CVE-2024-3400"),
    ("asn", "asn 64500", "AS64500"),
    ("asn", "13335", "AS13335"),
    ("registry_key", "hklm\\Software\\Run\\", "HKEY_LOCAL_MACHINE\\Software\\Run"),
    ("user_agent", "Mozilla/5.0  (X11)\n", "Mozilla/5.0 (X11)"),
    ("other", "  mutex Global\\x1  ", "mutex Global\\x1"),
])
def test_values_are_refanged_and_normalised_per_type(type_, raw, canonical):
    assert normalise(type_, raw) == canonical


@pytest.mark.parametrize(("type_", "raw"), [
    ("ipv4", "198.51.100.256"), ("ipv4", "010.1.1.1"), ("ipv6", "2001:db8::g"), ("cidr", "203.0.113.0"),
    ("domain", "-bad.example"), ("domain", "localhost"), ("domain", "a..b"), ("url", "javascript:alert(1)"),
    ("url", "https:///nohost"), ("email", "no-at.example"), ("md5", "abc"), ("sha256", "z" * 64),
    ("file_name", "C:\\Users\\x.exe"), ("cve", "CVE-24-1"), ("asn", "AS99999999999"),
    ("registry_key", "Software\\Run"), ("ipv4", ""), ("ipv4", "1.2.3.4\x00"),
])
def test_values_that_are_not_of_their_type_are_refused(type_, raw):
    with pytest.raises(BadValue):
        normalise(type_, raw)


def test_text_shows_values_defanged_never_as_links():
    assert defang("ipv4", "198.51.100.7") == "198.51.100[.]7"
    assert defang("domain", "update-check.com") == "update-check[.]com"
    assert defang("url", "https://update-check.com/gate.php").startswith("hXXps://update-check[.]com")
    assert defang("sha256", "e3" * 32) == "e3" * 32


def test_an_advisory_text_yields_its_indicators_normalised_and_once():
    found = extract(ADVISORY + "\nAgain: 198.51.100.7 and UPDATE-CHECK[.]COM")
    assert ("url", "https://update-check.com/gate.php") in found
    for pair in [("ipv4", "198.51.100.7"), ("domain", "cdn-sync.net"), ("cidr", "203.0.113.0/24"),
                 ("asn", "AS64500"), ("email", "billing@paypa1-secure.com"),
                 ("md5", "44d88612fea8a8f36de82e1278abb02f"),
                 ("sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
                 ("cve", "CVE-2024-3400"), ("file_name", "invoice_2611.exe"),
                 ("registry_key", "HKEY_LOCAL_MACHINE\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\updater")]:
        assert pair in found, pair
    assert len(found) == len(set(found))
    assert found.count(("ipv4", "198.51.100.7")) == 1


# --- adding, the contract, the record ---------------------------------------------------------

def test_a_member_adds_an_indicator_which_is_normalised_and_a_room_event(api, w, app):
    r = add(api, w.tel, w.room, type="domain", value="Update-Check[.]COM", confidence=80, tags=["C2", "c2", "loader"],
            description="Beacon **every** 60 s", first_seen="2026-11-24T08:00:00Z")
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert {k: body[k] for k in ("type", "value")} == {"type": "domain", "value": "update-check.com"}
    assert body["id"] > 0 and body["seq"] > 0
    assert body["defanged"] == "update-check[.]com" and body["tlp"] == "AMBER"
    assert body["tags"] == ["c2", "loader"] and "<strong>every</strong>" in body["description_html"]
    assert body["source_org"]["name"] == "Telecom Sector CERT"
    (ev,) = events(app, w.room.id)
    assert ev["op"] == "added" and ev["tlp"] == "AMBER" and ev["indicator_ids"] == [body["id"]]
    assert ev["seq"] == body["seq"]
    # The same value written another way is the same indicator: refused as a duplicate.
    again = add(api, w.lead, w.room, type="domain", value="update-check.com.")
    assert again.status_code == 409
    with database(app).session(write=False) as s:
        audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "room.event.indicator")).one()
        assert "update-check" not in audit.details


def test_bad_input_is_a_422_naming_the_field_and_nothing_is_written(api, w, app):
    cases = [({"type": "ipv4", "value": "999.1.1.1"}, "value"), ({"type": "hash", "value": "x"}, "type"),
             ({"type": "ipv4", "value": "1.2.3.4", "tlp": "GREEN"}, "tlp"),
             ({"type": "ipv4", "value": "1.2.3.4", "confidence": 101}, "confidence"),
             ({"type": "ipv4", "value": "1.2.3.4", "first_seen": "2026-11-02T00:00:00Z",
               "last_seen": "2026-11-01T00:00:00Z"}, "last_seen"),
             ({"type": "ipv4", "value": "1.2.3.4", "owner": 1}, "owner"),
             ({"type": "ipv4", "value": "1.2.3.4", "tags": ["x" * 65]}, "tags")]
    for body, field in cases:
        r = api(w.tel).post(f"/rooms/{w.room.id}/indicators", body)
        assert r.status_code == 422, (body, r.get_json())
        assert field in r.get_json()["fields"], (body, r.get_json())
    assert events(app, w.room.id) == []


def test_observers_and_outsiders_cannot_add_and_invisible_rooms_are_404(api, w):
    assert add(api, w.isp_user, w.room).status_code == 403  # sees AMBER from below: an observer
    assert add(api, w.wat, w.room).status_code == 404
    assert api(w.wat).get(f"/rooms/{w.room.id}/indicators").status_code == 404
    assert api(w.lead).get(f"/rooms/{w.red.id}/indicators").status_code == 404


def test_paste_to_extract_marks_what_the_room_already_holds_and_adds_the_rest_in_one_go(api, w, app):
    add(api, w.tel, w.room)
    r = api(w.tel).post(f"/rooms/{w.room.id}/indicators/extract", {"text": ADVISORY})
    assert r.status_code == 200
    found = {(f["type"], f["value"]): f for f in r.get_json()["found"]}
    assert found[("ipv4", "198.51.100.7")]["known"] is True
    assert found[("domain", "cdn-sync.net")]["known"] is False
    assert events(app, w.room.id)[-1]["op"] == "added"  # extraction writes nothing
    picked = [{"type": t, "value": v} for (t, v) in found]
    r = api(w.tel).post(f"/rooms/{w.room.id}/indicators/bulk", {"indicators": picked, "tlp": "AMBER+STRICT"})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["skipped"] == 1 and len(r.get_json()["added"]) == len(picked) - 1
    last = events(app, w.room.id)[-1]
    assert last["op"] == "added" and last["tlp"] == "AMBER+STRICT" and len(last["indicator_ids"]) == len(picked) - 1
    # One bad item refuses the whole batch.
    r = api(w.tel).post(f"/rooms/{w.room.id}/indicators/bulk", {"indicators": [
        {"type": "ipv4", "value": "192.0.2.1"}, {"type": "md5", "value": "nothex"}]})
    assert r.status_code == 422 and "indicators" in next(iter(r.get_json()["fields"]))
    with database(app).session(write=False) as s:
        assert s.scalar(select(Indicator).where(Indicator.value == "192.0.2.1")) is None


# --- the TLP matrix ---------------------------------------------------------------------------

def test_an_indicator_stricter_than_its_room_is_seen_only_by_those_it_allows(api, w, app, make):
    open_one = add(api, w.tel, w.room, value="192.0.2.10").get_json()
    strict = add(api, w.tel, w.room, value="192.0.2.11", tlp="AMBER+STRICT").get_json()
    red = add(api, w.lead, w.room, value="192.0.2.12", tlp="RED").get_json()
    seen = {u: {i["id"] for i in api(u).get(f"/rooms/{w.room.id}/indicators").get_json()["indicators"]}
            for u in (w.lead, w.tel, w.isp_user)}
    assert seen[w.lead] == {open_one["id"], strict["id"], red["id"]}  # named lead: RED too
    assert seen[w.tel] == {open_one["id"], strict["id"]}
    assert seen[w.isp_user] == {open_one["id"]}  # AMBER from below, not AMBER+STRICT
    for user, ind in [(w.isp_user, strict), (w.tel, red), (w.wat, open_one)]:
        assert api(user).get(f"/indicators/{ind['id']}").status_code == 404
        assert api(user).post(f"/indicators/{ind['id']}/sightings", {}).status_code == 404
    # The events carry the marking: the room's channel gets a stub for the stricter ones.
    from council.rooms.audience import deliveries
    from council.rooms.stream import serialize

    with database(app).session(write=False) as s:
        rows = list(s.scalars(select(RoomEvent).where(RoomEvent.room_id == w.room.id,
                                                      RoomEvent.kind == "indicator").order_by(RoomEvent.seq)))
        room = rows[0].room if hasattr(rows[0], "room") else None
        from council.rooms.models import Room

        room = s.get(Room, w.room.id)
        plain = dict(deliveries(serialize(rows[1], room)))
    assert plain[f"room:{w.room.id}"]["kind"] == "restricted"
    assert "192.0.2.11" not in json.dumps(plain[f"room:{w.room.id}"])
    assert "192.0.2.11" in json.dumps(plain[f"room:{w.room.id}:tlp:AMBER+STRICT"])


def test_the_room_stream_shows_stricter_indicator_events_as_stubs_to_those_not_cleared(api, w):
    add(api, w.tel, w.room, value="192.0.2.11", tlp="AMBER+STRICT")
    isp_view = api(w.isp_user).get(f"/rooms/{w.room.id}/events").get_json()["events"]
    kinds = [e["kind"] for e in isp_view]
    assert "restricted" in kinds and "192.0.2.11" not in json.dumps(isp_view)
    tel_view = api(w.tel).get(f"/rooms/{w.room.id}/events").get_json()["events"]
    assert any(e["kind"] == "indicator" for e in tel_view)


# --- sightings and "also in" -----------------------------------------------------------------

def test_sightings_are_per_organisation_and_any_organisation_that_sees_it_may_report(api, w, app):
    ind = add(api, w.lead, w.room).get_json()
    r = api(w.tel).post(f"/indicators/{ind['id']}/sightings", {"count": 3, "where": "billing VLAN",
                                                               "seen_at": "2026-11-30T10:00:00Z"})
    assert r.status_code == 201, r.get_json()
    api(w.tel).post(f"/indicators/{ind['id']}/sightings", {})
    # An observer organisation (below Telecom CERT) reports its own sighting too.
    assert api(w.isp_user).post(f"/indicators/{ind['id']}/sightings", {"note": "on our edge"}).status_code == 201
    seen = api(w.lead).get(f"/indicators/{ind['id']}").get_json()["sightings"]
    by_org = {o["org"]: o for o in seen["by_org"]}
    assert seen["total"] == 5 and seen["orgs"] == 2
    assert by_org["Telecom Sector CERT"]["count"] == 4 and by_org["Telecom Sector CERT"]["reports"] == 2
    assert by_org["Telecom Sector CERT"]["where"] == ["billing VLAN"]
    assert by_org["Indus ISP CSIRT"]["count"] == 1
    assert [e["op"] for e in events(app, w.room.id)] == ["added", "sighted", "sighted", "sighted"]
    for bad in ({"count": 0}, {"seen_at": "2999-01-01T00:00:00Z"}, {"seen_at": "yesterday"}):
        assert api(w.tel).post(f"/indicators/{ind['id']}/sightings", bad).status_code == 422


def test_also_in_counts_only_other_rooms_the_caller_may_see(api, w, make):
    value = "198.51.100.7"
    add(api, w.lead, w.room, value=value)
    add(api, w.tel, w.green, value=value)
    add(api, w.wat, w.red, value=value)  # a RED room the telecom people are not in
    strict_room = make.room(w.tel, title="Telecom internal", tlp="AMBER+STRICT", orgs=(w.telecom,))
    add(api, w.tel, strict_room, value=value)
    by_user = {}
    for user in (w.lead, w.tel, w.isp_user):
        (mine,) = [i for i in api(user).get(f"/rooms/{w.room.id}/indicators").get_json()["indicators"]]
        by_user[user] = {r["room"] for r in mine["also_in"]}
    assert by_user[w.tel] == {w.green.id, strict_room.id}
    assert by_user[w.lead] == {w.green.id}  # not in the AMBER+STRICT room's organisations
    assert by_user[w.isp_user] == {w.green.id}
    assert all(w.red.id not in rooms for rooms in by_user.values())
    # Extraction's hint uses the same filter.
    found = api(w.isp_user).post(f"/rooms/{w.room.id}/indicators/extract", {"text": "seen 198.51.100[.]7"})
    assert found.status_code == 200 and found.get_json()["found"][0]["also_in"] == 1


# --- search ----------------------------------------------------------------------------------

def test_search_matches_the_refanged_value_exactly_or_by_prefix_across_visible_rooms(api, w):
    add(api, w.lead, w.room, type="domain", value="update-check.com")
    add(api, w.tel, w.green, type="url", value="https://update-check.com/gate.php")
    add(api, w.wat, w.red, type="domain", value="update-check.com")
    add(api, w.tel, w.room, type="domain", value="update-check.com.evil.example", tlp="AMBER+STRICT")

    def found(user, q, **extra):
        r = api(user).get("/indicators/search", query_string={"q": q, **extra})
        assert r.status_code == 200, r.get_json()
        return {(i["room"], i["value"]) for i in r.get_json()["indicators"]}

    # A domain finds itself, longer names beginning with it, and URLs on it.
    assert found(w.tel, "UPDATE-CHECK[.]COM") == {(w.room.id, "update-check.com"),
                                                  (w.room.id, "update-check.com.evil.example"),
                                                  (w.green.id, "https://update-check.com/gate.php")}
    assert found(w.isp_user, "update-check[.]com") == {(w.room.id, "update-check.com"),
                                                       (w.green.id, "https://update-check.com/gate.php")}
    assert found(w.tel, "hxxps://update-check[.]com/") == {(w.green.id, "https://update-check.com/gate.php")}
    assert found(w.wat, "update-check.com") == {(w.red.id, "update-check.com"),
                                                (w.green.id, "https://update-check.com/gate.php")}
    assert found(w.named, "update") == {(w.red.id, "update-check.com")}  # a prefix of the value only
    assert found(w.lead, "https://update", type="url") == {(w.green.id, "https://update-check.com/gate.php")}
    assert found(w.lead, "update-check.com", type="url") == {(w.green.id, "https://update-check.com/gate.php")}
    assert api(w.tel).get("/indicators/search").status_code == 422


def test_the_search_page_and_the_room_panel_show_values_defanged(app, client, w, api):
    from tests.conftest import login

    add(api, w.tel, w.room, type="url", value="https://update-check.com/gate.php")
    login(client, w.tel.email)
    page = client.get("/indicators?q=update-check.com").get_data(as_text=True)
    assert "hXXps://update-check[.]com/gate[.]php" in page
    assert 'href="https://update-check' not in page
    room_page = client.get(f"/rooms/{w.room.id}").get_data(as_text=True)
    assert "data-indicators" in room_page and "js/indicators.js" in room_page


# --- change and retire -----------------------------------------------------------------------

def test_the_adding_organisation_or_the_lead_changes_and_retires(api, w, app):
    ind = add(api, w.tel, w.room).get_json()
    assert api(w.isp_user).post(f"/indicators/{ind['id']}/retire").status_code == 403
    r = api(w.tel).patch(f"/indicators/{ind['id']}", {"confidence": 90, "tlp": "AMBER+STRICT"})
    assert r.status_code == 200 and r.get_json()["confidence"] == 90
    assert api(w.tel).patch(f"/indicators/{ind['id']}", {"tlp": "GREEN"}).status_code == 422
    assert api(w.isp_user).get(f"/indicators/{ind['id']}").status_code == 404  # now stricter than AMBER
    r = api(w.lead).post(f"/indicators/{ind['id']}/retire")
    assert r.status_code == 200 and r.get_json()["status"] == "retired"
    assert api(w.lead).post(f"/indicators/{ind['id']}/retire").status_code == 409
    assert [(e["op"], e["tlp"]) for e in events(app, w.room.id)] == [
        ("added", "AMBER"), ("changed", "AMBER+STRICT"), ("retired", "AMBER+STRICT")]


def test_indicator_events_cannot_be_posted_as_room_events(make, w):
    from council.errors import Forbidden

    with pytest.raises(Forbidden):
        make.event(w.tel, w.room, kind="indicator", op="added")


def test_a_closed_room_takes_no_new_indicators_but_sightings_still(api, w, make):
    ind = add(api, w.tel, w.room).get_json()
    make.event(w.lead, w.room, kind="status", status="closed")
    assert add(api, w.tel, w.room, value="192.0.2.99").status_code == 409
    assert api(w.tel).post(f"/indicators/{ind['id']}/sightings", {}).status_code == 201



def test_raising_a_rooms_marking_raises_its_indicators_with_it(api, w, make):
    ind = add(api, w.tel, w.green, value="192.0.2.50").get_json()
    assert ind["tlp"] == "GREEN"
    assert api(w.wat).get("/indicators/search", query_string={"q": "192.0.2.50"}).get_json()["indicators"]
    make.event(w.tel, w.green, kind="status", tlp="AMBER+STRICT")
    assert api(w.wat).get("/indicators/search", query_string={"q": "192.0.2.50"}).get_json()["indicators"] == []
    assert api(w.wat).get(f"/indicators/{ind['id']}").status_code == 404
    assert api(w.tel).get(f"/indicators/{ind['id']}").get_json()["tlp"] == "AMBER+STRICT"


def test_the_demo_gives_the_ransomware_room_and_the_banks_report_their_indicators(app):
    from council.auth.services import find_user
    from council.indicators import queries, services

    result = app.test_cli_runner().invoke(args=["council", "seed-demo"])
    assert result.exit_code == 0, result.output
    with database(app).session(write=False) as s:
        room = s.scalar(select(Room).where(Room.title == "Ransomware on a payment switch operator"))
        _room, seen = queries.list_for_room(s, actor=find_user(s, "duty@ncert.example"), room_id=room.id)
        orgs = {o["org"] for i in seen for o in services.sightings_json(i)["by_org"]}
        assert len(seen) == 7 and orgs == {"Indus Bank CSIRT", "National CERT"}
        assert {i.tlp for i in seen} == {"AMBER", "AMBER+STRICT"}
        # Indus Bank's own report holds what its responders found, one value also in the room.
        bank = find_user(s, "csirt@indusbank.example")
        reported = [i for i, _r in queries.search(s, actor=bank, q="198.51.100.23", type_="ipv4") if i.incident_id]
        assert len(reported) == 1 and reported[0].incident.reporter_org_id == bank.org_id
        assert queries.also_in(s, bank, reported)[reported[0].id][0]["room"] == room.id
        outsider = find_user(s, "noc@crescent.example")  # not in the report's chain
        assert [i for i, _r in queries.search(s, actor=outsider, q="198.51.100.23") if i.incident_id] == []
    again = app.test_cli_runner().invoke(args=["council", "seed-demo"])
    assert again.exit_code == 0
    with database(app).session(write=False) as s:  # seeding again adds nothing
        assert s.scalar(select(func.count(Indicator.id)).where(Indicator.room_id.is_not(None))) == 7
        assert s.scalar(select(func.count(Indicator.id)).where(Indicator.incident_id.is_not(None))) == 3


# --- what a review found ------------------------------------------------------------------------

def test_extraction_confirms_only_what_the_caller_may_see_and_writers_never_write_what_they_cannot(api, w, make):
    assert add(api, w.tel, w.room, value="192.0.2.11", tlp="AMBER+STRICT").status_code == 201
    found = api(w.isp_user).post(f"/rooms/{w.room.id}/indicators/extract", {"text": "seen 192.0.2.11"})
    assert found.get_json()["found"][0]["known"] is False  # it exists, marked beyond the ISP: not confirmed
    mine = api(w.tel).post(f"/rooms/{w.room.id}/indicators/extract", {"text": "seen 192.0.2.11"})
    assert mine.get_json()["found"][0]["known"] is True
    red = add(api, w.tel, w.room, value="192.0.2.12", tlp="RED")  # not a named member: would not see it
    assert red.status_code == 422 and "would not see" in red.get_json()["fields"]["tlp"]
    ok = add(api, w.tel, w.room, value="192.0.2.13").get_json()
    kept = api(w.tel).patch(f"/indicators/{ok['id']}", {"tlp": None, "confidence": 40})
    assert kept.status_code == 200 and kept.get_json()["tlp"] == "AMBER"
    make.event(w.lead, w.room, kind="status", status="closed")
    assert api(w.tel).post(f"/indicators/{ok['id']}/retire").status_code == 409


def test_values_are_bounded_in_bytes_and_digits_are_ascii(api, w):
    wide = add(api, w.tel, w.room, type="other", value="\u4e2d" * 700)  # 2,100 bytes of UTF-8
    assert wide.status_code == 422 and "bytes" in wide.get_json()["fields"]["value"]
    with pytest.raises(BadValue):
        normalise("cve", "CVE-\u0662\u0660\u0662\u0664-3400")


def test_imports_refuse_unknown_or_lone_string_markings_and_hostile_misp(api, w):
    from council.indicators.exchange.markings import EXERCISE_ID

    def stix(marks):
        return {"type": "bundle", "id": "bundle--6e0b9c43-4bd0-4a47-a46d-3b9c4a7e3c11", "objects": [{
            "type": "indicator", "spec_version": "2.1", "id": "indicator--0f5e6a1a-2d63-4f0f-9a77-7c1f1d2c7b11",
            "created": "2026-11-30T10:00:00.000Z", "modified": "2026-11-30T10:00:00.000Z",
            "pattern": "[ipv4-addr:value = '203.0.113.9']", "pattern_type": "stix", "valid_from":
            "2026-11-30T10:00:00Z", "object_marking_refs": marks}]}
    lone = api(w.tel).post(f"/rooms/{w.room.id}/import", stix(EXERCISE_ID))
    assert lone.status_code == 422 and "EXERCISE" in lone.get_json()["objects"][0]["message"]
    unknown = api(w.tel).post(f"/rooms/{w.room.id}/import",
                              stix(["marking-definition--11111111-2222-4333-8444-555555555555"]))
    assert unknown.status_code == 422 and "does not know" in unknown.get_json()["objects"][0]["message"]
    assert api(w.tel).post(f"/rooms/{w.room.id}/import", {"type": "bundle", "id": "bundle--x",
                                                          "objects": 5}).status_code == 422
    base = {"Event": {"info": "x", "Attribute": [{"type": "ip-dst", "value": "203.0.113.10"}]}}
    nameless = {"Event": {**base["Event"], "Tag": [{"colour": "#fff"}]}}
    assert api(w.tel).post(f"/rooms/{w.room.id}/import", nameless).status_code == 422
    drill = {"Event": {**base["Event"], "Tag": [{"name": "exercise:cyber-europe=\"2024\""}]}}
    refused = api(w.tel).post(f"/rooms/{w.room.id}/import", drill)
    assert refused.status_code == 422 and "exercise" in refused.get_json()["objects"][0]["message"]
    many = {"Event": {**base["Event"], "Tag": [{"name": f"t{n}"} for n in range(60)]}}
    assert api(w.tel).post(f"/rooms/{w.room.id}/import", many).status_code == 422
    shouted = {"Event": {"info": "x", "Attribute": [{"type": "ip-dst", "value": "203.0.113.11",
                                                     "Tag": [{"name": "TLP:AMBER+STRICT"}]}]}}
    assert api(w.tel).post(f"/rooms/{w.room.id}/import", shouted).status_code == 201
    listed = {i["value"]: i["tlp"] for i in api(w.tel).get(f"/rooms/{w.room.id}/indicators").get_json()["indicators"]}
    assert listed["203.0.113.11"] == "AMBER+STRICT"
