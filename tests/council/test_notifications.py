"""Notifications: mentions (people, organisations, never inside code), each room
trigger, who may be told (room and event visibility), the REST contract, the
person's own socket channel, preferences, digests, and the mail rules (real
SMTP: an aiosmtpd server started here; TLP of bodies; outage and retry)."""

from __future__ import annotations

import json
import socket as pysocket
from datetime import timedelta

import pytest
from sqlalchemy import select

from council.db import utcnow
from council.extensions import database
from council.notifications import outbox
from council.notifications.mentions import names_in
from council.notifications.models import MailOutbox, Notification
from tests.conftest import make_app
from tests.council.test_rooms_api import Api


@pytest.fixture
def api(client, make):
    return Api(client, make)


@pytest.fixture
def people(make):
    class P:
        national = make.org("National CERT N", tier="national")
        bank = make.org("Banking CERT N", parent=national, sector="banking-finance")
        telco = make.org("Telecom CERT N", parent=national, sector="telecom")
        lead = make.user("lead@n.example", org=national, name="Nadia Lead")
        colleague = make.user("colleague@n.example", org=national, name="Cyrus Colleague")
        banker = make.user("banker@n.example", org=bank, name="Sana Banker")
        banker2 = make.user("banker2@n.example", org=bank, name="Omar Banker")
        outsider = make.user("telco@n.example", org=telco, name="Tariq Telco")
    return P


def notes(app, user=None, kind=None):
    with database(app).transaction() as s:
        stmt = select(Notification).order_by(Notification.id)
        if user is not None:
            stmt = stmt.where(Notification.user_id == user.id)
        if kind is not None:
            stmt = stmt.where(Notification.kind == kind)
        return list(s.scalars(stmt))


# --- mentions ---------------------------------------------------------------------------------------


def test_mentions_are_read_outside_code_and_addresses():
    html = ('<p>@sana.banker please check, cc @banking-cert-n. Mail ops@bank.example.</p>'
            '<p><code>@not.this</code></p><pre><code>@nor.this</code></pre><p>@Sana.Banker again.</p>')
    assert names_in(html) == ["sana.banker", "banking-cert-n"]


def test_handles_and_short_names_come_from_names(people):
    assert people.banker.handle == "sana.banker"
    assert people.bank.short_name == "banking-cert-n"


def test_mentioning_a_person_tells_them_and_nobody_else(app, make, people):
    room = make.room(people.lead, tlp="AMBER", orgs=(people.bank,))
    event = make.event(people.lead, room, body="@sana.banker can you check the SWIFT logs? @nadia.lead")
    told = notes(app, kind="mention")
    assert [n.user_id for n in told] == [people.banker.id]  # the author is never told of themselves
    assert told[0].title == f"Nadia Lead mentioned you in {room.title}"
    assert told[0].tlp == "AMBER" and told[0].subject == f"event:{event.id}"
    assert told[0].url.startswith(f"/rooms/{room.id}#seq-")


def test_a_mention_never_reaches_someone_who_cannot_see_the_room(app, make, people):
    room = make.room(people.lead, tlp="AMBER+STRICT")
    make.event(people.lead, room, body="@tariq.telco and @sana.banker look at this")
    assert notes(app, kind="mention") == []


def test_mentioning_an_organisation_tells_its_members_who_see_the_room(app, make, people):
    room = make.room(people.lead, tlp="AMBER+STRICT", orgs=(people.bank,))
    make.event(people.lead, room, body="@banking-cert-n please confirm; also @telecom-cert-n")
    told = notes(app, kind="mention_org")
    assert sorted(n.user_id for n in told) == sorted([people.banker.id, people.banker2.id])
    assert "mentioned Banking CERT N" in told[0].title


def test_a_mention_in_code_tells_nobody(app, make, people):
    room = make.room(people.lead, tlp="GREEN")
    make.event(people.lead, room, body="Run `grep @sana.banker` and\n\n    @banking-cert-n\n")
    assert notes(app, kind="mention") == [] and notes(app, kind="mention_org") == []


# --- room triggers ----------------------------------------------------------------------------------


