"""Who may do what: user accounts, sign-in with lockout and TOTP, and the API's bearer tokens."""

from app.services.access import api_tokens, users

__all__ = ["api_tokens", "users"]
