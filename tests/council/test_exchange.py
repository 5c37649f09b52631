"""Exchange: STIX 2.1 bundles that stix2-validator passes and stix2 reads back, MISP
event JSON that pymisp loads back, CSV neutralised for spreadsheets, imports that are
all or nothing with errors per object and markings carried, and exercise data that
never leaves as real."""

from __future__ import annotations

import csv
import io
import json

import pytest
import stix2
from pymisp import MISPEvent
from sqlalchemy import select
from stix2validator import ValidationOptions, validate_instance

from council.audit.models import AuditEntry
from council.extensions import database
from council.indicators.exchange.markings import EXERCISE_ID, TLP_IDS
from council.indicators.models import Indicator
from council.rooms.models import Room

OASIS_TLP = {  # as published by OASIS (cti-stix-common-objects, tlp-2.0)
    "TLP:CLEAR": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "TLP:GREEN": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "TLP:AMBER": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "TLP:AMBER+STRICT": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "TLP:RED": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
STRICT = ValidationOptions(version="2.1", strict=False)


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

    return Caller


@pytest.fixture
def w(make, api):
    class W:
        national = make.org("National CERT", tier="national")
        telecom = make.org("Telecom Sector CERT", parent=national)
        isp = make.org("Indus ISP CSIRT", tier="organizational", parent=telecom)
        lead = make.user("lead@national.example", org=national, name="Lena Lead")
        tel = make.user("tariq@telecom.example", org=telecom, name="Tariq")
        isp_user = make.user("ida@isp.example", org=isp, name="Ida")

    W.room = make.room(W.lead, title="Telecom ransomware", tlp="AMBER", orgs=(W.national, W.telecom))
    values = [("ipv4", "198.51.100.7"), ("ipv6", "2001:db8::7"), ("cidr", "203.0.113.0/24"),
              ("domain", "update-check.com"), ("url", "https://update-check.com/gate.php?id='1'"),
              ("email", "billing@paypa1-secure.com"), ("md5", "44d88612fea8a8f36de82e1278abb02f"),
              ("sha1", "3395856ce81f2b7382dee72602f798b642f14140"),
              ("sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
              ("file_name", "invoice_2611.exe"), ("cve", "CVE-2024-3400"), ("asn", "AS64500"),
              ("registry_key", "HKEY_LOCAL_MACHINE\\Software\\Run\\updater"),
              ("user_agent", "Mozilla/5.0 (Windows NT 10.0) Loader/1.0"), ("other", "mutex Global\\qwe123")]
    W.ids = {}
    for type_, value in values:
        r = api(W.tel).post(f"/rooms/{W.room.id}/indicators", {
            "type": type_, "value": value, "confidence": 70, "tags": ["ransomware"],
            "description": "=HYPERLINK(\"http://x\")" if type_ == "domain" else "Seen in the loader",
            "first_seen": "2026-11-24T08:00:00Z", "last_seen": "2026-11-30T08:00:00Z"})
        assert r.status_code == 201, r.get_json()
        W.ids[type_] = r.get_json()["id"]
    W.strict_id = api(W.tel).post(f"/rooms/{W.room.id}/indicators", {
        "type": "ipv4", "value": "192.0.2.66", "tlp": "AMBER+STRICT"}).get_json()["id"]
    api(W.tel).post(f"/indicators/{W.ids['ipv4']}/sightings", {"count": 4, "where": "billing VLAN"})
    api(W.lead).post(f"/indicators/{W.ids['ipv4']}/sightings", {"note": "national sensor"})
    api(W.lead).post(f"/indicators/{W.ids['domain']}/sightings", {})
    return W


def stix_of(api, user, room_id, **query):
    r = api(user).get(f"/rooms/{room_id}/export.stix.json", query_string=query)
    assert r.status_code == 200, r.get_json()
    return json.loads(r.get_data(as_text=True))


def test_the_stix_bundle_passes_the_validator_and_reads_back(api, w):
    bundle = stix_of(api, w.tel, w.room.id)
    result = validate_instance(bundle, STRICT)
    assert result.is_valid, [str(e) for o in result.object_results for e in o.errors]
    parsed = stix2.parse(bundle, allow_custom=True)
    by_type: dict[str, list] = {}
    for obj in parsed.objects:
        by_type.setdefault(obj.type, []).append(obj)
    # The OASIS TLP 2.0 definitions, verbatim ids; organisations as identities.
    assert {m.name: m.id for m in by_type["marking-definition"]} == {
        k: v for k, v in OASIS_TLP.items() if k in ("TLP:AMBER", "TLP:AMBER+STRICT")}
    assert TLP_IDS["AMBER"] == OASIS_TLP["TLP:AMBER"]
    assert {i.name for i in by_type["identity"]} == {"Telecom Sector CERT", "National CERT"}
    patterns = {i.pattern for i in by_type["indicator"]}
    assert "[ipv4-addr:value = '198.51.100.7']" in patterns
    assert "[ipv4-addr:value = '203.0.113.0/24']" in patterns
    assert "[file:hashes.'SHA-256' = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']" in patterns
    assert "[autonomous-system:number = 64500]" in patterns
    assert "[url:value = 'https://update-check.com/gate.php?id=\\'1\\'']" in patterns
    assert [v.name for v in by_type["vulnerability"]] == ["CVE-2024-3400"]
    assert len(by_type["note"]) == 1
    assert len(by_type["sighting"]) == 3
    counts = sorted(s.count for s in by_type["sighting"])
    assert counts == [1, 1, 4]
    (report,) = by_type["report"]
    assert report.name == "Telecom ransomware"
    assert set(report.object_refs) >= {o.id for o in by_type["indicator"]}
    strict = [i for i in by_type["indicator"] if "192.0.2.66" in i.pattern]
    assert strict[0].object_marking_refs == [OASIS_TLP["TLP:AMBER+STRICT"]]
    # Stable ids: a second export names the same objects.
    again = stix_of(api, w.tel, w.room.id)
    assert {o["id"] for o in again["objects"] if o["type"] == "indicator"} == {o.id for o in by_type["indicator"]}


def test_exports_hold_only_what_the_exporter_may_see(api, w, app):
    isp_bundle = stix_of(api, w.isp_user, w.room.id)  # AMBER from below: not the AMBER+STRICT one
    assert "192.0.2.66" not in json.dumps(isp_bundle)
    assert "198.51.100.7" in json.dumps(isp_bundle)
    misp = api(w.isp_user).get(f"/rooms/{w.room.id}/export.misp.json").get_data(as_text=True)
    assert "192.0.2.66" not in misp
    table = api(w.isp_user).get(f"/rooms/{w.room.id}/indicators.csv").get_data(as_text=True)
    assert "192.0.2.66" not in table and "198.51.100.7" in table
    with database(app).session(write=False) as s:
        audits = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "indicator.export")))
    assert {json.loads(a.details)["format"] for a in audits} == {"stix", "misp", "csv"}