def test_opening_a_room_tells_the_organisations_and_named_people(app, make, people):
    room = make.room(people.lead, tlp="AMBER", severity="critical", orgs=(people.bank,),
                     members=(people.colleague,))
    told = {n.user_id: n for n in notes(app, kind="room_opened")}
    assert set(told) == {people.banker.id, people.banker2.id, people.colleague.id}
    assert told[people.banker.id].urgent and told[people.banker.id].title.startswith("[CRITICAL] Room opened")
    # Named and in an organisation of the room: told once.
    assert len([n for n in notes(app, people.colleague) if n.kind == "room_opened"]) == 1
    assert people.lead.id not in told and people.outsider.id not in told
    del room


def test_sharing_a_room_with_an_organisation_tells_its_members(app, make, people):
    room = make.room(people.lead, tlp="AMBER")
    make.event(people.lead, room, kind="status", orgs_add=[people.telco.id])
    told = {n.user_id: n.title for n in notes(app, kind="room_opened")}
    assert told == {people.colleague.id: f"[HIGH] Room opened with your organisation: {room.title}",
                    people.outsider.id: f"[HIGH] Room shared with your organisation: {room.title}"}


def test_assigning_an_action_tells_the_person_and_their_organisation(app, make, people):
    room = make.room(people.lead, tlp="AMBER", orgs=(people.bank,))
    make.event(people.lead, room, kind="action", title="Block the IOC list", assignee_user_id=people.banker.id)
    make.event(people.lead, room, kind="action", title="Patch the gateway", assignee_org_id=people.bank.id)
    mine = [n.title for n in notes(app, people.banker, "action_assigned")]
    assert mine == ["Action assigned to you: Block the IOC list",
                    "Action assigned to Banking CERT N: Patch the gateway"]
    assert [n.title for n in notes(app, people.banker2, "action_assigned")] == [
        "Action assigned to Banking CERT N: Patch the gateway"]


def test_an_owed_sitrep_is_told_once_per_cycle(app, make, people):
    from council.notifications.room_triggers import sitreps_owed

    room = make.room(people.lead, tlp="AMBER", orgs=(people.bank,))
    make.event(people.lead, room, kind="status", sitrep_cadence_min=60)
    start = utcnow()
    for minutes in (20, 50, 51, 110, 111):  # early: nothing; the last quarter: due; a cycle missed: overdue
        make.run(sitreps_owed, now=start + timedelta(minutes=minutes))
    titles = [n.title for n in notes(app, people.banker, "sitrep_due")]
    assert titles == [f"Sitrep due from Banking CERT N: {room.title}",
                      f"Sitrep overdue from Banking CERT N: {room.title}"]


# --- REST and the socket channel --------------------------------------------------------------------


def test_the_rest_contract_lists_and_marks_read(app, make, api, people):
    room = make.room(people.lead, tlp="GREEN")
    for i in range(3):
        make.event(people.lead, room, body=f"@sana.banker item {i}")
    got = api.get(people.banker, "/notifications", unread="1").get_json()
    assert got["unread"] == 3 and [n["title"] for n in got["notifications"]] == [
        f"Nadia Lead mentioned you in {room.title}"] * 3
    first = got["notifications"][0]
    assert set(first) >= {"id", "kind", "title", "url", "created_at", "read_at"} and first["read_at"] is None
    assert api.post(people.banker, "/notifications/read", {"ids": [first["id"]]}).get_json() == {
        "marked": 1, "unread": 2}
    # Someone else's ids are not theirs to mark.
    assert api.post(people.lead, "/notifications/read", {"ids": [n["id"] for n in got["notifications"]]}
                    ).get_json()["marked"] == 0
    assert api.post(people.banker, "/notifications/read", {"all": True}).get_json() == {"marked": 2, "unread": 0}
    assert api.get(people.banker, "/notifications", unread="1").get_json()["notifications"] == []
    bad = api.post(people.banker, "/notifications/read", {})
    assert bad.status_code == 422 and "ids" in bad.get_json()["fields"]
    assert api.post(people.banker, "/notifications/read", {"ids": ["x"]}).status_code == 422


