"""Evidence files: uploads by multipart, limits, storage under the hash, downloads that
are always attachments and always audited, the marking of each file, malware samples
kept only as AES zips, and a record whose content went missing."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
import pyzipper
from sqlalchemy import select

from council.audit.models import AuditEntry
from council.audit.services import verify
from council.db import utcnow
from council.errors import NotFound
from council.evidence import services as evidence
from council.evidence.models import EvidenceFile
from council.evidence.storage import BlobStore, TooLarge
from council.extensions import database, settings
from council.reporting import regimes
from council.reporting import services as reporting
from council.rooms.models import RoomEvent

HTML = b"<!doctype html><html><head><title>pwned</title><script>document.title='ran'</script></head></html>"


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

        def upload(self, path, content=b"evidence", name="log.txt", **fields):
            data = {"file": (io.BytesIO(content), name), **fields}
            return self.client.post("/api/v1" + path, headers=self.headers, data=data,
                                    content_type="multipart/form-data")

        def delete(self, path):
            return self.client.delete("/api/v1" + path, headers=self.headers)

    return Caller


@pytest.fixture
def people(make):
    """National CERT > Banking CERT > Indus Bank; an outside CERT."""

    class P:
        national = make.org("National CERT E", tier="national")
        banking = make.org("Banking CERT E", parent=national)
        bank = make.org("Indus Bank E", tier="organizational", parent=banking)
        outside = make.org("Outside CERT E")
        lead = make.user("lead@banking.example", org=banking, name="Laila Lead")
        colleague = make.user("colleague@banking.example", org=banking, name="Bilal Banking")
        child = make.user("csirt@bank.example", org=bank, name="Sana Bank")
        stranger = make.user("stranger@outside.example", org=outside, name="Omar Outside")
        named = make.user("named@outside.example", org=outside, name="Nida Named")

    return P


def blobs(app) -> list[Path]:
    root = Path(settings(app).files_dir)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_an_upload_answers_its_sha256_and_size_and_is_a_room_event(app, make, people, api):
    room = make.room(people.lead, tlp="AMBER")
    content = b"2026-12-01 10:02 beacon to 203.0.113.7\n" * 50
    answer = api(people.lead).upload(f"/rooms/{room.id}/files", content, "beacon.log")
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["sha256"] == hashlib.sha256(content).hexdigest() and body["size"] == len(content)
    assert body["tlp"] == "AMBER" and body["name"] == "beacon.log" and body["uploaded_by"]["name"] == "Laila Lead"
    listed = api(people.colleague).get(f"/rooms/{room.id}/files").get_json()["files"]
    assert [f["id"] for f in listed] == [body["id"]]
    with database(app).session(write=False) as s:
        event = s.scalars(select(RoomEvent).where(RoomEvent.room_id == room.id, RoomEvent.kind == "file")).one()
        assert json.loads(event.data)["file"]["sha256"] == body["sha256"]
    events = api(people.lead).get(f"/rooms/{room.id}/events").get_json()["events"]
    assert events[-1]["kind"] == "file" and events[-1]["file"]["id"] == body["id"]


def test_the_download_is_an_attachment_never_rendered_and_every_download_is_audited(app, make, people, api):
    room = make.room(people.lead, tlp="AMBER")
    file_id = api(people.lead).upload(f"/rooms/{room.id}/files", HTML, "report.html").get_json()["id"]
    for _ in range(2):
        got = api(people.colleague).get(f"/files/{file_id}")
        assert got.status_code == 200 and got.data == HTML
    assert got.headers["Content-Type"] == "application/octet-stream"
    assert got.headers["Content-Disposition"] == "attachment; filename=\"report.html\"; filename*=UTF-8''report.html"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert got.headers["Cache-Control"] == "private, no-store"
    with database(app).session(write=False) as s:
        rows = s.scalars(select(AuditEntry).where(AuditEntry.action == "file.download")).all()
        assert [(r.actor_id, r.target_id) for r in rows] == [(people.colleague.id, str(file_id))] * 2
        assert verify(s).ok
    meta = api(people.lead).get(f"/files/{file_id}/meta").get_json()
    assert meta["media_type"] == "text/html"  # recorded; the download above was octet-stream all the same


def test_the_page_download_is_the_same_service_with_the_same_headers(app, make, people, api, client):
    from tests.conftest import login

    room = make.room(people.lead, tlp="GREEN")
    file_id = api(people.lead).upload(f"/rooms/{room.id}/files", b"<svg onload=alert(1)>", "x.svg").get_json()["id"]
    login(client, people.stranger.email)
    got = client.get(f"/files/{file_id}")
    assert got.status_code == 200 and got.headers["Content-Disposition"].startswith("attachment;")
    assert got.headers["Content-Type"] == "application/octet-stream"
    assert got.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
    with database(app).session(write=False) as s:
        assert s.scalars(select(AuditEntry.actor_id).where(AuditEntry.action == "file.download")).all() == [
            people.stranger.id]


def test_content_is_stored_under_its_hash_once_never_under_the_clients_name(app, make, people, api):
    room = make.room(people.lead, tlp="AMBER")
    content = b"root:x:0:0:root:/root:/bin/bash\n"
    first = api(people.lead).upload(f"/rooms/{room.id}/files", content, "../../etc/passwd").get_json()
    html_name = "<img src=x onerror=alert(1)>.html"
    second = api(people.colleague).upload(f"/rooms/{room.id}/files", content, html_name).get_json()
    assert first["id"] != second["id"] and first["sha256"] == second["sha256"]
    sha = first["sha256"]
    assert [p.relative_to(settings(app).files_dir).as_posix() for p in blobs(app)] == [f"{sha[:2]}/{sha[2:4]}/{sha}"]
    # Shown as text, never as a path:
    assert first["name"] == "passwd" and second["name"] == html_name
    got = api(people.lead).get(f"/files/{first['id']}")
    assert got.headers["Content-Disposition"] == "attachment; filename=\"passwd\"; filename*=UTF-8''passwd"
    assert not Path(settings(app).files_dir, "..", "..", "etc", "passwd").exists()


def test_a_unicode_name_gets_an_rfc_6266_filename_and_an_ascii_fallback(make, people, api):
    room = make.room(people.lead, tlp="AMBER")
    name = "رپورٹ \"final\";\r\n.pdf"
    file_id = api(people.lead).upload(f"/rooms/{room.id}/files", b"%PDF-1.7", name).get_json()["id"]
    disposition = api(people.lead).get(f"/files/{file_id}").headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=\"")
    ascii_part = disposition.split('filename="')[1].split('"')[0]
    assert ascii_part.isascii() and ";" not in ascii_part and "\r" not in disposition
    assert "filename*=UTF-8''%D8%B1%D9%BE" in disposition


@pytest.mark.parametrize(("room_tlp", "file_tlp", "sees"), [
    ("GREEN", None, {"lead", "colleague", "child", "stranger", "named"}),
    ("GREEN", "AMBER", {"lead", "colleague", "child", "named"}),
    ("AMBER", None, {"lead", "colleague", "child"}),
    ("AMBER", "AMBER+STRICT", {"lead", "colleague"}),
    ("AMBER", "RED", {"lead"}),
    ("RED", None, {"lead", "named"}),
])
def test_who_sees_a_rooms_file(make, people, api, room_tlp, file_tlp, sees):
    """The room's rule under the stricter of the two markings (a named member always sees);
    the unseen get 404 everywhere."""
    room = make.room(people.lead, tlp=room_tlp, members=(people.named,) if room_tlp in ("GREEN", "RED") else ())
    fields = {"tlp": file_tlp} if file_tlp else {}
    file_id = api(people.lead).upload(f"/rooms/{room.id}/files", b"ioc list", "iocs.txt", **fields).get_json()["id"]
    for who in ("lead", "colleague", "child", "stranger", "named"):
        caller = api(getattr(people, who))
        expected = 200 if who in sees else 404
        assert caller.get(f"/files/{file_id}").status_code == expected, who
        assert caller.get(f"/files/{file_id}/meta").status_code == expected, who
        listing = caller.get(f"/rooms/{room.id}/files")
        if listing.status_code == 200:
            assert (file_id in [f["id"] for f in listing.get_json()["files"]]) == (who in sees), who


def test_a_stricter_files_event_reaches_only_those_cleared(make, people, api):
    room = make.room(people.lead, tlp="AMBER")
    api(people.lead).upload(f"/rooms/{room.id}/files", b"secret", "strict.txt", tlp="AMBER+STRICT")
    own = api(people.colleague).get(f"/rooms/{room.id}/events").get_json()["events"][-1]
    child = api(people.child).get(f"/rooms/{room.id}/events").get_json()["events"][-1]
    assert own["kind"] == "file" and own["file"]["name"] == "strict.txt"
    assert child["kind"] == "restricted" and "file" not in child and child["seq"] == own["seq"]


def test_a_file_is_never_looser_than_its_room_and_bad_fields_are_422_with_nothing_written(app, make, people, api):
    room = make.room(people.lead, tlp="AMBER")
    caller = api(people.lead)
    cases = [
        ({"tlp": "GREEN"}, "tlp"), ({"tlp": "PURPLE"}, "tlp"), ({"sample": "yes"}, "sample"),
        ({"owner_id": "1"}, "owner_id"),
    ]
    for fields, field in cases:
        answer = caller.upload(f"/rooms/{room.id}/files", b"x", "x.txt", **fields)
        assert answer.status_code == 422 and field in answer.get_json()["fields"], fields
    missing = caller.client.post(f"/api/v1/rooms/{room.id}/files", headers=caller.headers, data={"tlp": "RED"},
                                 content_type="multipart/form-data")
    assert missing.status_code == 422 and "file" in missing.get_json()["fields"]
    empty = caller.upload(f"/rooms/{room.id}/files", b"", "empty.txt")
    assert empty.status_code == 422 and "file" in empty.get_json()["fields"]
    assert api(people.stranger).upload(f"/rooms/{room.id}/files").status_code == 404
    with database(app).session(write=False) as s:
        assert s.scalars(select(EvidenceFile)).all() == []
        assert s.scalars(select(RoomEvent).where(RoomEvent.kind == "file")).all() == []
    assert blobs(app) == []


def test_observers_may_not_upload_and_clients_may_not_post_file_events(make, people, api):
    room = make.room(people.lead, tlp="GREEN")
    assert api(people.stranger).upload(f"/rooms/{room.id}/files").status_code == 403
    forged = api(people.lead).client.post(f"/api/v1/rooms/{room.id}/events", headers=api(people.lead).headers,
                                          json={"kind": "file", "file": {"id": 1}})
    assert forged.status_code == 403


def test_an_oversized_request_is_a_413_with_a_clear_message(tmp_path, template_db, make, people):
    from tests.conftest import make_app
    from tests.factories import Factory

    (tmp_path / "small").mkdir()
    small = make_app(tmp_path / "small", template_db, COUNCIL_FILE_MAX_MB="1")
    try:
        f = Factory(small)
        lead = f.user("lead@small.example", org=f.org("Small CERT"))
        room = f.room(lead, tlp="GREEN")
        token = f.api_token(lead)[1]
        client = small.test_client()
        big = client.post(f"/api/v1/rooms/{room.id}/files", headers={"Authorization": f"Bearer {token}"},
                          data={"file": (io.BytesIO(b"x" * (2 * 1024 * 1024)), "big.bin")},
                          content_type="multipart/form-data")
        assert big.status_code == 413
        assert big.get_json() == {"error": "Files are at most 1 MB (COUNCIL_FILE_MAX_MB).",
                                  "fields": {"file": "At most 1 MB."}}
        just_over = client.post(f"/api/v1/rooms/{room.id}/files", headers={"Authorization": f"Bearer {token}"},
                                data={"file": (io.BytesIO(b"x" * (1024 * 1024 + 10)), "over.bin")},
                                content_type="multipart/form-data")
        assert just_over.status_code == 413 and "file" in just_over.get_json()["fields"]
        exact = client.post(f"/api/v1/rooms/{room.id}/files", headers={"Authorization": f"Bearer {token}"},
                            data={"file": (io.BytesIO(b"x" * (1024 * 1024)), "exact.bin")},
                            content_type="multipart/form-data")
        assert exact.status_code == 201
        assert len(blobs(small)) == 1
        # Other requests keep the app's own limit.
        assert client.post(f"/api/v1/rooms/{room.id}/events", headers={"Authorization": f"Bearer {token}"},
                           data=b"x" * (6 * 1024 * 1024), content_type="application/json").status_code == 413
    finally:
        database(small).dispose()


def test_the_store_enforces_its_limit_while_reading_and_keeps_nothing(tmp_path):
    store = BlobStore(tmp_path / "files")
    with pytest.raises(TooLarge):
        store.put(io.BytesIO(b"y" * 200_000), max_bytes=100_000)
    assert [p for p in (tmp_path / "files").rglob("*") if p.is_file()] == []
    kept = store.put(io.BytesIO(b"y" * 100_000), max_bytes=100_000)
    assert kept.sha256 == hashlib.sha256(b"y" * 100_000).hexdigest()


def test_a_malware_sample_is_kept_and_served_only_as_an_aes_zip_with_password_infected(app, make, people, api):
    room = make.room(people.lead, tlp="AMBER")
    payload = b"MZ\x90\x00 not really malware, but treated as such " * 20
    answer = api(people.lead).upload(f"/rooms/{room.id}/files", payload, "dropper.exe", sample="true").get_json()
    assert answer["sample"] is True and "infected" in answer["warning"]
    assert answer["sha256"] == hashlib.sha256(payload).hexdigest()
    (stored,) = blobs(app)
    assert stored.name == answer["sha256"] + ".zip" and payload not in stored.read_bytes()
    got = api(people.colleague).get(f"/files/{answer['id']}")
    assert got.headers["Content-Type"] == "application/zip"
    assert got.headers["Content-Disposition"].startswith('attachment; filename="dropper.exe.zip"')
    assert payload not in got.data
    with pyzipper.AESZipFile(io.BytesIO(got.data)) as archive:
        (info,) = archive.infolist()
        assert info.flag_bits & 0x1  # encrypted
        with pytest.raises(RuntimeError):
            archive.read(info.filename)  # no password, no content
        archive.setpassword(b"infected")
        assert archive.read(info.filename) == payload


def test_a_file_whose_content_is_missing_answers_410_cleanly(app, make, people, api, client):
    from tests.conftest import login

    room = make.room(people.lead, tlp="AMBER")
    file_id = api(people.lead).upload(f"/rooms/{room.id}/files", b"gone soon", "gone.txt").get_json()["id"]
    for path in blobs(app):
        path.unlink()
    got = api(people.lead).get(f"/files/{file_id}")
    assert got.status_code == 410 and "missing" in got.get_json()["error"]
    login(client, people.lead.email)
    assert client.get(f"/files/{file_id}").status_code == 410
    with database(app).session(write=False) as s:
        assert s.scalars(select(AuditEntry).where(AuditEntry.action == "file.download")).all() == []


def test_removing_a_file_keeps_content_another_file_uses(app, make, people, api):
    room = make.room(people.lead, tlp="AMBER")
    first = api(people.lead).upload(f"/rooms/{room.id}/files", b"shared", "a.txt").get_json()
    second = api(people.colleague).upload(f"/rooms/{room.id}/files", b"shared", "b.txt").get_json()
    assert api(people.stranger).delete(f"/files/{first['id']}").status_code == 404  # not theirs to see
    assert api(people.colleague).delete(f"/files/{first['id']}").status_code == 403
    assert api(people.lead).delete(f"/files/{first['id']}").status_code == 200
    assert len(blobs(app)) == 1
    assert api(people.colleague).get(f"/files/{second['id']}").data == b"shared"
    assert api(people.colleague).delete(f"/files/{second['id']}").status_code == 200
    assert api(people.lead).get(f"/files/{second['id']}").status_code == 404
    # The content goes with the sweep, once no row has named it for an hour (an upload of the
    # same content may be about to commit its row), never at the removal itself.
    from council.evidence.services import sweep_orphans
    from council.evidence.transfer import BlobStore

    store = BlobStore(settings(app).files_dir)
    assert len(blobs(app)) == 1 and make.run(lambda s: sweep_orphans(s, store)) == []
    assert len(make.run(lambda s: sweep_orphans(s, store, older_than=-1))) == 1
    assert blobs(app) == []


def test_removal_keeps_a_closed_rooms_record_and_observers_never_remove(app, make, people, api):
    room = make.room(people.lead, tlp="AMBER", members=(people.colleague,))
    mine = api(people.colleague).upload(f"/rooms/{room.id}/files", b"evidence", "c.txt").get_json()
    make.event(people.lead, room, kind="member", op="role", user_id=people.colleague.id, role="observer")
    assert api(people.colleague).delete(f"/files/{mine['id']}").status_code == 403
    make.event(people.lead, room, kind="status", status="closed")
    closed = api(people.lead).delete(f"/files/{mine['id']}")
    assert closed.status_code == 409 and "closed" in closed.get_json()["error"]


def test_known_malware_is_never_kept_raw_and_flags_are_text_fields(app, make, people, api, client):
    room = make.room(people.lead, tlp="AMBER")
    sample = api(people.lead).upload(f"/rooms/{room.id}/files", b"MZ evil", "evil.exe", sample="true")
    assert sample.status_code == 201
    raw = api(people.lead).upload(f"/rooms/{room.id}/files", b"MZ evil", "again.exe")
    assert raw.status_code == 422 and "known malware sample" in raw.get_json()["fields"]["sample"]
    assert [p.name.endswith(".zip") for p in blobs(app)] == [True]
    long_type = client.post(f"/api/v1/rooms/{room.id}/files", headers=api(people.lead).headers, data={
        "file": (io.BytesIO(b"plain words"), "t.txt", "a" * 60 + "/" + "b" * 60)}, content_type="multipart/form-data")
    assert long_type.status_code == 201  # a type longer than its column is not kept
    assert len(long_type.get_json()["media_type"]) <= 100
    as_file = client.post(f"/api/v1/rooms/{room.id}/files", headers=api(people.lead).headers, data={
        "file": (io.BytesIO(b"MZ other"), "x.exe"), "sample": (io.BytesIO(b"true"), "flag.txt")},
        content_type="multipart/form-data")
    assert as_file.status_code == 422 and "text field" in as_file.get_json()["fields"]["sample"]
    head = client.head(f"/api/v1/files/{sample.get_json()['id']}", headers=api(people.lead).headers)
    assert head.status_code == 200 and head.headers["Content-Disposition"].startswith("attachment")
    far = client.get(f"/api/v1/files/{sample.get_json()['id']}", headers={**api(people.lead).headers,
                                                                        "Sec-Fetch-Site": "cross-site"})
    assert far.status_code == 403
    with database(app).session(write=False) as s:
        assert s.scalars(select(AuditEntry).where(AuditEntry.action == "file.download")).all() == []


@pytest.fixture
def incident(make, people):
    regimes_ = make.run(regimes.save_version, actor=None, **regimes.BASELINE)
    del regimes_
    found, _ = make.run(reporting.file_incident, actor=people.child, title="Card skimming", type="incident",
                        tlp="AMBER", detected_at=(utcnow() - timedelta(hours=2)).isoformat())
    return found


def test_incident_files_follow_the_incidents_own_rule(app, make, people, api, incident, client):
    from tests.conftest import csrf, login

    answer = api(people.child).upload(f"/incidents/{incident.id}/files", b"skimmer.bin", "skimmer.bin")
    assert answer.status_code == 201, answer.get_json()
    file_id = answer.get_json()["id"]
    assert answer.get_json()["room_id"] is None
    assert api(people.lead).get(f"/files/{file_id}").status_code == 200  # the reviewer
    for outsider in (people.stranger, people.national and make.user(org=people.national)):
        assert api(outsider).get(f"/files/{file_id}").status_code == 404
        assert api(outsider).get(f"/incidents/{incident.id}/files").status_code == 404
    strict = api(people.child).upload(f"/incidents/{incident.id}/files", b"x", "x.txt", tlp="GREEN")
    assert strict.status_code == 422 and "tlp" in strict.get_json()["fields"]
    login(client, people.lead.email)
    page = client.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert "Evidence files" in page and "skimmer.bin" in page and answer.get_json()["sha256"] in page
    token = csrf(client, f"/incidents/{incident.id}")
    sent = client.post(f"/incidents/{incident.id}/files", data={
        "csrf_token": token, "file": (io.BytesIO(HTML), "page.html"), "tlp": "AMBER+STRICT"},
        content_type="multipart/form-data")
    assert sent.status_code == 302
    files = api(people.lead).get(f"/incidents/{incident.id}/files").get_json()["files"]
    assert [f["name"] for f in files] == ["page.html", "skimmer.bin"] and files[0]["tlp"] == "AMBER+STRICT"


def test_services_refuse_subjects_they_do_not_know(app, make, people):
    with database(app).transaction() as s, pytest.raises(NotFound):
        evidence.upload_file(s, actor=s.merge(people.lead), store=BlobStore(settings(app).files_dir), max_bytes=10,
                             subject="indicator", subject_id=1, content=io.BytesIO(b"x"), name="x")
    assert blobs(app) == []


def test_files_attach_to_an_indicator_under_its_marking_and_post_into_its_room(app, make, people, api):
    room = make.room(people.lead, tlp="AMBER")
    made = api(people.lead).client.post(f"/api/v1/rooms/{room.id}/indicators", headers=api(people.lead).headers,
                                        json={"type": "domain", "value": "c2.example", "tlp": "AMBER+STRICT"})
    assert made.status_code == 201, made.get_json()
    indicator = made.get_json()["id"]
    up = api(people.lead).upload(f"/indicators/{indicator}/files", b"pcap bytes", "c2.pcap")
    assert up.status_code == 201 and up.get_json()["tlp"] == "AMBER+STRICT"
    assert [f["name"] for f in api(people.colleague).get(f"/indicators/{indicator}/files").get_json()["files"]] == [
        "c2.pcap"]
    # The child organisation sees the AMBER room, not the AMBER+STRICT indicator, nor its files.
    assert api(people.child).get(f"/indicators/{indicator}/files").status_code == 404
    assert api(people.child).get(f"/files/{up.get_json()['id']}").status_code == 404
    assert api(people.child).upload(f"/indicators/{indicator}/files", b"x", "x.txt").status_code == 404
    with database(app).session(write=False) as s:
        kinds = [e.kind for e in s.scalars(select(RoomEvent).where(RoomEvent.room_id == room.id))]
    assert "file" in kinds