def test_the_misp_event_loads_back_with_types_categories_tags_and_distribution(api, w):
    r = api(w.tel).get(f"/rooms/{w.room.id}/export.misp.json")
    assert r.status_code == 200
    event = MISPEvent()
    event.load(r.get_data(as_text=True))
    assert event.info == "Telecom ransomware"
    assert int(event.distribution) == 1 and [t.name for t in event.tags] == ["tlp:amber"]
    by_value = {a.value: a for a in event.attributes}
    ip = by_value["198.51.100.7"]
    assert (ip.type, ip.category, ip.to_ids) == ("ip-dst", "Network activity", True)
    assert {t.name for t in ip.tags} == {"tlp:amber", "ransomware"}
    assert len(ip.sightings) == 2 and {s.source for s in ip.sightings} == {"Telecom Sector CERT", "National CERT"}
    assert (by_value["CVE-2024-3400"].type, by_value["CVE-2024-3400"].category) == ("vulnerability",
                                                                                    "External analysis")
    assert by_value["AS64500"].type == "AS"
    assert by_value["HKEY_LOCAL_MACHINE\\Software\\Run\\updater"].type == "regkey"
    strict = by_value["192.0.2.66"]
    assert int(strict.distribution) == 0 and {t.name for t in strict.tags} == {"tlp:amber+strict"}


