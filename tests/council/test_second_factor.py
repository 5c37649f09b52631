"""The second factor: services (enrol, verify, replay, limit, recovery, remove, reset)
and through HTTP and Socket.IO (code step, TLP:RED step-up, token creation)."""

from __future__ import annotations

import io
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from council.audit.models import AuditEntry
from council.auth import mfa
from council.auth.models import RecoveryCode, SecondFactor
from council.auth.totp import step_at
from council.config import ConfigError, from_env
from council.db import utcnow
from council.errors import Forbidden, Invalid
from council.extensions import database, socketio
from council.notifications.models import Notification
from tests.conftest import csrf, csrf_from, login, submit_code
from tests.factories import PASSWORD, totp_code


def code_for(secret: str, at=None) -> str:
    return pyotp.TOTP(secret).generate_otp(step_at(at or utcnow()))


def actions(app, user_id: int) -> list[str]:
    with database(app).session(write=False) as s:
        return [e.action for e in s.scalars(select(AuditEntry).where(AuditEntry.target_id == str(user_id))
                                            .order_by(AuditEntry.id))]


def notes(app, user_id: int) -> list[str]:
    with database(app).session(write=False) as s:
        return list(s.scalars(select(Notification.title).where(Notification.user_id == user_id)
                              .order_by(Notification.id)))


def enrol_by_service(make, user) -> tuple[str, list[str]]:
    """Enrol through the services as a person would: returns (secret, recovery codes)."""
    enrolment = make.run(mfa.start_enrolment, user=user)
    result = make.run(mfa.confirm_enrolment, user=user, password=PASSWORD, code=code_for(enrolment.secret))
    assert result.ok, result.errors
    return enrolment.secret, result.recovery_codes


# --- services --------------------------------------------------------------------------

def test_enrolment_needs_the_password_and_a_code_of_the_new_key_and_is_audited_and_told(app, make):
    user = make.user()
    enrolment = make.run(mfa.start_enrolment, user=user)
    assert enrolment.uri.startswith("otpauth://totp/") and "CERT%20Council" in enrolment.uri
    bad = make.run(mfa.confirm_enrolment, user=user, password="wrong password!", code=code_for(enrolment.secret))
    assert not bad.ok and "password" in bad.errors
    wrong = make.run(mfa.confirm_enrolment, user=user, password=PASSWORD, code="000000")
    assert not wrong.ok and "code" in wrong.errors
    good = make.run(mfa.confirm_enrolment, user=user, password=PASSWORD, code=code_for(enrolment.secret))
    assert good.ok and len(good.recovery_codes) == 10 and len(set(good.recovery_codes)) == 10
    assert good.mark == f"{user.id}:1"
    assert "mfa.enrol" in actions(app, user.id)
    assert notes(app, user.id) == ["A second factor now protects your account"]


def test_the_secret_and_recovery_codes_are_never_stored_in_clear(app, make):
    user = make.user()
    secret, codes = enrol_by_service(make, user)
    with database(app).session(write=False) as s:
        factor = s.get(SecondFactor, user.id)
        hashes = list(s.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)))
    assert secret not in factor.secret_sealed and factor.secret_sealed.startswith("v1:")
    assert len(hashes) == 10 and not {c.replace("-", "") for c in codes} & set(hashes)


def test_a_code_is_accepted_once_and_never_replayed_in_its_window(app, make):
    user = make.user()
    secret, _ = enrol_by_service(make, user)
    now = utcnow() + timedelta(seconds=90)  # past the enrolment code's step
    code = code_for(secret, now)
    assert make.run(mfa.verify, user=user, code=code, now=now).ok
    again = make.run(mfa.verify, user=user, code=code, now=now)
    assert not again.ok and "already used" in again.message
    # An older code (the previous step) is refused too once a later one was used.
    previous = pyotp.TOTP(secret).generate_otp(step_at(now) - 1)
    assert not make.run(mfa.verify, user=user, code=previous, now=now).ok
    later = now + timedelta(seconds=30)
    assert make.run(mfa.verify, user=user, code=code_for(secret, later), now=later).ok


