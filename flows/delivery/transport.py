"""Transports deliver one message; `transport_for(config)` is the only place that chooses one."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, format_datetime
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Protocol

from flows.config import Config
from flows.delivery.message import Message, inline_images


class SendStatus(Enum):
    ACCEPTED = "accepted"
    RETRY = "retry"  # transient: leave queued for a later drain
    REJECTED = "rejected"  # permanent: record the error, never retry
    UNKNOWN = "unknown"  # the request may or may not have been accepted (e.g. a timeout)


@dataclass(frozen=True)
class SendResult:
    status: SendStatus
    provider_message_id: str | None = None
    error: str | None = None
    stop: bool = False  # the provider refuses every message (bad key): stop draining


class LookupUnavailable(Exception):
    """The transport cannot tell whether a message was accepted; `transient`: ask again later."""

    def __init__(self, message: str, transient: bool = False):
        super().__init__(message)
        self.transient = transient


class Transport(Protocol):
    name: str
    max_batch: int  # > 1: send() also takes a list of identical-content messages (one request)
    lookup_is_final: bool  # accepted_id() None proves "not sent" (False: it may lag the send)
    # Optional: lookup_by_request = True, send(msg, request_id=...) and accepted_in_request(request_id)
    # settle every recipient of one request with one lookup (SendGridTransport).

    def send(self, msg: Message | list[Message]) -> SendResult:
        """Deliver one message (or, when max_batch > 1, a batch as one request with one result)."""

    def accepted_id(self, msg: Message) -> str | None:
        """The provider id if this message was already accepted (after an interrupted send)."""


class FileTransport:
    """Writes each message as an .eml (what a mail client opens) and an .html preview."""

    name = "file"
    max_batch = 1  # one .eml per recipient
    lookup_is_final = True  # the .eml appears atomically: no file means not sent

    def __init__(self, outdir: Path, from_email: str, from_name: str, reply_to: str | None = None):
        self.outdir = outdir
        self.sender = formataddr((from_name, from_email))
        self.from_email = from_email
        self.from_name = from_name
        self.reply_to = reply_to

    def _stem(self, msg: Message) -> Path:
        day = msg.as_of.isoformat() if msg.as_of else "undated"
        who = re.sub(r"[^A-Za-z0-9]+", "-", msg.to_email).strip("-")[:60]
        return self.outdir / day / f"{msg.category}__{who}__{msg.message_id}"

    def _eml(self, msg: Message) -> bytes:
        em = EmailMessage()
        em["From"] = (formataddr((msg.from_name or self.from_name, msg.from_email or self.from_email))
                      if msg.from_name or msg.from_email else self.sender)
        em["To"] = formataddr((msg.to_name or "", msg.to_email))
        if msg.reply_to or self.reply_to:
            em["Reply-To"] = msg.reply_to or self.reply_to
        em["Subject"] = msg.subject
        em["Date"] = format_datetime(datetime.now(timezone.utc))
        em["Message-ID"] = f"<{msg.message_id}@steward.local>"
        em["X-Steward-Idempotency-Key"] = msg.idempotency_key
        for name, value in msg.headers:
            em[name] = value
        em.set_content(msg.text_body)
        em.add_alternative(msg.html_body, subtype="html")
        if msg.attachments:
            html_part = em.get_payload()[1]
            for a in msg.attachments:
                maintype, subtype = a.mime_type.split("/", 1)
                if a.content_id:
                    html_part.add_related(a.content, maintype, subtype, cid=f"<{a.content_id}>",
                                          filename=a.filename)
                else:
                    em.add_attachment(a.content, maintype, subtype, filename=a.filename)
        # 998 (RFC 5322) so a long List-Unsubscribe URL stays one plain line, not RFC 2047-encoded
        return em.as_bytes(policy=em.policy.clone(max_line_length=998))

    def send(self, msg: Message) -> SendResult:
        stem = self._stem(msg)
        stem.parent.mkdir(parents=True, exist_ok=True)
        try:
            stem.with_suffix(".html").write_text(inline_images(msg.html_body, msg.attachments), encoding="utf-8")
            # The .eml appears atomically and last: its presence means "accepted".
            tmp = stem.with_suffix(".eml.tmp")
            tmp.write_bytes(self._eml(msg))
            os.replace(tmp, stem.with_suffix(".eml"))
        except OSError as exc:
            return SendResult(SendStatus.RETRY, error=f"cannot write {stem}: {exc.strerror}")
        return SendResult(SendStatus.ACCEPTED, provider_message_id=str(stem.with_suffix(".eml")))

    def accepted_id(self, msg: Message) -> str | None:
        eml = self._stem(msg).with_suffix(".eml")
        return str(eml) if eml.exists() else None


def transport_for(config: Config) -> Transport:
    """The configured transport (the one place that decides)."""
    d = config.delivery
    if d.transport == "sendgrid":
        from flows.delivery.sendgrid import SendGridTransport

        return SendGridTransport.from_config(config)
    return FileTransport(config.path("outbox"), d.from_email, d.from_name, d.reply_to)
