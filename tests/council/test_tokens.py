"""API tokens: shown once, stored as SHA-256, revocable, and only by their owner."""

from __future__ import annotations

import hashlib
import re

import pytest
from sqlalchemy import select

from council.actors import SYSTEM
from council.audit.models import AuditEntry
from council.auth.models import ApiToken
from council.auth.services import set_active
from council.auth.tokens import PREFIX, create_token, resolve_token, revoke_token
from council.errors import NotFound
from council.extensions import database
from tests.conftest import csrf, login
from tests.factories import PASSWORD

TOKEN_RE = re.compile(r'<code class="token" id="new-token">([^<]+)</code>')


def create_via_page(client, label: str = "SOAR integration") -> tuple[str, str]:
    response = client.post("/account/tokens", data={"csrf_token": csrf(client), "label": label})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    match = TOKEN_RE.search(html)
    assert match, "the new token is not on the page"
    return match.group(1), html


def stored_tokens(app) -> list[ApiToken]:
    with database(app).session(write=False) as s:
        return list(s.scalars(select(ApiToken).order_by(ApiToken.id)))


def resolves(app, text: str) -> ApiToken | None:
    with database(app).session(write=False) as s:
        return resolve_token(s, text)


def test_token_is_shown_once_on_creation_and_never_again(app, client, make):
    make.user("t@example.org", second_factor=True)
    login(client, "t@example.org", PASSWORD)
    text, html = create_via_page(client)
    assert text.startswith(PREFIX) and len(text) > 40
    assert "Copy it now: it is shown only once." in html and "SOAR integration" in html

    later = client.get("/account").get_data(as_text=True)
    assert text not in later
    assert "SOAR integration" in later and text[:10] + "…" in later  # the prefix identifies it


def test_only_the_sha256_of_the_token_is_stored(app, client, make):
    make.user("t@example.org", second_factor=True)
    login(client, "t@example.org", PASSWORD)
    text, _ = create_via_page(client)
    [row] = stored_tokens(app)
    assert row.token_hash == hashlib.sha256(text.encode()).hexdigest()
    assert row.prefix == text[:10]
    with database(app).session(write=False) as s:
        for table_row in s.execute(select(ApiToken.__table__)).all():
            assert text not in repr(table_row)
        for entry in s.scalars(select(AuditEntry)):
            assert text not in entry.details
    assert resolves(app, text).id == row.id


def test_revoking_via_the_account_page_makes_the_token_useless(app, client, make):
    make.user("t@example.org", second_factor=True)
    login(client, "t@example.org", PASSWORD)
    text, _ = create_via_page(client, "to revoke")
    [row] = stored_tokens(app)
    response = client.post(f"/account/tokens/{row.id}/revoke", data={"csrf_token": csrf(client)},
                           follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Token “to revoke” revoked." in html
    assert "revoked " in html and "tag-ok" not in html
    assert stored_tokens(app)[0].revoked_at is not None
    assert resolves(app, text) is None


def test_token_creation_without_csrf_is_refused(app, client, make):
    make.user("t@example.org")
    login(client, "t@example.org", PASSWORD)
    response = client.post("/account/tokens", data={"label": "no csrf"})
    assert response.status_code == 400
    assert stored_tokens(app) == []


def test_a_user_cannot_revoke_someone_elses_token(app, client, make):
    owner = make.user("owner@example.org")
    make.user("other@example.org")
    _token, text = make.run(create_token, actor=SYSTEM, user=owner, label="owner's")
    [row] = stored_tokens(app)
    login(client, "other@example.org", PASSWORD)
    response = client.post(f"/account/tokens/{row.id}/revoke", data={"csrf_token": csrf(client)})
    assert response.status_code == 404
    assert "There is nothing here" in response.get_data(as_text=True)
    assert stored_tokens(app)[0].revoked_at is None
    assert resolves(app, text) is not None


def test_the_other_users_token_is_not_listed_on_my_account_page(app, client, make):
    owner = make.user("owner@example.org")
    make.user("other@example.org")
    make.run(create_token, actor=SYSTEM, user=owner, label="secret integration")
    login(client, "other@example.org", PASSWORD)
    html = client.get("/account").get_data(as_text=True)
    assert "secret integration" not in html and "No tokens yet." in html


def test_revoke_service_refuses_other_users_and_unknown_ids(app, make):
    owner, other = make.user(), make.user()
    token, _text = make.run(create_token, actor=SYSTEM, user=owner, label="x")
    with pytest.raises(NotFound):
        make.run(revoke_token, actor=other, token_id=token.id)
    with pytest.raises(NotFound):
        make.run(revoke_token, actor=owner, token_id=token.id + 999)


def test_a_member_cannot_create_a_token_for_someone_else(app, make):
    member, victim = make.user(), make.user()
    with pytest.raises(NotFound):
        make.run(create_token, actor=member, user=victim, label="sneaky")
    assert stored_tokens(app) == []


def test_tokens_of_deactivated_users_do_not_resolve(app, make):
    user = make.user()
    _token, text = make.run(create_token, actor=SYSTEM, user=user, label="x")
    assert resolves(app, text) is not None
    make.run(set_active, actor=SYSTEM, user_id=user.id, active=False)
    assert resolves(app, text) is None
    make.run(set_active, actor=SYSTEM, user_id=user.id, active=True)
    assert resolves(app, text) is not None


@pytest.mark.parametrize("text", ["", "cct_", "not-a-token", "cct_" + "x" * 200])
def test_garbage_does_not_resolve(app, make, text):
    user = make.user()
    make.run(create_token, actor=SYSTEM, user=user, label="x")
    assert resolves(app, text) is None


def test_token_creation_and_revocation_are_audited(app, make):
    user = make.user(second_factor=True)
    token, _text = make.run(create_token, actor=user, user=user, label="audited",
                            second_factor=make.second_factor_mark(user))
    make.run(revoke_token, actor=user, token_id=token.id)
    with database(app).session(write=False) as s:
        rows = list(s.scalars(select(AuditEntry).where(AuditEntry.target_type == "token")))
    assert [(r.action, r.actor_id, r.target_id) for r in rows] == [
        ("token.create", user.id, str(token.id)), ("token.revoke", user.id, str(token.id)),
    ]