def test_wrong_codes_lock_the_account_codes_after_five_and_say_for_how_long(app, make):
    user = make.user()
    secret, _ = enrol_by_service(make, user)
    now = utcnow() + timedelta(seconds=60)
    for _ in range(4):
        assert not make.run(mfa.verify, user=user, code="123456", now=now).ok
    fifth = make.run(mfa.verify, user=user, code="123456", now=now)
    assert fifth.message == "Too many wrong codes: try again in 1 minute."
    # Even the right code is refused while locked; accepted once the lock has passed.
    locked = make.run(mfa.verify, user=user, code=code_for(secret, now), now=now)
    assert not locked.ok and "Too many" in locked.message
    later = now + timedelta(minutes=2)
    assert make.run(mfa.verify, user=user, code=code_for(secret, later), now=later).ok
    assert actions(app, user.id).count("mfa.failed") == 5 and "auth.lockout" in actions(app, user.id)


def test_each_recovery_code_works_once_and_says_how_many_are_left(app, make):
    user = make.user()
    _secret, codes = enrol_by_service(make, user)
    first = make.run(mfa.verify, user=user, code=codes[0].upper())
    assert first.ok and first.recovery_left == 9
    assert not make.run(mfa.verify, user=user, code=codes[0]).ok
    assert make.run(mfa.verify, user=user, code=codes[1].replace("-", " ")).ok
    assert actions(app, user.id).count("mfa.recovery_used") == 2
    assert notes(app, user.id)[-1] == "A recovery code was used to sign in"


def test_new_recovery_codes_replace_the_old_ones(app, make):
    user = make.user()
    secret, old = enrol_by_service(make, user)
    now = utcnow() + timedelta(seconds=60)
    result = make.run(mfa.regenerate_recovery_codes, user=user, password=PASSWORD, code=code_for(secret, now),
                      now=now)
    assert result.ok and len(result.recovery_codes) == 10
    assert not make.run(mfa.verify, user=user, code=old[0]).ok
    assert make.run(mfa.verify, user=user, code=result.recovery_codes[0]).ok


def test_replacing_needs_the_old_code_and_voids_earlier_session_marks(app, make):
    user = make.user()
    secret, _ = enrol_by_service(make, user)
    old_mark = make.second_factor_mark(user)
    refused = make.run(mfa.start_reenrolment, user=user, password=PASSWORD, code="000000")
    assert isinstance(refused, mfa.Checked) and not refused.ok
    now = utcnow() + timedelta(seconds=60)
    fresh = make.run(mfa.start_reenrolment, user=user, password=PASSWORD, code=code_for(secret, now), now=now)
    assert isinstance(fresh, mfa.Enrolment) and fresh.secret != secret
    done = make.run(mfa.confirm_enrolment, user=user, password=PASSWORD, code=code_for(fresh.secret, now), now=now)
    assert done.ok and done.mark != old_mark
    with database(app).session(write=False) as s:
        assert not mfa.session_verified(s, s.merge(user), old_mark)
        assert mfa.session_verified(s, s.merge(user), done.mark)
    assert "mfa.reenrol" in actions(app, user.id)


def test_removal_needs_password_and_current_code(app, make):
    user = make.user()
    secret, _ = enrol_by_service(make, user)
    now = utcnow() + timedelta(seconds=60)
    refused = make.run(mfa.remove, user=user, password="not the password", code=code_for(secret, now),
                       policy="admins", now=now)
    assert not refused.ok and "password" in refused.errors
    assert make.run(mfa.remove, user=user, password=PASSWORD, code=code_for(secret, now), policy="admins",
                    now=now).ok
    with database(app).session(write=False) as s:
        assert not mfa.is_enrolled(s, s.merge(user))
        assert s.scalar(select(RecoveryCode.id).where(RecoveryCode.user_id == user.id)) is None
    assert "mfa.remove" in actions(app, user.id)


