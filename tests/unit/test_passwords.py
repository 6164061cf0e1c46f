"""Passwords: argon2id with the library's recommended (RFC 9106) parameters, strength rules."""

from __future__ import annotations

import pytest

from app.security.passwords import WeakPassword, check_strength, hash_password, needs_rehash, verify_password

pytestmark = pytest.mark.real_password_hashing


def test_hashes_are_argon2id_with_the_recommended_parameters() -> None:
    hashed = hash_password("correct horse battery staple")
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert verify_password(hashed, "correct horse battery staple")
    assert not verify_password(hashed, "correct horse battery stapler")
    assert not needs_rehash(hashed)


def test_a_cheap_or_broken_hash_is_never_accepted_as_current() -> None:
    from argon2 import PasswordHasher

    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("correct horse battery staple")
    assert needs_rehash(cheap)
    assert not verify_password("not a hash", "anything at all")


@pytest.mark.parametrize("password", ["short", " leading space pw", "trailing space pw ", "            "])
def test_weak_passwords_are_refused(password: str) -> None:
    with pytest.raises(WeakPassword):
        check_strength(password)
