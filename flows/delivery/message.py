"""The message model shared by every producer (alerts, reports, campaigns) and transport."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date


def clean_header(value: str) -> str:
    """Header values never carry CR/LF (header injection) and stay on one line."""
    return " ".join(value.replace("\r", " ").replace("\n", " ").split())


@dataclass(frozen=True)
class Message:
    """One email to one recipient, identified by its idempotency key."""

    idempotency_key: str
    category: str  # alert_digest | report | campaign | survey | ...
    to_email: str
    subject: str
    text_body: str
    html_body: str
    to_name: str | None = None
    kind: str = "transactional"  # transactional | marketing (suppression applies)
    as_of: date | None = None

    @property
    def message_id(self) -> str:
        """Deterministic id from the key, so a re-queued message keeps its identity."""
        return "m" + hashlib.blake2b(self.idempotency_key.encode(), digest_size=12).hexdigest()

    def __post_init__(self) -> None:
        object.__setattr__(self, "subject", clean_header(self.subject))
        object.__setattr__(self, "to_email", clean_header(self.to_email))