def test_an_admin_reset_is_audited_and_the_person_is_told(app, make):
    admin = make.user(role="admin")
    user = make.user(second_factor=True)
    mark = make.second_factor_mark(user)
    with pytest.raises(Forbidden):
        make.run(mfa.admin_reset, actor=user, user_id=admin.id)
    make.run(mfa.admin_reset, actor=admin, user_id=user.id)
    with database(app).session(write=False) as s:
        assert not mfa.is_enrolled(s, s.merge(user))
        assert not mfa.session_verified(s, s.merge(user), mark)
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "mfa.admin_reset")).one()
        assert (entry.actor_id, entry.target_id) == (admin.id, str(user.id))
        note = s.scalars(select(Notification).where(Notification.user_id == user.id)).one()
    assert note.kind == "account_security" and note.urgent and note.title == "A platform admin reset your second factor"
    with pytest.raises(Invalid):
        make.run(mfa.admin_reset, actor=admin, user_id=user.id)


def test_policy_admins_always_everyone_with_all(app, make):
    admin, member = make.user(role="admin", second_factor=False), make.user()
    with database(app).session(write=False) as s:
        assert mfa.must_enrol(s, s.merge(admin), "admins") and not mfa.must_enrol(s, s.merge(member), "admins")
        assert mfa.must_enrol(s, s.merge(member), "all")


def test_the_mfa_setting_is_checked_at_start_up(tmp_path):
    assert from_env(tmp_path, {"COUNCIL_SECRET_KEY": "k"}).mfa == "admins"
    assert from_env(tmp_path, {"COUNCIL_SECRET_KEY": "k", "COUNCIL_MFA": "ALL"}).mfa == "all"
    with pytest.raises(ConfigError, match="COUNCIL_MFA must be 'admins'"):
        from_env(tmp_path, {"COUNCIL_SECRET_KEY": "k", "COUNCIL_MFA": "some"})


# --- HTTP: the code step, enrolment gate, step-up, tokens -------------------------------

def test_sign_in_asks_for_the_code_and_a_half_signed_in_session_opens_nothing(app, client, make):
    make.user("admin@example.org", role="admin")
    answer = login(client, "admin@example.org", code=False)
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/login/code")
    assert client.get("/").headers["Location"].startswith("/login")  # not signed in yet
    assert client.get("/api/v1/orgs").status_code == 401
    assert not socketio(app).test_client(app, flask_test_client=client).is_connected()
    page = client.get("/login/code").get_data(as_text=True)
    assert 'autocomplete="one-time-code"' in page and 'inputmode="numeric"' in page and '<label for="code">' in page
    wrong = submit_code(client, "000000")
    assert wrong.status_code == 401 and "not correct" in wrong.get_data(as_text=True)
    done = submit_code(client, totp_code(app, "admin@example.org"))
    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert client.get("/").status_code == 200


def test_an_admin_without_a_factor_is_sent_to_enrol_before_anything_else(app, client, make):
    make.user("new@example.org", role="admin", second_factor=False)
    answer = login(client, "new@example.org")
    assert answer.headers["Location"] == "/"
    assert client.get("/").headers["Location"] == "/account/second-factor"
    assert client.get("/rooms/").headers["Location"] == "/account/second-factor"
    assert client.get("/api/v1/orgs").status_code == 403
    assert not socketio(app).test_client(app, flask_test_client=client).is_connected()
    page = client.get("/account/second-factor").get_data(as_text=True)
    assert "Your account requires a second factor" in page
    client.post("/account/second-factor/start", data={"csrf_token": csrf_from(page)})
    page = client.get("/account/second-factor").get_data(as_text=True)
    assert "<svg" in page and 'class="qr"' in page and 'id="manual-key"' in page
    key = page.split('id="manual-key"', 1)[1].split(">", 1)[1].split("<", 1)[0].replace(" ", "")
    shown = client.post("/account/second-factor/confirm", data={
        "csrf_token": csrf_from(page), "password": PASSWORD, "code": code_for(key)})
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200 and "Shown only now." in html and html.count("<li><code>") == 10
    assert client.get("/").status_code == 200
    assert "Shown only now." not in client.get("/account/second-factor").get_data(as_text=True)


