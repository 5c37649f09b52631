"""council.auth.signin: lockout with backoff, per account and address and per address,
one generic answer for every failure, and the audit trail of it all."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from council.audit.models import AuditEntry
from council.auth.models import LoginBucket, LoginThrottle, User
from council.auth.signin import (
    ACCOUNT_FREE_FAILURES,
    ADDRESS_FREE_FAILURES,
    GENERIC_FAILURE,
    SignIn,
    authenticate,
    backoff,
)
from council.db import utcnow
from council.extensions import database
from tests.factories import PASSWORD

ADDRESS = "198.51.100.7"


def attempt(app, email: str, password: str, address: str = ADDRESS) -> SignIn:
    with database(app).transaction() as s:
        return authenticate(s, email=email, password=password, address=address)


def load(app, user_id: int) -> User:
    with database(app).session(write=False) as s:
        return s.get(User, user_id)


def unlock(app, user_id: int, address: str = ADDRESS) -> None:
    """Move the lock into the past instead of waiting for it."""
    with database(app).transaction() as s:
        s.get(LoginBucket, (user_id, address)).locked_until = utcnow() - timedelta(seconds=1)


def bucket(app, user_id: int, address: str = ADDRESS) -> LoginBucket | None:
    with database(app).session(write=False) as s:
        return s.get(LoginBucket, (user_id, address))


def actions(app) -> list[tuple[str, int | None, str]]:
    with database(app).session(write=False) as s:
        return [(a.action, a.actor_id, a.details) for a in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]


@pytest.mark.parametrize(
    ("failures", "minutes"),
    [(0, None), (4, None), (5, 1), (6, 2), (7, 4), (8, 8), (10, 32), (11, 60), (40, 60)],
)
def test_backoff_is_free_then_doubles_from_one_minute_capped_at_an_hour(failures, minutes):
    expected = None if minutes is None else timedelta(minutes=minutes)
    assert backoff(failures, ACCOUNT_FREE_FAILURES) == expected


def test_right_password_signs_in_and_records_auth_login(app, make):
    user = make.user("ok@example.org")
    result = attempt(app, "  OK@Example.org ", PASSWORD)
    assert result.user is not None and result.user.id == user.id
    assert result.message == ""
    assert load(app, user.id).last_login_at is not None
    action, actor_id, details = actions(app)[-1]
    assert (action, actor_id) == ("auth.login", user.id)
    assert ADDRESS in details


def test_wrong_password_fails_generically_and_records_auth_login_failed(app, make):
    user = make.user("wrong@example.org")
    result = attempt(app, "wrong@example.org", "not the password at all")
    assert result == SignIn(None, GENERIC_FAILURE)
    assert load(app, user.id).failed_logins == 1
    action, actor_id, details = actions(app)[-1]
    assert (action, actor_id) == ("auth.login_failed", user.id)
    assert "bad credentials" in details


def test_unknown_email_gets_the_same_message_and_is_recorded(app, make):
    make.user("known@example.org")
    unknown = attempt(app, "nobody@example.org", PASSWORD)
    wrong = attempt(app, "known@example.org", "not the password at all")
    assert unknown.user is None and unknown.message == wrong.message == GENERIC_FAILURE
    action, actor_id, _details = actions(app)[-2]
    assert (action, actor_id) == ("auth.login_failed", None)


def test_five_failures_lock_the_account_from_that_address_for_one_minute_then_two_then_four(app, make):
    user = make.user("lock@example.org")
    for _ in range(ACCOUNT_FREE_FAILURES - 1):
        attempt(app, "lock@example.org", "wrong password here")
    assert bucket(app, user.id).locked_until is None

    before = utcnow()
    attempt(app, "lock@example.org", "wrong password here")
    assert load(app, user.id).failed_logins == 5
    locked = bucket(app, user.id)
    assert timedelta(seconds=55) < locked.locked_until - before <= timedelta(minutes=1, seconds=5)
    lockouts = [a for a in actions(app) if a[0] == "auth.lockout"]
    assert lockouts == [("auth.lockout", user.id, f'{{"address":"{ADDRESS}","failures":5,"minutes":1}}')]

    for expected_minutes in (2, 4):
        unlock(app, user.id)
        before = utcnow()
        attempt(app, "lock@example.org", "wrong password here")
        span = bucket(app, user.id).locked_until - before
        assert timedelta(minutes=expected_minutes) - timedelta(seconds=5) < span
        assert span <= timedelta(minutes=expected_minutes, seconds=5)


def test_backoff_is_capped_at_sixty_minutes(app, make):
    user = make.user("cap@example.org")
    with database(app).transaction() as s:
        s.add(LoginBucket(user_id=user.id, address=ADDRESS, failures=20))
    before = utcnow()
    attempt(app, "cap@example.org", "wrong password here")
    span = bucket(app, user.id).locked_until - before
    assert timedelta(minutes=59) < span <= timedelta(minutes=60, seconds=5)
    assert actions(app)[-2][2] == f'{{"address":"{ADDRESS}","failures":21,"minutes":60}}'


def test_an_attacker_elsewhere_never_locks_the_person_out(app, make):
    """Guessing a victim's password from one address pauses that address for that
    account; the victim, signing in from their own address, is never refused."""
    victim = make.user("target@example.org")
    for _ in range(3 * ACCOUNT_FREE_FAILURES):
        attempt(app, "target@example.org", "guessing away", address="203.0.113.66")
    assert bucket(app, victim.id, "203.0.113.66").locked_until > utcnow()
    assert attempt(app, "target@example.org", PASSWORD, address="198.51.100.20").user is not None
    # The attacker's own address stays paused for that account, even with the right password.
    assert attempt(app, "target@example.org", PASSWORD, address="203.0.113.66").user is None


def test_locked_account_refuses_even_the_right_password_with_the_same_message(app, make):
    user = make.user("locked@example.org")
    for _ in range(ACCOUNT_FREE_FAILURES):
        attempt(app, "locked@example.org", "wrong password here")
    wrong = attempt(app, "locked@example.org", "wrong password here")
    right = attempt(app, "locked@example.org", PASSWORD)
    assert right == SignIn(None, GENERIC_FAILURE)
    assert right.message == wrong.message
    assert actions(app)[-1][0] == "auth.login_refused"
    assert "account locked" in actions(app)[-1][2]
    # Refusals while locked do not count: the lock does not grow.
    assert bucket(app, user.id).failures == ACCOUNT_FREE_FAILURES


def test_lock_expires_and_success_resets_the_counter(app, make):
    user = make.user("reset@example.org")
    for _ in range(ACCOUNT_FREE_FAILURES):
        attempt(app, "reset@example.org", "wrong password here")
    unlock(app, user.id)
    assert attempt(app, "reset@example.org", PASSWORD).user is not None
    assert load(app, user.id).failed_logins == 0 and bucket(app, user.id) is None
    # The free allowance is whole again: four more failures lock nothing.
    for _ in range(ACCOUNT_FREE_FAILURES - 1):
        attempt(app, "reset@example.org", "wrong password here")
    assert bucket(app, user.id).locked_until is None


def test_deactivated_user_cannot_sign_in_and_gets_the_generic_message(app, make):
    from council.actors import SYSTEM
    from council.auth.services import set_active

    user = make.user("gone@example.org")
    make.run(set_active, actor=SYSTEM, user_id=user.id, active=False)
    result = attempt(app, "gone@example.org", PASSWORD)
    assert result == SignIn(None, GENERIC_FAILURE)
    action, actor_id, details = actions(app)[-1]
    assert (action, actor_id) == ("auth.login_failed", user.id)
    assert "inactive" in details
    assert load(app, user.id).last_login_at is None


def test_twenty_failures_from_one_address_lock_it_across_accounts(app, make):
    victim = make.user("victim@example.org")
    for n in range(ADDRESS_FREE_FAILURES - 1):
        attempt(app, f"guess{n}@example.org", "wrong password here")
    # Below the threshold, the address may still sign in.
    assert attempt(app, "victim@example.org", PASSWORD).user is not None

    attempt(app, "guess-last@example.org", "wrong password here")
    with database(app).session(write=False) as s:
        throttle = s.get(LoginThrottle, ADDRESS)
        assert throttle.failures == ADDRESS_FREE_FAILURES
        assert throttle.locked_until is not None and throttle.locked_until > utcnow()
    address_lockouts = [a for a in actions(app) if a[0] == "auth.lockout" and a[1] is None]
    assert len(address_lockouts) == 1 and '"minutes":1' in address_lockouts[0][2]

    refused = attempt(app, "victim@example.org", PASSWORD)
    assert refused == SignIn(None, GENERIC_FAILURE)
    assert "address locked" in actions(app)[-1][2]
    # Another address is not affected, and the victim's own account was never locked.
    assert attempt(app, "victim@example.org", PASSWORD, address="203.0.113.9").user is not None
    assert load(app, victim.id).locked_until is None


def test_address_counter_restarts_after_its_window(app, make):
    make.user("window@example.org")
    for n in range(ADDRESS_FREE_FAILURES - 1):
        attempt(app, f"w{n}@example.org", "wrong password here")
    with database(app).transaction() as s:
        s.get(LoginThrottle, ADDRESS).window_start = utcnow() - timedelta(minutes=16)
    attempt(app, "w-late@example.org", "wrong password here")
    with database(app).session(write=False) as s:
        throttle = s.get(LoginThrottle, ADDRESS)
        assert (throttle.failures, throttle.locked_until) == (1, None)