def test_a_notification_arrives_on_the_persons_own_channel_only(app, make, people, connect):
    room = make.room(people.lead, tlp="GREEN")
    banker, other = connect(people.banker), connect(people.banker2)
    banker.drain(), other.drain()
    make.event(people.lead, room, body="@sana.banker now")
    got = banker.inbox().get("notification", [])
    assert [n["title"] for n in got] == [f"Nadia Lead mentioned you in {room.title}"]
    assert "notification" not in other.inbox()


def test_the_bell_and_the_page(app, make, client, people):
    from tests.conftest import csrf, login

    room = make.room(people.lead, tlp="GREEN")
    make.event(people.lead, room, body="@sana.banker look")
    login(client, people.banker.email)
    page = client.get("/rooms/").get_data(as_text=True)
    assert 'id="bell"' in page and 'data-unread="1"' in page
    listing = client.get("/notifications").get_data(as_text=True)
    assert f"Nadia Lead mentioned you in {room.title}" in listing and "Mark all read" in listing
    assert client.post("/notifications/read", data={"all": "1"}).status_code == 400  # no CSRF token
    response = client.post("/notifications/read", data={"all": "1", "csrf_token": csrf(client)})
    assert response.status_code == 302
    assert 'data-unread="0"' in client.get("/rooms/").get_data(as_text=True)


def test_mention_autocomplete_offers_only_people_who_see_the_room(app, make, api, people):
    room = make.room(people.lead, tlp="AMBER+STRICT", orgs=(people.bank,))
    got = api.get(people.lead, f"/rooms/{room.id}/mentionable", q="bank").get_json()
    assert {p["handle"] for p in got["people"]} == {"sana.banker", "omar.banker"}
    assert [o["handle"] for o in got["orgs"]] == ["banking-cert-n"]
    assert api.get(people.outsider, f"/rooms/{room.id}/mentionable", q="").status_code == 404


# --- preferences and digests -------------------------------------------------------------------------


class Smtp:
    """A real SMTP server (aiosmtpd) on a fixed free port that can go down and come back."""

    def __init__(self) -> None:
        from aiosmtpd.handlers import Message

        with pysocket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.mails: list = []
        keep = self.mails

        class Keep(Message):
            def handle_message(self, message) -> None:  # type: ignore[no-untyped-def]
                keep.append(message)

        self.handler = Keep()
        self.controller = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp():
    server = Smtp()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mail_app(tmp_path, template_db, smtp):
    app = make_app(tmp_path, template_db, COUNCIL_SMTP_HOST="127.0.0.1", COUNCIL_SMTP_PORT=str(smtp.port),
                   COUNCIL_SMTP_SECURITY="none", COUNCIL_MAIL_FROM="council@ncert.example",
                   COUNCIL_BASE_URL="https://council.example")
    yield app
    database(app).dispose()


@pytest.fixture
def mail_make(mail_app):
    from tests.factories import Factory

    return Factory(mail_app)


def mail_people(make):
    national = make.org("National CERT M", tier="national")
    bank = make.org("Banking CERT M", parent=national)
    lead = make.user("lead@m.example", org=national, name="Nadia Lead")
    banker = make.user("banker@m.example", org=bank, name="Sana Banker")
    return national, bank, lead, banker


def test_an_amber_rooms_text_never_reaches_a_mail_body(mail_app, mail_make, smtp):
    _n, bank, lead, banker = mail_people(mail_make)
    amber = mail_make.room(lead, title="Card skimming at Indus", tlp="AMBER", orgs=(bank,))
    green = mail_make.room(lead, title="Public phishing wave", tlp="GREEN")
    mail_make.event(lead, amber, body="@sana.banker the mule accounts are 4411 and 4412")
    mail_make.event(lead, green, body="@sana.banker the lure is an invoice")
    counts = outbox.deliver(mail_app)
    assert counts["sent"] >= 3  # two mentions, the AMBER room opened for the bank
    mails = {m["Subject"]: m for m in smtp.mails}
    amber_mails = [m for s, m in mails.items() if s.startswith("[TLP:AMBER]")]
    assert amber_mails and all("4411" not in m.get_payload() and "Card skimming" not in m["Subject"]
                               for m in amber_mails)
    pointer = next(m for m in amber_mails if "New item in room" in m["Subject"])
    assert f"https://council.example/rooms/{amber.id}#seq-" in pointer.get_payload()
    green_mail = mails[f"[TLP:GREEN] Nadia Lead mentioned you in {green.title}"]
    assert "the lure is an invoice" in green_mail.get_payload() and green_mail["To"] == banker.email
    assert green_mail["Message-ID"]


