"""Signed, expiring, single-purpose link tokens: HMAC-SHA256 over a small JSON payload.

A token is `<payload>.<signature>`, both base64url without padding. The payload names the
purpose (what the link may do), the subject (which alert, task, address, CSM or account), an
expiry (Unix seconds) and a random token id, which the action log records so a one-shot link
is refused the second time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

PURPOSES = ("alert.acknowledge", "alert.snooze", "alert.resolve", "task.done", "unsubscribe", "csm", "account")
ONE_SHOT = ("alert.acknowledge", "alert.snooze", "alert.resolve", "task.done")


class TokenError(Exception):
    """A link token cannot be used; `reason` is expired, tampered, or wrong_purpose."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Claims:
    purpose: str
    subject: str
    expires: int
    token_id: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: str, body: str) -> str:
    return _b64(hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest())


def issue(secret: str, purpose: str, subject: str, ttl_seconds: int, now: float | None = None) -> str:
    """A token allowing `purpose` on `subject` until now + ttl."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown token purpose {purpose!r}")
    expires = int((time.time() if now is None else now) + ttl_seconds)
    # Issued as of a given moment (a run's links, links.issue_as_of), the id follows from what the
    # link allows and until when, so a replayed day writes the same email; issued by the wall clock
    # (serve's own page links, a person asking twice) every link gets a fresh id.
    tid = (secrets.token_hex(8) if now is None
           else hashlib.sha256(f"{purpose}\0{subject}\0{expires}".encode()).hexdigest()[:16])
    payload = {"p": purpose, "s": subject, "x": expires, "i": tid}
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    return f"{body}.{_sign(secret, body)}"


def verify(secret: str, token: str, purpose: str | tuple[str, ...], now: float | None = None) -> Claims:
    """The token's claims, or TokenError when it was altered, is for something else, or expired."""
    body, _, sig = token.partition(".")
    if not body or not sig or not hmac.compare_digest(_sign(secret, body), sig):
        raise TokenError("tampered", "This link is not valid: it was changed or cut short.")
    try:
        data = json.loads(_unb64(body))
        claims = Claims(str(data["p"]), str(data["s"]), int(data["x"]), str(data["i"]))
    except (ValueError, KeyError, TypeError):
        raise TokenError("tampered", "This link is not valid: it was changed or cut short.") from None
    allowed = (purpose,) if isinstance(purpose, str) else purpose
    if claims.purpose not in allowed:
        raise TokenError("wrong_purpose", "This link is for something else.")
    if claims.expires < (time.time() if now is None else now):
        raise TokenError("expired", "This link has expired.")
    return claims
