"""Release packages (SPEC 8.2): signed, re-verifiable by anyone with `python verify.py DIR` and nothing installed;
one changed byte in any file fails the check and says where; old releases keep their hash."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import pytest

from app.extensions import db
from app.models import Release
from app.services.publication import packages, releases
from app.services.publication.releases import canonical_json, sha256_hex
from tests.factories.agreement import seed_agreement
from tests.factories.cohorts import AS_OF, seed_releasable

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
KEYS = "https://stillwell.example.org/published/signing-key"


def run_verifier(folder: Path, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """verify.py on a Python with nothing installed (-I -S), from an empty folder."""
    empty = tmp_path / "empty"
    empty.mkdir(exist_ok=True)
    return subprocess.run(
        [sys.executable, "-I", "-S", str(folder / "verify.py"), str(folder), *extra],
        cwd=empty,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={},
    )


@pytest.fixture
def package_dir(app, tmp_path: Path) -> tuple[Release, Path]:
    seed_agreement()  # the releasable cohort and a completed telephone-assessment sample
    release = releases.create_release(AS_OF, "all", None, "test", NOW)
    folder = tmp_path / "package"
    packages.write_package(release.id, KEYS, folder)
    return release, folder


def test_an_untouched_package_verifies_on_a_bare_python(package_dir, tmp_path):
    release, folder = package_dir
    assert (folder / "release.json").read_bytes() == release.payload.encode("utf-8")
    result = run_verifier(folder, tmp_path, "--sha256", release.sha256)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SHA-256 {release.sha256}" in result.stdout
    assert "valid Ed25519 signature" in result.stdout
    assert "durable_recovery.itt: 67% [" in result.stdout  # recomputed from counts.csv
    # the agreement with the independent assessor: rates and kappa recomputed, the bootstrap checked present
    assert "agreement.percent_agreement: 82% [" in result.stdout
    assert "agreement.sensitivity: 89% [" in result.stdout
    assert "agreement.kappa: " in result.stdout and "tables give it" in result.stdout
    assert "bootstrap interval not recomputable" in result.stdout and "checked present" in result.stdout
    assert "## Agreement with an independent assessor" in (folder / "METHODS.md").read_text()
    assert "Suppressed" in result.stdout and "outcomes" in result.stdout
    assert "RESULT: the package is intact" in result.stdout


def test_the_hash_and_key_id_given_must_match(package_dir, tmp_path):
    _, folder = package_dir
    wrong = run_verifier(folder, tmp_path, "--sha256", "0" * 64, "--key-id", "0123456789abcdef")
    assert wrong.returncode == 1
    assert "not the release hash " + "0" * 64 + " you gave" in wrong.stdout
    assert "not the key 0123456789abcdef you gave" in wrong.stdout


def test_frictionless_validates_the_package(package_dir):
    """`frictionless validate datapackage.json` passes (SPEC 8.2). Run as the command, in its own process:
    importing frictionless raises the csv module's field size limit for the whole test process."""
    _, folder = package_dir
    command = Path(sys.executable).with_name("frictionless")
    assert command.exists(), "frictionless (requirements-dev.txt) is not installed"
    result = subprocess.run(
        [str(command), "validate", "--json", str(folder / "datapackage.json")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert json.loads(result.stdout)["valid"] is True


def _replace(path: Path, old: bytes, new: bytes) -> None:
    data = path.read_bytes()
    assert old in data, old
    path.write_bytes(data.replace(old, new, 1))


def _rehash(folder: Path, name: str) -> None:
    """The tamperer also updates datapackage.json's size and hash for the file."""
    descriptor = json.loads((folder / "datapackage.json").read_text())
    data = (folder / name).read_bytes()
    for resource in descriptor["resources"]:
        if resource["path"] == name:
            resource["bytes"], resource["hash"] = len(data), "sha256:" + hashlib.sha256(data).hexdigest()
    (folder / "datapackage.json").write_text(json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n")


@pytest.mark.parametrize(
    ("name", "old", "new", "rehash", "messages"),
    [
        (
            "figures.csv",
            b"durable_recovery.itt.rate,67,",
            b"durable_recovery.itt.rate,68,",
            False,
            ["figures.csv: has SHA-256", "figures.csv: line"],
        ),
        (
            "figures.csv",
            b"durable_recovery.itt.rate,67,",
            b"durable_recovery.itt.rate,68,",
            True,
            ["figures.csv: line", "durable_recovery.itt: 68% ", "cannot come from"],
        ),
        (
            "counts.csv",
            b"durable_recovery.itt,10,15",
            b"durable_recovery.itt,10,20",
            True,
            ["counts.csv: line", "cannot come from 10/20"],
        ),
        (
            "release.json",
            b'"rate":67',
            b'"rate":68',
            True,
            ["signature.txt: signs release hash", "signature.txt: the Ed25519 signature does not match"],
        ),
        ("signature.txt", b"signature: ", b"signature: 0", False, ["signature.txt"]),
        (
            "datapackage.json",
            b'"type": "number"',
            b'"type": "string"',
            False,
            ["datapackage.json: resources[1].schema.fields[1].type"],
        ),
        ("METHODS.md", b"## Method", b"## Methods", True, ["METHODS.md: line"]),
        ("verify.py", b"Check a Stillwell", b"Check a StillwelL", False, ["verify.py: has SHA-256"]),
    ],
)
def test_one_changed_byte_in_any_file_fails_and_says_where(package_dir, tmp_path, name, old, new, rehash, messages):
    _, folder = package_dir
    if name == "signature.txt":  # flip one hex digit of the signature
        text = (folder / name).read_text()
        line = next(line for line in text.splitlines() if line.startswith("signature: "))
        digit = line[11]
        new = b"signature: " + (b"1" if digit != "1" else b"2")
        old = b"signature: " + digit.encode()
    _replace(folder / name, old, new)
    if rehash:
        _rehash(folder, name)
    result = run_verifier(folder, tmp_path)
    assert result.returncode == 1, result.stdout
    assert "RESULT: FAILED" in result.stdout
    failures = [line for line in result.stdout.splitlines() if line.startswith("  FAIL")]
    for message in messages:
        assert any(message in line for line in failures), (message, failures)


def test_the_zip_is_the_same_bytes_each_time_and_verifies_as_a_zip(package_dir, tmp_path):
    release, _ = package_dir
    first = packages.build_package(release.id, KEYS)
    assert packages.build_package(release.id, KEYS).zip_bytes == first.zip_bytes
    names = zipfile.ZipFile(BytesIO(first.zip_bytes)).namelist()
    assert names[0] == f"stillwell-release-{release.id}/datapackage.json" and len(names) == 7
    archive = tmp_path / "package.zip"
    archive.write_bytes(first.zip_bytes)
    zipfile.ZipFile(archive).extractall(tmp_path / "unzipped")
    result = run_verifier(tmp_path / "unzipped" / first.folder, tmp_path)
    assert result.returncode == 0, result.stdout


def test_a_release_made_before_packages_verifies_with_its_original_hash(app, tmp_path):
    """A release from before by_disorder, the comparison and the agreement: stored as it was, packaged on request,
    unchanged."""
    seed_releasable()
    current = releases.document(releases.create_release(AS_OF, "all", None, "test", NOW))
    current["figures"].pop("by_disorder")
    current.pop("comparison", None)
    current.pop("agreement")
    current["software_version"] = "v1.0.0"
    payload = canonical_json(current)
    old = Release(
        created_at=NOW,
        created_by="cli:old",
        as_of=AS_OF,
        scope_kind="all",
        scope_code=None,
        methodology=1,
        software_version="v1.0.0",
        sha256=sha256_hex(payload),
        payload=payload.decode("utf-8"),
        title=current["title"],
    )
    db.session.add(old)
    db.session.commit()
    original = old.sha256
    folder = tmp_path / "old"
    packages.write_package(old.id, KEYS, folder)
    result = run_verifier(folder, tmp_path, "--sha256", original)
    assert result.returncode == 0, result.stdout
    assert hashlib.sha256((folder / "release.json").read_bytes()).hexdigest() == original
    assert db.session.get(Release, old.id).sha256 == original and releases.verify_release(old.id).ok


def test_the_web_serves_the_package_and_the_signing_keys(package_dir, app):
    release, _ = package_dir
    client = app.test_client()
    response = client.get(f"/published/{release.id}/package.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    built = packages.build_package(release.id, "http://localhost/published/signing-key")
    assert response.headers["X-Package-SHA256"] == hashlib.sha256(response.data).hexdigest()
    keys = client.get("/published/signing-key").get_json()
    signature = zipfile.ZipFile(BytesIO(response.data)).read(f"{built.folder}/signature.txt").decode()
    assert f"key_id: {keys['keys'][0]['key_id']}" in signature and keys["keys"][0]["status"] == "current"
    page = client.get(f"/published/{release.id}").get_data(as_text=True)
    assert f"{len(response.data)} bytes" in page and response.headers["X-Package-SHA256"] in page
    assert f"python3 {built.folder}/verify.py {built.folder} --sha256 {release.sha256}" in page
    assert client.get("/published/999/package.zip").status_code == 404


def test_retired_keys_stay_listed(package_dir, app):
    old = "ab" * 32
    app.config["RELEASE_SIGNING_KEYS_OLD"] = old
    keys = app.test_client().get("/published/signing-key").get_json()["keys"]
    assert [k["status"] for k in keys] == ["current", "retired"] and keys[1]["public_key"] == old


def test_the_command_writes_the_package(package_dir, app, tmp_path):
    release, _ = package_dir
    result = app.test_cli_runner().invoke(args=["releases", "package", str(release.id), "--out", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    assert "check it with: python" in result.output and (tmp_path / "c" / "datapackage.json").exists()
    missing = app.test_cli_runner().invoke(args=["releases", "package", "999", "--out", str(tmp_path / "d")])
    assert missing.exit_code != 0 and "no release has id 999" in missing.output


def test_development_makes_a_signing_key_once_and_keeps_it(app, tmp_path, monkeypatch):
    from app.services.publication import signing

    monkeypatch.setitem(app.config, "RELEASE_SIGNING_KEY", "")
    monkeypatch.setattr(app, "instance_path", str(tmp_path / "instance"))
    first = signing.public_keys()[0]
    assert (tmp_path / "instance" / "release-signing-key").stat().st_mode & 0o777 == 0o600
    assert signing.public_keys()[0] == first  # the same key after a restart: it is read back
