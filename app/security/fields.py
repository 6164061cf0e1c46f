"""Contact details at rest: Fernet encryption with rotating keys, and keyed hashes for look-up.

The keyed hash (HMAC-SHA256 under `CONTACT_HASH_KEY`) lets us find a client by the phone number
an SMS came from, and keep a suppression list of opted-out contact points after erasure, without
ever storing the number in clear. It is never rotated with the Fernet keys: rotating it would
orphan every opt-out.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import Flask, current_app

from config import ConfigError

EXTENSION_KEY = "stillwell.fields"


@dataclass(frozen=True)
class FieldSecurity:
    """Encrypts, decrypts and hashes contact details with the configured keys."""

    cipher: MultiFernet
    primary: Fernet
    hash_key: bytes

    @classmethod
    def from_settings(cls, fernet_keys: str, hash_key: str) -> FieldSecurity:
        keys = [key.strip() for key in fernet_keys.split(",") if key.strip()]
        if not keys:
            raise ConfigError("FIELD_ENCRYPTION_KEYS is empty: give one or more Fernet keys, newest first")
        try:
            fernets = [Fernet(key) for key in keys]
        except (ValueError, TypeError) as error:
            raise ConfigError(
                "FIELD_ENCRYPTION_KEYS must be comma-separated Fernet keys "
                "(make one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())')"
            ) from error
        if not hash_key:
            raise ConfigError("CONTACT_HASH_KEY is empty")
        return cls(cipher=MultiFernet(fernets), primary=fernets[0], hash_key=hash_key.encode())

    def encrypt(self, value: str) -> str:
        return self.cipher.encrypt(value.encode()).decode("ascii")

    def encrypt_bytes(self, data: bytes) -> str:
        """Bytes (a gzipped report, say) as a token that key rotation treats like any other."""
        return self.cipher.encrypt(data).decode("ascii")

    def decrypt_bytes(self, token: str) -> bytes:
        try:
            return self.cipher.decrypt(token.encode("ascii"))
        except InvalidToken as error:
            raise ConfigError("a stored value cannot be decrypted with any key in FIELD_ENCRYPTION_KEYS") from error

    def decrypt(self, token: str) -> str:
        try:
            return self.cipher.decrypt(token.encode("ascii")).decode()
        except InvalidToken as error:
            raise ConfigError("a contact detail cannot be decrypted with any key in FIELD_ENCRYPTION_KEYS") from error

    def rotate(self, token: str) -> str:
        """Re-encrypt under the newest key (for key rotation)."""
        try:
            return self.cipher.rotate(token.encode("ascii")).decode("ascii")
        except InvalidToken as error:
            raise ConfigError("a contact detail cannot be decrypted with any key in FIELD_ENCRYPTION_KEYS") from error

    def is_current(self, token: str) -> bool:
        """Whether a token is already encrypted under the newest key (rotation skips it, so it can resume)."""
        try:
            self.primary.decrypt(token.encode("ascii"))
        except InvalidToken:
            return False
        return True

    def contact_hash(self, normalised_value: str) -> str:
        """Keyed hash of a normalised phone (E.164) or email (lower case)."""
        return hmac.new(self.hash_key, normalised_value.encode(), hashlib.sha256).hexdigest()


def init_field_security(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = FieldSecurity.from_settings(
        app.config["FIELD_ENCRYPTION_KEYS"], app.config["CONTACT_HASH_KEY"]
    )


def field_security() -> FieldSecurity:
    """The field security of the current app."""
    security: FieldSecurity = current_app.extensions[EXTENSION_KEY]
    return security
