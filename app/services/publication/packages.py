"""Release packages (SPEC 8.2): a Frictionless Data Package of a release, signed, with its own verifier.

Built on request from the stored payload, so releases made before packages existed get one too and nothing
stored changes: release.json is the payload byte for byte (its SHA-256 is the release hash). The zip is the
same bytes on every request (fixed entry times, Ed25519 signatures are deterministic) until the signing key
or the software changes.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from app.domain import release_package
from app.domain.release_package import verify as verifier_module
from app.models import Release
from app.services.publication import signing
from app.services.publication.releases import document, get_release, payload_bytes

ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Package:
    release_id: int
    folder: str  # the one folder the zip holds: stillwell-release-<id>
    files: dict[str, bytes]  # datapackage.json and the six resources
    zip_bytes: bytes

    @property
    def zip_sha256(self) -> str:
        return hashlib.sha256(self.zip_bytes).hexdigest()


def verifier_source() -> bytes:
    """verify.py as shipped: the checker's own source file."""
    return Path(verifier_module.__file__).read_bytes()


def package_files(release: Release, key_list_url: str) -> dict[str, bytes]:
    released = document(release)
    public_key, signature = signing.sign(release_package.signed_message(release.sha256))
    files = {release_package.RELEASE_FILE: payload_bytes(release)}
    files |= release_package.derived_files(release.id, released, release.sha256)
    files[release_package.SIGNATURE_FILE] = release_package.signature_txt(
        release.id, release.sha256, public_key, signature, key_list_url
    )
    files[release_package.VERIFIER_FILE] = verifier_source()
    files[release_package.DESCRIPTOR_FILE] = release_package.descriptor(release.id, released, files)
    return files


def _zip(folder: str, files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in (release_package.DESCRIPTOR_FILE, *release_package.RESOURCE_FILES):
            info = zipfile.ZipInfo(f"{folder}/{name}", date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name])
    return out.getvalue()


def build_package(release_id: int, key_list_url: str) -> Package:
    """A release's package: its files and the zip of them (NotFound for an unknown id)."""
    release = get_release(release_id)
    files = package_files(release, key_list_url)
    folder = f"stillwell-release-{release.id}"
    return Package(release.id, folder, files, _zip(folder, files))


def write_package(release_id: int, key_list_url: str, out: Path, as_zip: bool = False) -> list[Path]:
    """Write a release's package into a folder (its files, or with as_zip its zip); returns what was written."""
    package = build_package(release_id, key_list_url)
    out.mkdir(parents=True, exist_ok=True)
    if as_zip:
        target = out / f"{package.folder}.zip"
        target.write_bytes(package.zip_bytes)
        return [target]
    written = []
    for name, data in package.files.items():
        (out / name).write_bytes(data)
        written.append(out / name)
    return written
