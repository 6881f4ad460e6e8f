"""The message model shared by every producer (alerts, reports, campaigns) and transport."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from datetime import date


def clean_header(value: str) -> str:
    """Header values never carry CR/LF (header injection) and stay on one line."""
    return " ".join(value.replace("\r", " ").replace("\n", " ").split())


@dataclass(frozen=True)
class Attachment:
    """A file carried with the message; inline ones are referenced as cid:<content_id> in HTML."""

    filename: str
    content: bytes
    mime_type: str = "image/png"
    content_id: str | None = None  # set => inline

    def to_json(self) -> dict:
        return {"filename": self.filename, "mime_type": self.mime_type, "content_id": self.content_id,
                "content": base64.b64encode(self.content).decode()}

    @classmethod
    def from_json(cls, d: dict) -> "Attachment":
        return cls(d["filename"], base64.b64decode(d["content"]), d["mime_type"], d.get("content_id"))


def inline_images(html: str, attachments: tuple[Attachment, ...]) -> str:
    """The HTML with cid: images turned into data: URIs, so it opens in a browser as is."""
    for a in attachments:
        if a.content_id:
            html = html.replace(f"cid:{a.content_id}",
                                f"data:{a.mime_type};base64,{base64.b64encode(a.content).decode()}")
    return html


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
    kind: str = "transactional"  # transactional | marketing (suppression list applies)
    as_of: date | None = None
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)
    # per-recipient headers, e.g. List-Unsubscribe (not part of content_key: SendGrid carries
    # them per personalization, so a shared request keeps each recipient's own)
    headers: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    # customer mail comes from the account's CSM: their name on From (the configured sending
    # address stays, for SPF/DKIM) and their address as Reply-To; None keeps delivery's defaults
    from_name: str | None = None
    reply_to: str | None = None
    from_email: str | None = None  # delivery.csm_sender_domain: the CSM's own address on that domain

    @property
    def message_id(self) -> str:
        """Deterministic id from the key, so a re-queued message keeps its identity."""
        return "m" + hashlib.blake2b(self.idempotency_key.encode(), digest_size=12).hexdigest()

    @property
    def content_key(self) -> str:
        """Equal for messages whose content is identical (all but recipient and key): such
        messages may share one provider request with a personalization per recipient."""
        h = hashlib.blake2b(digest_size=16)
        for part in (self.kind, self.category, self.subject, self.text_body, self.html_body,
                     self.attachments_json() or "", self.from_name or "", self.reply_to or "", self.from_email or ""):
            h.update(part.encode())
            h.update(b"\0")
        return h.hexdigest()

    def headers_json(self) -> str | None:
        return json.dumps(dict(self.headers)) if self.headers else None

    def attachments_json(self) -> str | None:
        return json.dumps([a.to_json() for a in self.attachments]) if self.attachments else None

    def __post_init__(self) -> None:
        object.__setattr__(self, "subject", clean_header(self.subject))
        object.__setattr__(self, "to_email", clean_header(self.to_email))
        object.__setattr__(self, "headers", tuple((clean_header(k), clean_header(v)) for k, v in self.headers))
        for name in ("to_name", "from_name", "reply_to", "from_email"):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, clean_header(getattr(self, name)))