def test_exercise_mail_is_marked(mail_app, mail_make, smtp):
    from council.notifications.services import Note, notify

    _n, _b, lead, banker = mail_people(mail_make)
    mail_make.run(notify, note=Note(kind="inject_awaiting", title="Inject 3 awaits your team", url="/rooms/1",
                                    tlp="GREEN", exercise=True, urgent=True), recipients=[banker])
    outbox.deliver(mail_app)
    assert [m["Subject"] for m in smtp.mails] == ["[TLP:GREEN] [EXERCISE] Inject 3 awaits your team"]
    assert "EXERCISE" in smtp.mails[0].get_payload()
    del lead


def test_preferences_choose_digests_and_urgent_kinds_cannot_be_switched_off(mail_app, mail_make, smtp):
    from council.notifications import services

    _n, bank, lead, banker = mail_people(mail_make)
    mail_make.run(services.set_preferences, user=banker, modes={"mention": "hourly", "room_opened": "never"})
    with pytest.raises(Exception) as refused:
        mail_make.run(services.set_preferences, user=banker, modes={"stage_overdue": "never"})
    assert "Urgent" in str(getattr(refused.value, "fields", refused.value))
    room = mail_make.room(lead, tlp="GREEN", orgs=(bank,))
    critical = mail_make.room(lead, title="Grid down", tlp="GREEN", severity="critical", orgs=(bank,))
    for i in range(3):
        mail_make.event(lead, room, body=f"@sana.banker point {i}")
    outbox.deliver(mail_app)
    # The critical room is urgent: mailed at once although room_opened is "never"; the mentions wait.
    assert [m["Subject"] for m in smtp.mails] == [f"[TLP:GREEN] [CRITICAL] Room opened with your organisation: "
                                                  f"{critical.title}"]
    assert mail_make.run(outbox.make_digests, now=utcnow() + timedelta(minutes=30)) == 0
    assert mail_make.run(outbox.make_digests, now=utcnow() + timedelta(minutes=61)) == 1
    assert mail_make.run(outbox.make_digests, now=utcnow() + timedelta(minutes=62)) == 0
    outbox.deliver(mail_app, now=utcnow() + timedelta(minutes=62))
    digest = smtp.mails[-1]
    assert digest["Subject"] == "[TLP:GREEN] CERT Council digest: 3 notifications"
    assert all(f"point {i}" in digest.get_payload() for i in range(3))


def test_mail_waits_out_an_smtp_outage_and_is_sent_once(mail_app, mail_make, smtp):
    from council.notifications.services import Note, notify

    _n, _b, _lead, banker = mail_people(mail_make)
    smtp.stop()
    mail_make.run(notify, note=Note(kind="mention", title="While the server was down", url="/notifications"),
                  recipients=[banker])
    assert outbox.deliver(mail_app) == {"sent": 0, "retry": 1, "failed": 0, "withdrawn": 0}
    with database(mail_app).transaction() as s:
        row = s.scalars(select(MailOutbox)).one()
        assert row.status == "pending" and row.attempts == 1 and "SMTP" in row.last_error
        retry_at = row.next_attempt_at
    assert outbox.deliver(mail_app)["retry"] == 0  # not due yet: nothing is tried
    smtp.start()
    assert outbox.deliver(mail_app, now=retry_at + timedelta(seconds=1))["sent"] == 1
    assert outbox.deliver(mail_app, now=retry_at + timedelta(hours=1)) == {
        "sent": 0, "retry": 0, "failed": 0, "withdrawn": 0}
    assert [m["Subject"] for m in smtp.mails] == ["[TLP:CLEAR] While the server was down"]


