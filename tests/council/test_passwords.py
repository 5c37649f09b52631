"""Password policy and storage: argon2id with the OWASP parameters."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from council.auth.passwords import MIN_LENGTH, dummy_hash, hash_password, policy_problems, verify_password

EMAIL = "sana.qureshi@bank.example"


@pytest.mark.parametrize("password", ["", "short", "elevenchars"])
def test_passwords_under_twelve_characters_are_refused(password):
    assert len(password) < MIN_LENGTH == 12
    assert "Use at least 12 characters." in policy_problems(password, EMAIL)


def test_twelve_varied_characters_are_accepted():
    assert policy_problems("tw3lve chars", EMAIL) == []


@pytest.mark.parametrize("password", [EMAIL, EMAIL.upper(), "sana.qureshi", " Sana.Qureshi "])
def test_password_equal_to_email_or_its_local_part_is_refused(password):
    padded = password if len(password) >= MIN_LENGTH else password + " "
    assert "The password must not be your email address." in policy_problems(padded, EMAIL)


def test_password_of_few_distinct_characters_is_refused():
    assert "The password repeats too few different characters." in policy_problems("aaaaaaaaaaaaaaaa")


def test_overlong_password_is_refused():
    assert "Use at most 1024 characters." in policy_problems("abcd" * 300)


def test_hash_is_argon2id_with_owasp_parameters():
    stored = hash_password("correct horse battery")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert "correct horse battery" not in stored
    owasp = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
    assert owasp.check_needs_rehash(stored) is False


def test_same_password_hashes_differently_each_time_and_verifies():
    first, second = hash_password("correct horse battery"), hash_password("correct horse battery")
    assert first != second  # salted
    assert verify_password(first, "correct horse battery")
    assert verify_password(second, "correct horse battery")


def test_verify_is_false_for_a_wrong_password():
    assert verify_password(hash_password("correct horse battery"), "correct horse batterY") is False


@pytest.mark.parametrize("stored", ["", "not-a-hash", "$argon2id$v=19$m=19456,t=2,p=1$broken"])
def test_verify_is_false_for_a_malformed_hash(stored):
    assert verify_password(stored, "correct horse battery") is False


def test_dummy_hash_used_for_unknown_accounts_has_the_same_cost():
    assert dummy_hash().startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert dummy_hash() is dummy_hash()
