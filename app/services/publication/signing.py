"""The release signing key: Ed25519, from RELEASE_SIGNING_KEY (production) or generated once in development.

RELEASE_SIGNING_KEY is the 32-byte private key as 64 hex digits or base64. After a rotation, the retired keys'
public halves go in RELEASE_SIGNING_KEYS_OLD (comma-separated, hex or base64) so signatures made with them stay
checkable: /published/signing-key lists every key with its id (the first 16 hex digits of the SHA-256 of the raw
public key), and each signature names the key id it was made with.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask import current_app

from app.domain.release_package import key_id
from app.services.errors import ServiceError
from config import key_bytes

DEV_KEY_FILE = "release-signing-key"


def raw_key(text: str, name: str) -> bytes:
    """32 bytes from 64 hex digits or base64 (standard or URL-safe, padding optional)."""
    data = key_bytes(text)
    if data is None:
        raise ServiceError(f"{name} must be 32 bytes as 64 hex digits or base64 (got {len(text.strip())} characters)")
    return data


@dataclass(frozen=True)
class PublicKey:
    key_id: str
    public_key: bytes
    current: bool


def _development_key(instance: Path) -> bytes:
    """A key made on first use and kept in the instance folder, so it is the same after a restart."""
    path = instance / DEV_KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = path.with_suffix(f".{os.getpid()}.tmp")
        fresh.write_text(os.urandom(32).hex() + "\n")
        fresh.chmod(0o600)
        try:
            os.link(fresh, path)  # atomic: two processes starting at once keep the first key
        except FileExistsError:
            pass
        finally:
            fresh.unlink()
    return raw_key(path.read_text(), str(path))


def private_key() -> Ed25519PrivateKey:
    configured = str(current_app.config.get("RELEASE_SIGNING_KEY") or "")
    seed = (
        raw_key(configured, "RELEASE_SIGNING_KEY") if configured else _development_key(Path(current_app.instance_path))
    )
    return Ed25519PrivateKey.from_private_bytes(seed)


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def public_keys() -> list[PublicKey]:
    """The current key first, then the retired ones (RELEASE_SIGNING_KEYS_OLD)."""
    current = _raw_public(private_key().public_key())
    keys = [PublicKey(key_id(current), current, True)]
    for text in str(current_app.config.get("RELEASE_SIGNING_KEYS_OLD") or "").split(","):
        if text.strip():
            old = raw_key(text, "RELEASE_SIGNING_KEYS_OLD")
            if old != current:
                keys.append(PublicKey(key_id(old), old, False))
    return keys


def sign(message: bytes) -> tuple[bytes, bytes]:
    """(public key, signature) of a message with the current key (Ed25519 is deterministic)."""
    key = private_key()
    return _raw_public(key.public_key()), key.sign(message)