def test_only_the_session_that_starts_a_key_sees_it_and_setting_it_up_ends_the_others(app, client, make):
    person = make.user("two@example.org")
    other = app.test_client()  # a second session of the account (say, opened with a stolen password)
    login(other, "two@example.org")
    login(client, "two@example.org")
    page = client.get("/account/second-factor").get_data(as_text=True)
    client.post("/account/second-factor/start", data={"csrf_token": csrf_from(page)})
    page = client.get("/account/second-factor").get_data(as_text=True)
    key = page.split('id="manual-key"', 1)[1].split(">", 1)[1].split("<", 1)[0].replace(" ", "")
    assert key and key[:8] not in other.get("/account/second-factor").get_data(as_text=True).replace(" ", "")
    done = client.post("/account/second-factor/confirm", data={
        "csrf_token": csrf_from(page), "password": PASSWORD, "code": code_for(key)})
    assert done.status_code == 200 and "Shown only now." in done.get_data(as_text=True)
    assert client.get("/").status_code == 200  # this browser stays signed in
    assert other.get("/").headers["Location"].startswith("/login")  # every other session ended
    assert "auth.sessions_ended" in actions(app, person.id)


def test_a_red_room_page_asks_for_the_step_up_then_opens(app, client, make):
    member = make.user("m@example.org", second_factor=True)
    room = make.room(member, title="Red room", tlp="RED")
    amber = make.room(member, title="Amber room", tlp="AMBER")
    # Signed in by password alone? No: an enrolled person passes the code step, which
    # verifies the session. A session restored without it (here: the mark dropped) is asked again.
    login(client, "m@example.org")
    assert client.get(f"/rooms/{room.id}").status_code == 200
    with client.session_transaction() as sess:
        sess.pop("second_factor")
    asked = client.get(f"/rooms/{room.id}")
    assert asked.headers["Location"] == f"/account/second-factor/verify?next=/rooms/{room.id}"
    assert client.get(f"/rooms/{amber.id}").status_code == 200
    page = client.get(asked.headers["Location"]).get_data(as_text=True)
    assert 'autocomplete="one-time-code"' in page
    done = client.post(asked.headers["Location"], data={"csrf_token": csrf_from(page),
                                                        "code": totp_code(app, "m@example.org")})
    assert done.headers["Location"] == f"/rooms/{room.id}"
    assert client.get(f"/rooms/{room.id}").status_code == 200