def test_csv_is_formula_neutralised_and_values_refanged_and_defanged(api, w):
    text = api(w.tel).get(f"/rooms/{w.room.id}/indicators.csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    domain = next(r for r in rows if r["type"] == "domain")
    assert domain["value"] == "update-check.com" and domain["value_defanged"] == "update-check[.]com"
    assert domain["description"].startswith("'=HYPERLINK")
    ip = next(r for r in rows if r["value"] == "198.51.100.7")
    assert ip["sightings"] == "5" and "Telecom Sector CERT (4)" in ip["sighting_orgs"]


# --- import -----------------------------------------------------------------------------------

def test_a_bundle_exported_from_one_room_imports_into_another_with_its_markings(api, w, make, app):
    bundle = stix_of(api, w.tel, w.room.id)
    green = make.room(w.tel, title="Telecom sharing", tlp="GREEN", orgs=(w.telecom,))
    r = api(w.tel).post(f"/rooms/{green.id}/import", bundle)
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["format"] == "stix" and body["added"] == 15  # 13 indicators, the CVE; "other" notes are skipped
    assert body["skipped"] > 0
    with database(app).session(write=False) as s:
        got = {i.value: i for i in s.scalars(select(Indicator).where(Indicator.room_id == green.id))}
    # Stricter markings are kept (AMBER, AMBER+STRICT in a GREEN room).
    assert got["198.51.100.7"].tlp == "AMBER" and got["192.0.2.66"].tlp == "AMBER+STRICT"
    assert got["CVE-2024-3400"].type == "cve"
    assert got["198.51.100.7"].origin.startswith("stix:indicator--")
    # Importing again adds nothing: every value is known.
    again = api(w.tel).post(f"/rooms/{green.id}/import", bundle).get_json()
    assert again["added"] == 0


def test_an_object_marked_looser_than_the_room_takes_the_rooms_marking(api, w, make, app):
    red = make.room(w.tel, title="Telecom core", tlp="RED", orgs=(w.telecom,))
    bundle = {"type": "bundle", "id": "bundle--2b0f5a3e-7c2d-4e8a-9b4f-0c6d2e1a7f35", "objects": [{
        "type": "indicator", "spec_version": "2.1", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "created": "2026-11-01T00:00:00.000Z", "modified": "2026-11-01T00:00:00.000Z", "name": "C2",
        "pattern": "[domain-name:value = 'C2.Example.NET']", "pattern_type": "stix",
        "valid_from": "2026-11-01T00:00:00Z", "object_marking_refs": [OASIS_TLP["TLP:CLEAR"]]}]}
    r = api(w.tel).post(f"/rooms/{red.id}/import", bundle)
    assert r.status_code == 201, r.get_json()
    with database(app).session(write=False) as s:
        ind = s.scalars(select(Indicator).where(Indicator.room_id == red.id)).one()
    assert (ind.value, ind.tlp) == ("c2.example.net", "RED")


def test_an_import_with_bad_objects_is_refused_whole_with_errors_per_object(api, w, app):
    good = {"type": "indicator", "spec_version": "2.1", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": "2026-11-01T00:00:00.000Z", "modified": "2026-11-01T00:00:00.000Z", "name": "ok",
            "pattern": "[ipv4-addr:value = '192.0.2.200']", "pattern_type": "stix",
            "valid_from": "2026-11-01T00:00:00Z"}
    bundle = {"type": "bundle", "id": "bundle--2b0f5a3e-7c2d-4e8a-9b4f-0c6d2e1a7f35", "objects": [
        good,
        {**good, "id": "indicator--1e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "pattern": "[ipv4-addr:value = '999.1.1.1']"},
        {**good, "id": "indicator--2e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "pattern": "[ipv4-addr:value = "},
        {**good, "id": "not-an-id"},
        {**good, "id": "indicator--3e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
         "pattern": "[ipv4-addr:value = '1.1.1.1'] OR [ipv4-addr:value = '2.2.2.2']"},
        {"type": "sandwich"},
        "not an object",
    ]}
    r = api(w.tel).post(f"/rooms/{w.room.id}/import", bundle)
    assert r.status_code == 422, r.get_json()
    body = r.get_json()
    assert [o["index"] for o in body["objects"]] == [1, 2, 3, 4, 5, 6]
    assert "IPv4" in body["objects"][0]["message"]
    with database(app).session(write=False) as s:
        assert s.scalar(select(Indicator).where(Indicator.value == "192.0.2.200")) is None
    # Not JSON, not a bundle or event, not the caller's room.
    assert api(w.tel).client.post(f"/api/v1/rooms/{w.room.id}/import", headers=api(w.tel).headers,
                                  data="{", content_type="application/json").status_code == 400
    assert api(w.tel).post(f"/rooms/{w.room.id}/import", {"hello": 1}).status_code == 422
    assert api(w.isp_user).post(f"/rooms/{w.room.id}/import", bundle).status_code == 403


def test_a_misp_event_imports_with_its_tags_and_bad_attributes_are_named(api, w, make, app):
    exported = json.loads(api(w.tel).get(f"/rooms/{w.room.id}/export.misp.json").get_data(as_text=True))
    green = make.room(w.tel, title="Telecom sharing", tlp="GREEN", orgs=(w.telecom,))
    r = api(w.tel).post(f"/rooms/{green.id}/import", {"Event": exported})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["format"] == "misp" and r.get_json()["added"] == 16
    with database(app).session(write=False) as s:
        got = {i.value: i for i in s.scalars(select(Indicator).where(Indicator.room_id == green.id))}
    assert got["192.0.2.66"].tlp == "AMBER+STRICT" and got["198.51.100.7"].tlp == "AMBER"
    assert got["AS64500"].type == "asn" and got["203.0.113.0/24"].type == "cidr"
    bad = {"info": "x", "Attribute": [{"type": "ip-dst", "value": "198.51.100.9"},
                                      {"type": "md5", "value": "nothex"}]}
    r = api(w.tel).post(f"/rooms/{green.id}/import", bad)
    assert r.status_code == 422 and [o["index"] for o in r.get_json()["objects"]] == [1]


# --- exercise data ------------------------------------------------------------------------------

def test_exercise_data_is_not_exported_unless_asked_and_then_marked(api, w, app, make):
    with database(app).transaction() as s:
        ex = Room(title="Exercise Blue Indus", summary="", severity="high", tlp="GREEN", kind="exercise",
                  created_by_id=w.lead.id)
        s.add(ex)
        s.flush()
        from council.rooms.models import RoomMember

        s.add(RoomMember(room_id=ex.id, user_id=w.lead.id, role="lead"))
        ex_id = ex.id
    r = api(w.lead).post(f"/rooms/{ex_id}/indicators", {"type": "domain", "value": "exercise-c2.example.com"})
    assert r.status_code == 201, r.get_json()
    for path in ("export.stix.json", "export.misp.json", "indicators.csv"):
        refused = api(w.lead).get(f"/rooms/{ex_id}/{path}")
        assert refused.status_code == 409 and "exercise" in refused.get_json()["error"].lower()
    bundle = stix_of(api, w.lead, ex_id, exercise="true")
    assert validate_instance(bundle, STRICT).is_valid
    for obj in bundle["objects"]:
        if obj["type"] not in ("marking-definition", "identity"):
            assert EXERCISE_ID in obj["object_marking_refs"], obj["type"]
    exercise_def = next(o for o in bundle["objects"] if o["id"] == EXERCISE_ID)
    assert exercise_def["definition_type"] == "statement" and "EXERCISE" in exercise_def["definition"]["statement"]
    assert next(o for o in bundle["objects"] if o["type"] == "report")["name"].startswith("EXERCISE")
    misp = MISPEvent()
    misp.load(api(w.lead).get(f"/rooms/{ex_id}/export.misp.json?exercise=true").get_data(as_text=True))
    assert misp.info.startswith("EXERCISE") and "exercise:council" in {t.name for t in misp.tags}
    table = api(w.lead).get(f"/rooms/{ex_id}/indicators.csv?exercise=true").get_data(as_text=True)
    assert "TLP:GREEN EXERCISE" in table
    # And exercise-marked data never enters a real room.
    r = api(w.tel).post(f"/rooms/{w.room.id}/import", bundle)
    assert r.status_code == 422 and "EXERCISE" in r.get_json()["objects"][0]["message"]
