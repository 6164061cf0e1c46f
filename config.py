"""Configuration read from the environment (a `.env` file may set it).

Development and testing have a default for every secret so `make run` works on a fresh machine;
production refuses to start without the real ones (see `ProductionConfig.check`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar

from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent
load_dotenv(BASE_DIR / ".env")

# Development-only secrets. They are public (they are in the repository), so production refuses them.
DEV_SECRET_KEY = "dev-only-secret-key-not-for-production"  # noqa: S105 - public on purpose; production refuses it
DEV_FIELD_ENCRYPTION_KEY = "ZGV2LW9ubHktZmVybmV0LWtleS1ub3QtZm9yLXByb2Q="
DEV_CONTACT_HASH_KEY = "dev-only-contact-hash-key"


#: Where `make run` records the base URL it serves on while it runs, for commands in another shell.
RUN_BASE_URL_FILE = BASE_DIR / "instance" / "run-base-url"
DEFAULT_BASE_URL = "http://127.0.0.1:5000"


def recorded_base_url(path: Path = RUN_BASE_URL_FILE) -> str | None:
    """The base URL a running `make run` recorded (`PORT=5077 make run` gives http://127.0.0.1:5077), if any."""
    try:
        value = path.read_text().strip()
    except OSError:
        return None
    return value if value.startswith(("http://", "https://")) else None


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message says which setting to fix."""


def database_url(raw: str | None) -> str:
    """Turn `DATABASE_URL` into an SQLAlchemy URL, choosing our own PostgreSQL driver (psycopg 3)."""
    if not raw:
        return "sqlite:///" + str(BASE_DIR / "instance" / "stillwell.db")
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix) :]
    return raw


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def key_bytes(text: str) -> bytes | None:
    """32 bytes from 64 hex digits or base64 (standard or URL-safe, padding optional), else None: the
    Ed25519 release signing keys (checked here at start-up, read by app/services/publication/signing.py)."""
    import base64
    import binascii

    text = text.strip()
    try:
        data = (
            bytes.fromhex(text)
            if len(text) == 64
            else base64.urlsafe_b64decode(text.replace("+", "-").replace("/", "_") + "=" * (-len(text) % 4))
        )
    except (ValueError, binascii.Error):
        return None
    return data if len(data) == 32 else None


class Config:
    """Settings shared by every environment."""

    ENV_NAME = "development"
    TESTING = False
    DEBUG = False

    SECRET_KEY = os.environ.get("SECRET_KEY") or DEV_SECRET_KEY
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("DATABASE_URL"))
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict[str, object]] = {}
    # A pooled connection idle this long is pinged before use (app/database.py); busy ones are not.
    DB_PING_AFTER_IDLE_SECONDS = float(os.environ.get("DB_PING_AFTER_IDLE_SECONDS") or 10)
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL") or DEFAULT_BASE_URL

    FIELD_ENCRYPTION_KEYS = os.environ.get("FIELD_ENCRYPTION_KEYS") or DEV_FIELD_ENCRYPTION_KEY
    CONTACT_HASH_KEY = os.environ.get("CONTACT_HASH_KEY") or DEV_CONTACT_HASH_KEY
    SAFEGUARDING_EMAIL = os.environ.get("SAFEGUARDING_EMAIL") or ""
    # Who a client can contact, named in HELP replies (GSM-7, at most 40 characters).
    HELP_CONTACT = os.environ.get("HELP_CONTACT") or "stillwell.example.org/help"

    SMS_TRANSPORT = os.environ.get("SMS_TRANSPORT") or "console"
    TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID") or ""
    TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN") or ""
    TWILIO_FROM_NUMBER = os.environ.get("TWILIO_FROM_NUMBER") or ""
    TWILIO_MESSAGING_SERVICE_SID = os.environ.get("TWILIO_MESSAGING_SERVICE_SID") or ""
    TWILIO_API_BASE = os.environ.get("TWILIO_API_BASE") or "https://api.twilio.com"
    SEND_RATE_PER_SECOND = float(os.environ.get("SEND_RATE_PER_SECOND") or 10)

    MAIL_TRANSPORT = os.environ.get("MAIL_TRANSPORT") or "console"
    SMTP_HOST = os.environ.get("SMTP_HOST") or "127.0.0.1"
    SMTP_PORT = int(os.environ.get("SMTP_PORT") or 25)
    SMTP_USERNAME = os.environ.get("SMTP_USERNAME") or ""
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD") or ""
    SMTP_STARTTLS = _env_bool("SMTP_STARTTLS", False)
    MAIL_FROM = os.environ.get("MAIL_FROM") or "no-reply@stillwell.invalid"
    # Ed25519 key signing releases (64 hex digits or base64 of 32 bytes); unset, development makes one in
    # instance/. Retired keys' public halves, comma-separated, keep their signatures checkable.
    RELEASE_SIGNING_KEY = os.environ.get("RELEASE_SIGNING_KEY") or ""
    RELEASE_SIGNING_KEYS_OLD = os.environ.get("RELEASE_SIGNING_KEYS_OLD") or ""

    WTF_CSRF_ENABLED = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Secure cookies everywhere but plain-HTTP development and tests (production forces them on below).
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    # No "remember me" is offered; should Flask-Login ever set its cookie, it is as strict as the session's.
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_DURATION = 0
    # A signed-in session ends after this long without a request, and this long after signing in in any case.
    SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES") or 30)
    SESSION_MAX_HOURS = int(os.environ.get("SESSION_MAX_HOURS") or 12)
    # Sign-in throttling (Flask-Limiter syntax) and lockout: failed passwords and codes count together.
    RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT") or "10 per minute"
    # Where the counters live: memory:// is per process (N web workers allow N times the limits);
    # share them between processes and machines with e.g. redis://host:6379.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or "memory://"
    # The API, per token and per address (docs/api.md).
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT") or "300/minute"
    API_ADDRESS_RATE_LIMIT = os.environ.get("API_ADDRESS_RATE_LIMIT") or "1200/minute"
    LOGIN_LOCKOUT_ATTEMPTS = int(os.environ.get("LOGIN_LOCKOUT_ATTEMPTS") or 5)
    LOGIN_LOCKOUT_MINUTES = int(os.environ.get("LOGIN_LOCKOUT_MINUTES") or 15)
    # Strict-Transport-Security max-age; 0 leaves the header off (plain-HTTP development).
    HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS") or 0)

    @classmethod
    def check(cls) -> None:
        """Refuse settings that cannot work; development accepts its defaults."""
        if cls.SMS_TRANSPORT not in {"console", "twilio"}:
            raise ConfigError(f"SMS_TRANSPORT must be console or twilio, not {cls.SMS_TRANSPORT!r}")
        if cls.MAIL_TRANSPORT not in {"console", "smtp"}:
            raise ConfigError(f"MAIL_TRANSPORT must be console or smtp, not {cls.MAIL_TRANSPORT!r}")


class DevelopmentConfig(Config):
    DEBUG = False  # `flask run --debug` turns the debugger on explicitly when wanted
    # A second shell's `flask ...` prints links (and the scheduler's alerts carry them) on the port make run uses.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL") or recorded_base_url() or DEFAULT_BASE_URL


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    WTF_CSRF_ENABLED = False
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    RELEASE_SIGNING_KEY = "7e" * 32  # a fixed, public test key: tests never write a key into instance/


class ProductionConfig(Config):
    ENV_NAME = "production"
    # Never the debugger or tracebacks in production: errors are logged and answered with a plain page.
    DEBUG = False
    TESTING = False
    PROPAGATE_EXCEPTIONS = False
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS") or 31536000)
    REQUIRED = (
        "SECRET_KEY",
        "DATABASE_URL",
        "PUBLIC_BASE_URL",
        "FIELD_ENCRYPTION_KEYS",
        "CONTACT_HASH_KEY",
        "SAFEGUARDING_EMAIL",
        "RELEASE_SIGNING_KEY",
    )

    @classmethod
    def check(cls) -> None:
        """Production never runs on development defaults: every secret must come from the environment."""
        super().check()
        missing = [name for name in cls.REQUIRED if not os.environ.get(name)]
        if missing:
            raise ConfigError("production needs these settings: " + ", ".join(missing))
        if _env_bool("FLASK_DEBUG", False):
            raise ConfigError("FLASK_DEBUG is on: production never runs with the debugger (unset it)")
        if os.environ.get("SECRET_KEY") == DEV_SECRET_KEY:
            raise ConfigError("SECRET_KEY is the public development key")
        if DEV_FIELD_ENCRYPTION_KEY in os.environ.get("FIELD_ENCRYPTION_KEYS", "").split(","):
            raise ConfigError("FIELD_ENCRYPTION_KEYS contains the public development key")
        if os.environ.get("CONTACT_HASH_KEY") == DEV_CONTACT_HASH_KEY:
            raise ConfigError("CONTACT_HASH_KEY is the public development key")
        if key_bytes(os.environ.get("RELEASE_SIGNING_KEY", "")) is None:
            raise ConfigError("RELEASE_SIGNING_KEY must be 32 random bytes as 64 hex digits or base64")
        if os.environ.get("RELEASE_SIGNING_KEY") == TestingConfig.RELEASE_SIGNING_KEY:
            raise ConfigError("RELEASE_SIGNING_KEY is the public test key")


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_for_environment() -> type[Config]:
    """The config class named by `STILLWELL_ENV` (development, testing or production)."""
    name = os.environ.get("STILLWELL_ENV") or "development"
    try:
        return CONFIGS[name]
    except KeyError:
        raise ConfigError(f"STILLWELL_ENV must be one of {', '.join(CONFIGS)}, not {name!r}") from None
