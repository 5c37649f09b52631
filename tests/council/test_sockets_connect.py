"""Socket.IO connect: who may connect, and how a revocation closes open sockets."""

from __future__ import annotations

import pytest

from council import realtime
from council.actors import SYSTEM
from council.auth.services import reset_password, set_active
from council.auth.tokens import create_token
from council.extensions import database, socketio
from council.sockets import origin_allowed, registry
from tests.conftest import csrf, login
from tests.factories import PASSWORD


@pytest.fixture
def connect(app):
    opened = []

    def _connect(**kwargs):
        sock = socketio(app).test_client(app, **kwargs)
        opened.append(sock)
        return sock

    yield _connect
    for sock in opened:
        if sock.is_connected():
            sock.disconnect()


def token_for(make, user, label="socket"):
    _token, text = make.run(create_token, actor=SYSTEM, user=user, label=label)
    return _token, text


def open_connections(app) -> int:
    return len(registry(app).by_sid)


def test_anonymous_connect_is_refused(app, client, connect):
    sock = connect(flask_test_client=client)
    assert sock.is_connected() is False
    assert open_connections(app) == 0


@pytest.mark.parametrize("auth", [{"token": "cct_not-a-real-token"}, {"token": "garbage"}, {"token": ""},
                                  {"other": "x"}, "just a string"])
def test_bad_token_is_refused(app, connect, make, auth):
    make.user()
    sock = connect(auth=auth)
    assert sock.is_connected() is False
    assert open_connections(app) == 0


def test_a_valid_api_token_connects_as_its_user(app, connect, make):
    user = make.user()
    token, text = token_for(make, user)
    sock = connect(auth={"token": text})
    assert sock.is_connected() is True
    [conn] = registry(app).by_sid.values()
    assert (conn.user_id, conn.token_id) == (user.id, token.id)


def test_a_signed_in_session_connects(app, client, connect, make):
    user = make.user("s@example.org")
    login(client, "s@example.org", PASSWORD)
    sock = connect(flask_test_client=client)
    assert sock.is_connected() is True
    [conn] = registry(app).by_sid.values()
    assert (conn.user_id, conn.token_id) == (user.id, None)


def test_a_signed_out_session_no_longer_connects(app, client, connect, make):
    make.user("out@example.org")
    login(client, "out@example.org", PASSWORD)
    client.post("/logout", data={"csrf_token": csrf(client)})
    assert connect(flask_test_client=client).is_connected() is False


def test_a_token_of_a_deactivated_user_is_refused(app, connect, make):
    user = make.user()
    _token, text = token_for(make, user)
    make.run(set_active, actor=SYSTEM, user_id=user.id, active=False)
    assert connect(auth={"token": text}).is_connected() is False


@pytest.mark.parametrize("origin", ["https://evil.example", "http://localhost.evil.example", "null"])
def test_a_foreign_origin_is_refused_even_with_a_valid_session(app, client, connect, make, origin):
    make.user("o@example.org")
    login(client, "o@example.org", PASSWORD)
    sock = connect(flask_test_client=client, headers={"Origin": origin})
    assert sock.is_connected() is False
    assert open_connections(app) == 0


def test_the_apps_own_origin_is_accepted(app, client, connect, make):
    make.user("own@example.org")
    login(client, "own@example.org", PASSWORD)
    assert connect(flask_test_client=client, headers={"Origin": "http://localhost"}).is_connected() is True


def test_origin_rules():
    own = "https://council.example/"
    assert origin_allowed(None, own, ())  # non-browser clients send none
    assert origin_allowed("https://council.example", own, ())
    assert not origin_allowed("https://evil.example", own, ())
    allowed = ("https://ops.council.example",)
    assert origin_allowed("https://ops.council.example/", own, allowed)
    assert not origin_allowed("https://council.example", own, allowed)  # once listed, only the list counts


def test_deactivating_a_user_disconnects_their_open_sockets(app, client, connect, make):
    user = make.user("leaver@example.org")
    bystander = make.user()
    login(client, "leaver@example.org", PASSWORD)
    _t, text = token_for(make, user)
    _t2, other_text = token_for(make, bystander)
    by_session = connect(flask_test_client=client)
    by_token = connect(auth={"token": text})
    other = connect(auth={"token": other_text})
    assert by_session.is_connected() and by_token.is_connected() and other.is_connected()

    with database(app).transaction(after_commit=realtime.flush) as s:
        set_active(s, actor=SYSTEM, user_id=user.id, active=False)

    assert by_session.is_connected() is False
    assert by_token.is_connected() is False
    assert other.is_connected() is True
    assert [c.user_id for c in registry(app).by_sid.values()] == [bystander.id]


def test_a_rolled_back_deactivation_disconnects_nobody(app, connect, make):
    user = make.user()
    _t, text = token_for(make, user)
    sock = connect(auth={"token": text})
    with pytest.raises(RuntimeError), database(app).transaction(after_commit=realtime.flush) as s:
        set_active(s, actor=SYSTEM, user_id=user.id, active=False)
        raise RuntimeError("abandon")
    assert sock.is_connected() is True


def test_a_password_reset_disconnects_the_users_sockets(app, connect, make):
    user = make.user()
    _t, text = token_for(make, user)
    sock = connect(auth={"token": text})
    make.run(reset_password, actor=SYSTEM, user_id=user.id, new_password="a fresh strong passphrase")
    assert sock.is_connected() is False


def test_revoking_a_token_disconnects_only_the_sockets_opened_with_it(app, client, connect, make):
    user = make.user("t@example.org")
    login(client, "t@example.org", PASSWORD)
    token, text = token_for(make, user, "revoke me")
    _keep, keep_text = token_for(make, user, "keep me")
    with_revoked = connect(auth={"token": text})
    with_kept = connect(auth={"token": keep_text})
    by_session = connect(flask_test_client=client)

    response = client.post(f"/account/tokens/{token.id}/revoke", data={"csrf_token": csrf(client)})
    assert response.status_code == 302

    assert with_revoked.is_connected() is False
    assert with_kept.is_connected() is True
    assert by_session.is_connected() is True
    assert connect(auth={"token": text}).is_connected() is False  # and it cannot come back
