"""The package verifier's own arithmetic: pure-Python Ed25519 agrees with `cryptography`, and its Wilson
intervals and published rates are Stillwell's, float for float."""

from __future__ import annotations

import hashlib
import json
import os
import random
from datetime import date
from pathlib import Path

import pytest
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


@pytest.mark.parametrize(("seed", "size"), [(seed, size) for seed in range(12) for size in (3, 9, 25, 60, 240)])
def test_honest_figures_from_random_cohorts_always_pass_the_checks(seed, size, tmp_path):
    """No false alarms: the consistency rules hold for whatever a real summary publishes, small numbers included."""
    from app.domain.disclosure import publish
    from app.domain.statistics import summarise
    from tests.factories.statistics import random_cohort

    figures = publish(summarise(random_cohort(seed, size), date(2026, 12, 31)))
    document = {
        "format": "stillwell-release/1",
        "title": "t",
        "as_of": "2026-12-31",
        "scope": {"kind": "all", "code": None},
        "methodology": 1,
        "software_version": "x",
        "created_at": "2027-01-01T00:00:00Z",
        "disclosure_control": "d",
        "figures": figures,
    }
    payload = verify.canonical_json(document)
    document = json.loads(payload)  # as the app reads a stored release: keys sorted
    digest = hashlib.sha256(payload).hexdigest()
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    files = {verify.RELEASE_FILE: payload, **verify.derived_files(1, document, digest)}
    files[verify.SIGNATURE_FILE] = verify.signature_txt(1, digest, public, key.sign(verify.signed_message(digest)), "k")
    files[verify.VERIFIER_FILE] = Path(verify.__file__).read_bytes()
    files[verify.DESCRIPTOR_FILE] = verify.descriptor(1, document, files)
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    report = verify.check(tmp_path)
    assert report.problems == []
    assert report.recomputed and report.consistent


def test_the_verifier_runs_on_older_pythons_too():
    """verify.py is read by people on whatever Python 3 they have: its grammar is Python 3.8's."""
    import ast

    ast.parse(Path(verify.__file__).read_text(encoding="utf-8"), feature_version=(3, 8))
    assert "import " not in "".join(
        line
        for line in Path(verify.__file__).read_text().splitlines()
        if line.startswith(("import", "from"))
        and not line.startswith(
            (
                "import argparse",
                "import csv",
                "import hashlib",
                "import io",
                "import json",
                "import math",
                "import sys",
                "import zipfile",
                "from pathlib",
                "from __future__",
            )
        )
    )
