"""The package verifier's own arithmetic: pure-Python Ed25519 agrees with `cryptography`, and its Wilson
intervals and published rates are Stillwell's, float for float."""

from __future__ import annotations

import os
import random

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from app.domain.disclosure import publish_count, publish_rate
from app.domain.release_package import verify
from app.domain.statistics import wilson_interval, wilson_rate


def test_ed25519_agrees_with_cryptography_and_refuses_tampering():
    rng = random.Random(17)
    for _ in range(60):
        key = Ed25519PrivateKey.generate()
        public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        message = os.urandom(rng.randrange(0, 200))
        signature = key.sign(message)
        assert verify.ed25519_verify(public, message, signature)
        flipped = bytearray(signature)
        flipped[rng.randrange(64)] ^= 1 << rng.randrange(8)
        assert not verify.ed25519_verify(public, message, bytes(flipped))
        assert not verify.ed25519_verify(public, message + b"x", signature)
        other = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        assert not verify.ed25519_verify(other, message, signature)


def test_ed25519_rfc8032_test_vector_1():
    public = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    signature = bytes.fromhex(
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    )
    assert verify.ed25519_verify(public, b"", signature)
    assert not verify.ed25519_verify(public, b"", signature[:32] + (2**253).to_bytes(32, "little"))  # s >= L


def test_wilson_and_published_rates_are_stillwells():
    for denominator in range(1, 400):
        for numerator in range(0, denominator + 1, max(1, denominator // 37)):
            assert verify.wilson_interval(numerator, denominator) == wilson_interval(numerator, denominator)
            if numerator >= 8 and denominator >= 8:
                published = publish_rate(wilson_rate(numerator, denominator))
                assert verify.published_rate(numerator, denominator) == (published["rate"], published["ci95"])


def test_a_published_count_stands_for_the_counts_that_round_to_it():
    for n in range(0, 300):
        low, high = verify.count_range(publish_count(n))
        assert low <= n <= high
    assert verify.count_range(5) is None and verify.count_range(12) is None and verify.count_range(-5) is None