def test_the_sessions_api_reads_a_red_room_only_after_the_step_up(app, client, make):
    member = make.user("api@example.org", second_factor=True)
    room = make.room(member, title="Red room", tlp="RED")
    hidden = make.room(make.user("other@example.org"), title="Someone else's red room", tlp="RED")
    login(client, "api@example.org")
    assert client.get(f"/api/v1/rooms/{room.id}/events").status_code == 200
    with client.session_transaction() as sess:
        sess.pop("second_factor")
    refused = client.get(f"/api/v1/rooms/{room.id}/events")
    assert refused.status_code == 403 and refused.get_json()["fields"] == {"second_factor": "enter a code"}
    assert client.get(f"/api/v1/rooms/{room.id}/indicators").status_code == 403
    assert client.get(f"/api/v1/rooms/{hidden.id}/events").status_code == 404  # invisible stays 404
    token = make.api_token(member)[1]
    assert client.get(f"/api/v1/rooms/{room.id}/events",
                      headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_a_red_room_needs_enrolment_first_for_someone_without_a_factor(app, client, make):
    member = make.user("plain@example.org")
    room = make.room(member, title="Red room", tlp="RED")
    login(client, "plain@example.org")
    asked = client.get(f"/rooms/{room.id}")
    step = client.get(asked.headers["Location"])
    assert step.headers["Location"] == f"/account/second-factor?next=/rooms/{room.id}"


def test_a_socket_join_to_a_red_room_is_refused_without_the_step_up(app, client, make):
    member = make.user("m@example.org", second_factor=True)
    red = make.room(member, title="Red room", tlp="RED")
    green = make.room(member, title="Green room", tlp="GREEN")
    login(client, "m@example.org")
    with client.session_transaction() as sess:
        sess.pop("second_factor")
    sock = socketio(app).test_client(app, flask_test_client=client)
    refused = sock.emit("join", {"room": red.id}, callback=True)
    assert refused["ok"] is False and "TLP:RED" in refused["error"] and refused["fields"]["second_factor"]
    assert sock.emit("join", {"room": green.id}, callback=True)["ok"] is True
    posted = sock.emit("post", {"room": red.id, "kind": "message", "body": "in without a code",
                                "client_id": "no-step-up-1"}, callback=True)
    assert posted["ok"] is False and posted["fields"]["second_factor"]  # posting opens it too
    sock.disconnect()
    # After the step-up the page's new socket joins.
    submit_code(client, totp_code(app, "m@example.org"), path=f"/account/second-factor/verify?next=/rooms/{red.id}")
    again = socketio(app).test_client(app, flask_test_client=client)
    assert again.emit("join", {"room": red.id}, callback=True)["ok"] is True
    again.disconnect()
    # A token is for machines: its socket joins without a step-up.
    _row, token = make.api_token(member)
    machine = socketio(app).test_client(app, auth={"token": token})
    assert machine.emit("join", {"room": red.id}, callback=True)["ok"] is True
    machine.disconnect()


def test_creating_an_api_token_needs_the_second_factor_in_this_session(app, client, make):
    make.user("plain@example.org")
    login(client, "plain@example.org")
    refused = client.post("/account/tokens", data={"csrf_token": csrf(client), "label": "x"})
    assert refused.headers["Location"] == "/account/second-factor?next=/account"
    make.user("m@example.org", second_factor=True)
    client.post("/logout", data={"csrf_token": csrf(client)})
    login(client, "m@example.org")
    with client.session_transaction() as sess:
        sess.pop("second_factor")
    asked = client.post("/account/tokens", data={"csrf_token": csrf(client), "label": "x"})
    assert asked.headers["Location"] == "/account/second-factor/verify?next=/account"
    submit_code(client, totp_code(app, "m@example.org"), path="/account/second-factor/verify?next=/account")
    made = client.post("/account/tokens", data={"csrf_token": csrf(client), "label": "x"})
    assert made.status_code == 200 and "shown only once" in made.get_data(as_text=True)
    # The operator at the command line is not asked.
    assert make.api_token(make.user())[1].startswith("cct_")


def test_the_admin_resets_a_factor_from_the_people_page(app, client, make):
    make.user("admin@example.org", role="admin")
    person = make.user("p@example.org", second_factor=True)
    login(client, "admin@example.org")
    page = client.get(f"/admin/users/{person.id}").get_data(as_text=True)
    assert "Reset second factor" in page
    done = client.post(f"/admin/users/{person.id}/second-factor/reset", data={"csrf_token": csrf_from(page)},
                       follow_redirects=True)
    assert "Second factor reset; the person has been told." in done.get_data(as_text=True)
    assert "mfa.admin_reset" in actions(app, person.id)
    with database(app).session(write=False) as s:
        assert not mfa.is_enrolled(s, s.merge(person))


def test_the_api_says_the_callers_second_factor_status(app, client, make):
    member = make.user("m@example.org", second_factor=True)
    login(client, "m@example.org")
    mine = client.get("/api/v1/me/mfa").get_json()
    assert mine["confirmed_at"] and {k: v for k, v in mine.items() if k != "confirmed_at"} == {
        "enrolled": True, "required": False, "recovery_codes_left": 0, "verified_in_session": True}
    _row, token = make.api_token(member)
    by_token = client.get("/api/v1/me/mfa", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert by_token["enrolled"] is True and by_token["verified_in_session"] is False


def test_the_operator_resets_a_factor_from_the_command_line(app, make):
    admin = make.user("lost@example.org", role="admin")
    runner = app.test_cli_runner()
    done = runner.invoke(args=["council", "reset-second-factor", "lost@example.org"])
    assert done.exit_code == 0 and "Second factor of lost@example.org reset" in done.output
    assert "mfa.admin_reset" in actions(app, admin.id)
    again = runner.invoke(args=["council", "reset-second-factor", "lost@example.org"])
    assert again.exit_code == 1 and "error: lost@example.org: This person has no second factor" in again.stderr
    nobody = runner.invoke(args=["council", "reset-second-factor", "nobody@example.org"])
    assert nobody.exit_code == 1 and "error: no user with email" in nobody.stderr


def test_everything_of_a_red_room_stays_closed_to_a_browser_without_the_step_up(app, client, make):
    """Not only the room's page and socket: its decisions, indicators, action items and
    searches too (access.Viewer.red_cleared), while the room lists still name the room."""
    member = make.user("m@example.org", second_factor=True)
    red = make.room(member, title="Red room", tlp="RED")
    machine = app.test_client()
    bearer = {"Authorization": f"Bearer {make.api_token(member)[1]}"}
    added = machine.post(f"/api/v1/rooms/{red.id}/indicators", headers=bearer,
                         json={"type": "ipv4", "value": "198.51.100.77", "description": "c2"})
    assert added.status_code == 201, added.get_json()
    indicator = added.get_json()["id"]
    assert machine.post(f"/api/v1/rooms/{red.id}/decisions", headers=bearer,
                        json={"title": "Sinkhole the red domain"}).status_code == 201
    assert machine.post(f"/api/v1/rooms/{red.id}/events", headers=bearer, json={
        "kind": "action", "title": "Rotate the red keys", "assignee_user_id": member.id}).status_code == 201

    def closed() -> None:
        rooms = client.get("/rooms/").get_data(as_text=True)
        assert "Red room" in rooms and "second factor" in rooms  # named, with what it needs
        assert "Red room" in client.get("/").get_data(as_text=True)
        assert "Rotate the red keys" not in client.get("/").get_data(as_text=True)  # My work
        asked = client.get(f"/rooms/{red.id}/decisions")
        assert asked.headers["Location"] == f"/account/second-factor/verify?next=/rooms/{red.id}/decisions"
        assert "Sinkhole" not in client.get("/decisions").get_data(as_text=True)
        assert client.get(f"/api/v1/indicators/{indicator}").status_code == 404
        found = client.get("/api/v1/indicators/search?q=198.51.100.77").get_json()["indicators"]
        assert found == []
        assert "198.51.100.77" not in client.get("/indicators/search?q=198.51.100.77").get_data(as_text=True)
        assert client.get(f"/api/v1/rooms/{red.id}/decisions").status_code == 403

    login(client, "m@example.org")
    with client.session_transaction() as sess:
        sess.pop("second_factor")
    closed()
    # The token still reads it all: machines were let in when the token was made.
    assert machine.get(f"/api/v1/indicators/{indicator}", headers=bearer).status_code == 200

    submit_code(client, totp_code(app, "m@example.org"), path=f"/account/second-factor/verify?next=/rooms/{red.id}")
    rooms = client.get("/rooms/").get_data(as_text=True)
    assert "Red room" in rooms and "second factor" not in rooms
    assert "Rotate the red keys" in client.get("/").get_data(as_text=True)
    assert "Sinkhole the red domain" in client.get(f"/rooms/{red.id}/decisions").get_data(as_text=True)
    assert "Sinkhole the red domain" in client.get("/decisions").get_data(as_text=True)
    assert client.get(f"/api/v1/indicators/{indicator}").get_json()["value"] == "198.51.100.77"
    assert [i["id"] for i in client.get("/api/v1/indicators/search?q=198.51.100.77").get_json()["indicators"]] == [
        indicator]


def test_a_browser_socket_without_the_step_up_gets_no_red_item_of_an_amber_room(app, client, make):
    """The socket's own database sessions follow the browser's step-up too: a RED decision
    proposed in an AMBER room reaches neither its live feed nor its join's history."""
    member = make.user("m@example.org", second_factor=True)
    room = make.room(member, title="Amber room", tlp="AMBER")
    login(client, "m@example.org")
    with client.session_transaction() as sess:
        sess.pop("second_factor")
    sock = socketio(app).test_client(app, flask_test_client=client)
    assert sock.emit("join", {"room": room.id}, callback=True)["ok"] is True
    machine = app.test_client()
    bearer = {"Authorization": f"Bearer {make.api_token(member)[1]}"}
    assert machine.post(f"/api/v1/rooms/{room.id}/decisions", headers=bearer,
                        json={"title": "Sinkhole the red domain", "tlp": "RED"}).status_code == 201
    assert machine.post(f"/api/v1/rooms/{room.id}/events", headers=bearer,
                        json={"kind": "message", "body": "an amber word"}).status_code == 201
    live = str(sock.get_received())
    assert "an amber word" in live and "Sinkhole" not in live
    history = sock.emit("join", {"room": room.id, "since": 0}, callback=True)
    assert "an amber word" in str(history["events"]) and "Sinkhole" not in str(history["events"])
    sock.disconnect()
    submit_code(client, totp_code(app, "m@example.org"), path=f"/account/second-factor/verify?next=/rooms/{room.id}")
    again = socketio(app).test_client(app, flask_test_client=client)
    assert "Sinkhole the red domain" in str(again.emit("join", {"room": room.id, "since": 0}, callback=True)["events"])
    again.disconnect()


def test_a_red_file_is_not_downloaded_by_a_browser_without_the_step_up(app, client, make):
    member = make.user("m@example.org", second_factor=True)
    room = make.room(member, title="Red room", tlp="RED")
    bearer = {"Authorization": f"Bearer {make.api_token(member)[1]}"}
    machine = app.test_client()
    uploaded = machine.post(f"/api/v1/rooms/{room.id}/files", headers=bearer, content_type="multipart/form-data",
                            data={"file": (io.BytesIO(b"red words"), "note.txt")})
    assert uploaded.status_code == 201, uploaded.get_json()
    file_id = uploaded.get_json()["id"]
    login(client, "m@example.org")
    with client.session_transaction() as sess:
        sess.pop("second_factor")
    assert client.get(f"/files/{file_id}").status_code == 404
    assert client.get(f"/api/v1/files/{file_id}").status_code == 404
    assert machine.get(f"/api/v1/files/{file_id}", headers=bearer).data == b"red words"


def test_a_red_notification_reads_only_after_the_step_up(app, client, make):
    member = make.user("m@example.org", second_factor=True)
    with database(app).transaction() as s:
        s.add(Notification(user_id=member.id, kind="mention", title="Sinkhole plan for the red domain",
                           url="/rooms/1", tlp="RED", body="the words of a RED room"))
        s.add(Notification(user_id=member.id, kind="mention", title="An amber mention", url="/rooms/2", tlp="AMBER"))
    login(client, "m@example.org")
    with client.session_transaction() as sess:
        sess.pop("second_factor")
    page = client.get("/notifications").get_data(as_text=True)
    assert "An amber mention" in page and "Sinkhole" not in page and "the words of a RED room" not in page
    assert "enter a code from your authenticator app to read it" in page
    listed = client.get("/api/v1/notifications").get_json()["notifications"]
    assert [n["title"] for n in listed if n["tlp"] == "RED"] == [
        "A TLP:RED notification: enter a code from your authenticator app to read it."]
    bearer = {"Authorization": f"Bearer {make.api_token(member)[1]}"}
    by_token = app.test_client().get("/api/v1/notifications", headers=bearer).get_json()["notifications"]
    assert "Sinkhole plan for the red domain" in [n["title"] for n in by_token]
    submit_code(client, totp_code(app, "m@example.org"), path="/account/second-factor/verify?next=/notifications")
    assert "Sinkhole plan for the red domain" in client.get("/notifications").get_data(as_text=True)