def test_mail_is_withdrawn_when_the_recipient_lost_sight_before_it_went(mail_app, mail_make, smtp):
    _n, bank, lead, _banker = mail_people(mail_make)
    room = mail_make.room(lead, tlp="AMBER+STRICT", orgs=(bank,))
    mail_make.event(lead, room, body="@sana.banker a secret")
    mail_make.event(lead, room, kind="status", orgs_remove=[bank.id])
    counts = outbox.deliver(mail_app)
    assert counts["sent"] == 0 and counts["withdrawn"] >= 2
    assert smtp.mails == []


def test_without_smtp_nothing_is_queued(app, make, people):
    room = make.room(people.lead, tlp="GREEN")
    make.event(people.lead, room, body="@sana.banker hello")
    with database(app).transaction() as s:
        assert s.scalars(select(MailOutbox)).all() == []
        assert set(s.scalars(select(Notification.mail))) == {""}


def test_the_mail_admin_page_shows_the_backlog(mail_app, mail_make, smtp):
    from tests.conftest import login

    national, _b, _lead, banker = mail_people(mail_make)
    admin = mail_make.user("root@m.example", org=national, role="admin")
    client = mail_app.test_client()
    login(client, banker.email)
    assert client.get("/admin/mail").status_code == 404
    client = mail_app.test_client()
    login(client, admin.email)
    page = client.get("/admin/mail").get_data(as_text=True)
    assert "Mail outbox" in page and f"127.0.0.1:{smtp.port}" in page


def test_digest_rows_name_their_notifications(mail_app, mail_make, smtp):
    from council.notifications import services

    _n, _b, lead, banker = mail_people(mail_make)
    mail_make.run(services.set_preferences, user=banker, modes={"mention": "daily"})
    room = mail_make.room(lead, tlp="GREEN")
    mail_make.event(lead, room, body="@sana.banker one")
    assert mail_make.run(outbox.make_digests, now=utcnow() + timedelta(hours=25)) == 1
    with database(mail_app).transaction() as s:
        row = s.scalars(select(MailOutbox).where(MailOutbox.digest_ids != "")).one()
        ids = json.loads(row.digest_ids)
        assert [n.mail for n in s.scalars(select(Notification).where(Notification.id.in_(ids)))] == ["digested"]


# --- what the review found: each stays fixed -------------------------------------------------------


def test_a_title_with_a_line_break_neither_stops_the_queue_nor_repeats_mail(mail_app, mail_make, smtp):
    _n, bank, lead, _banker = mail_people(mail_make)
    room = mail_make.room(lead, title="Wave\nBcc: evil@evil.example", tlp="GREEN", orgs=(bank,))
    mail_make.event(lead, room, body="@sana.banker the next one")
    assert outbox.deliver(mail_app)["sent"] == 2
    assert outbox.deliver(mail_app, now=utcnow() + timedelta(minutes=6))["sent"] == 0  # nothing twice
    assert len(smtp.mails) == 2 and all(m["Bcc"] is None for m in smtp.mails)  # no header was injected
    assert any("Wave Bcc: evil@evil.example" in " ".join(m["Subject"].split()) for m in smtp.mails)


def test_a_pass_stops_at_an_unreachable_server_and_gives_back_what_it_did_not_reach(mail_app, mail_make, smtp):
    import time

    from council.notifications.services import Note, notify

    _n, _b, _lead, banker = mail_people(mail_make)
    for i in range(5):
        mail_make.run(notify, note=Note(kind="mention", title=f"m{i}", url="/", dedupe_key=f"u{i}"),
                      recipients=[banker])
    smtp.stop()
    started = time.monotonic()
    assert outbox.deliver(mail_app)["retry"] == 5  # one failed connection: the whole pass waits
    assert time.monotonic() - started < 5
    smtp.start()
    later = utcnow() + timedelta(minutes=1)
    assert outbox.deliver(mail_app, now=later, budget_s=0)["sent"] == 1  # out of time after the first
    with database(mail_app).session(write=False) as s:
        assert sorted(r.status for r in s.scalars(select(MailOutbox))) == ["pending"] * 4 + ["sent"]
    assert outbox.deliver(mail_app, now=later)["sent"] == 4


def test_a_claim_taken_over_after_the_lease_is_not_overwritten(mail_app, mail_make, smtp):
    from council.notifications.services import Note, notify

    _n, _b, _lead, banker = mail_people(mail_make)
    mail_make.run(notify, note=Note(kind="mention", title="once", url="/"), recipients=[banker])
    with database(mail_app).transaction() as s:
        [row_id] = outbox.claim(s, now=utcnow(), worker="slow")
    later = utcnow() + outbox.LEASE + timedelta(seconds=1)
    assert outbox.deliver(mail_app, now=later, worker="fast")["sent"] == 1  # the stale claim is taken over
    assert outbox._record(database(mail_app), row_id, "retry", "late", "", "slow") is False
    with database(mail_app).session(write=False) as s:
        assert s.get(MailOutbox, row_id).status == "sent"


def test_mail_carries_the_marking_the_item_has_now(mail_app, mail_make, smtp):
    from council.notifications import services

    _n, bank, lead, banker = mail_people(mail_make)
    mail_make.run(services.set_preferences, user=banker, modes={"mention": "hourly"})
    room = mail_make.room(lead, title="Public wave", tlp="GREEN", orgs=(bank,))
    mail_make.event(lead, room, body="@sana.banker the secret detail 4411")
    mail_make.event(lead, room, kind="status", tlp="AMBER")
    later = utcnow() + timedelta(minutes=61)
    mail_make.run(outbox.make_digests, now=later)
    outbox.deliver(mail_app, now=later)
    digest = next(m for m in smtp.mails if "digest" in m["Subject"])
    assert digest["Subject"].startswith("[TLP:AMBER]")
    assert "4411" not in digest.get_payload() and "Public wave" not in digest.get_payload()


def test_a_redacted_mention_is_never_mailed(mail_app, mail_make, smtp):
    _n, _b, lead, banker = mail_people(mail_make)
    room = mail_make.room(lead, tlp="GREEN")
    event = mail_make.event(lead, room, body="@sana.banker sent by mistake: the password is hunter2")
    mail_make.event(lead, room, kind="message", redacts=event.seq)
    outbox.deliver(mail_app)
    assert [m for m in smtp.mails if "hunter2" in m.get_payload()] == []
    del banker


def test_mention_autocomplete_is_not_a_directory(app, make, api, people):
    room = make.room(people.lead, tlp="GREEN", members=(people.colleague,))
    for q in ("", "%", "_", "a"):
        assert api.get(people.lead, f"/rooms/{room.id}/mentionable", q=q).get_json() == {"people": [], "orgs": []}
    # Only the room's own people are offered, though anyone may read a GREEN room.
    got = api.get(people.lead, f"/rooms/{room.id}/mentionable", q="banker").get_json()
    assert got["people"] == []
    got = api.get(people.lead, f"/rooms/{room.id}/mentionable", q="cyrus").get_json()
    assert [p["handle"] for p in got["people"]] == ["cyrus.colleague"]
    assert api.get(people.outsider, f"/rooms/{room.id}/mentionable", q="cyrus").status_code == 403  # an observer


def test_mark_read_never_sends_you_elsewhere(app, make, client, people):
    from tests.conftest import csrf, login

    login(client, people.banker.email)
    token = csrf(client, "/notifications")
    for target in ("/\t/evil.example", "//evil.example", "/\\evil.example", "https://evil.example/", "/\n/x"):
        answer = client.post("/notifications/read", data={"all": "1", "csrf_token": token, "next": target})
        assert answer.status_code == 302 and answer.headers["Location"] == "/notifications", target


def test_a_longer_word_is_not_a_shorter_handle():
    assert names_in("<p>@" + "a" * 45 + " and @sana.banker.</p>") == ["sana.banker"]


def test_a_person_and_an_organisation_never_share_a_name(make):
    org = make.org("Ops")
    person = make.user("someone@x.example", name="Ops")
    assert org.short_name == "ops" and person.handle != "ops"


def test_editing_a_message_rings_only_the_people_it_adds(app, make, people):
    room = make.room(people.lead, tlp="GREEN")
    first = make.event(people.lead, room, body="@sana.banker have a look")
    make.event(people.lead, room, kind="message", edits=first.seq, body="@sana.banker @omar.banker have a look")
    assert [n.user_id for n in notes(app, kind="mention")] == [people.banker.id, people.banker2.id]
