"""SendGrid v3 transport: the official client, retries on 429/5xx, never a duplicate.

Retry policy lives here (DESIGN.md): 429 waits until X-RateLimit-Reset, 5xx backs off
exponentially with jitter, other 4xx are permanent and recorded with SendGrid's own error
messages. 401/403 stop the drain (every message would fail). The idempotency key travels in
custom_args so an interrupted send can be looked up instead of repeated.
"""

from __future__ import annotations

import base64
import json
import logging
import random
import socket
import time
import urllib.error
from typing import Any, Callable

from python_http_client import exceptions as http_errors
from sendgrid import SendGridAPIClient

from flows.config import Config
from flows.delivery.message import Message
from flows.delivery.transport import LookupUnavailable, SendResult, SendStatus

# python_http_client logs request HEADERS (the Authorization bearer key) at DEBUG: never let it.
logging.getLogger("python_http_client").setLevel(logging.WARNING)


def _personalization(msg: Message) -> dict[str, Any]:
    """One recipient, carrying its own idempotency key (custom_args per personalization)."""
    to = {"email": msg.to_email} | ({"name": msg.to_name} if msg.to_name else {})
    return {"to": [to], "custom_args": {"idempotency_key": msg.idempotency_key,
                                        "steward_message_id": msg.message_id}}


def payload(msgs: Message | list[Message], from_email: str, from_name: str, reply_to: str | None,
            asm_group_id: int | None) -> dict[str, Any]:
    """The v3 /mail/send body (text/plain before text/html, as SendGrid requires).

    Several messages of identical content (Message.content_key) become one request with one
    personalization each: every recipient still gets their own email and their own key.
    """
    batch = [msgs] if isinstance(msgs, Message) else list(msgs)
    msg = batch[0]
    if any(m.content_key != msg.content_key for m in batch[1:]):
        raise ValueError("only messages with identical content can share a request")
    body: dict[str, Any] = {
        "personalizations": [_personalization(m) for m in batch],
        "from": {"email": from_email, "name": msg.from_name or from_name},
        "subject": msg.subject,
        "content": [{"type": "text/plain", "value": msg.text_body},
                    {"type": "text/html", "value": msg.html_body}],
        "categories": [msg.category],
    }
    if msg.reply_to or reply_to:  # the CSM's address on customer mail, else the configured one
        body["reply_to"] = {"email": msg.reply_to or reply_to}
    if msg.attachments:
        body["attachments"] = [
            {"content": base64.b64encode(a.content).decode(), "type": a.mime_type, "filename": a.filename,
             "disposition": "inline" if a.content_id else "attachment"}
            | ({"content_id": a.content_id} if a.content_id else {})
            for a in msg.attachments
        ]
    if msg.kind == "marketing" and asm_group_id is not None:
        body["asm"] = {"group_id": asm_group_id}
    return body


def _errors(exc: http_errors.HTTPError) -> str:
    """SendGrid's own error messages from a failed response body, joined."""
    try:
        data = json.loads(exc.body or b"{}")
        msgs = [e.get("message", "") + (f" (field {e['field']})" if e.get("field") else "")
                for e in data.get("errors", [])]
        return "; ".join(m for m in msgs if m) or str(exc.reason)
    except (ValueError, AttributeError):
        return str(getattr(exc, "reason", exc))


class SendGridTransport:
    """Sends through SendGrid's v3 API with the official `sendgrid` client."""

    name = "sendgrid"

    def __init__(self, api_key: str, host: str, from_email: str, from_name: str,
                 reply_to: str | None = None, asm_group_id: int | None = None, timeout: float = 20,
                 max_attempts: int = 5, backoff: float = 1.0, max_wait: float = 60, batch_size: int = 100,
                 sleep: Callable[[float], None] = time.sleep, rng: random.Random | None = None):
        self._client = SendGridAPIClient(api_key=api_key, host=host)
        self._client.client.timeout = timeout
        self.sender = (from_email, from_name, reply_to, asm_group_id)
        self.max_attempts, self.backoff, self.max_wait = max_attempts, backoff, max_wait
        self.max_batch = batch_size
        self.sleep = sleep
        self.rng = rng or random.Random(0)

    @classmethod
    def from_config(cls, config: Config) -> "SendGridTransport":
        d, sg = config.delivery, config.delivery.sendgrid
        return cls(sg.api_key().get_secret_value(), sg.host, d.from_email, d.from_name, d.reply_to,
                   sg.asm_group_id, sg.timeout_seconds, sg.max_attempts, sg.backoff_seconds, sg.max_wait_seconds,
                   sg.batch_size)

    def _wait(self, attempt: int, exc: http_errors.HTTPError | None) -> float:
        """Seconds before the next try: until the rate-limit reset, else backoff with jitter."""
        reset = exc.headers.get("X-RateLimit-Reset") if exc is not None and exc.headers else None
        if reset:
            try:
                return min(self.max_wait, max(0.0, float(reset) - time.time()))
            except ValueError:
                pass
        base = self.backoff * (2 ** attempt)
        return min(self.max_wait, base / 2 + self.rng.random() * base / 2)

    def send(self, msg: Message | list[Message]) -> SendResult:
        """One request for a message, or for a batch of identical-content messages (one result)."""
        body = payload(msg, *self.sender)
        last = "no attempt made"
        for attempt in range(self.max_attempts):
            try:
                response = self._client.client.mail.send.post(request_body=body)
                return SendResult(SendStatus.ACCEPTED, provider_message_id=response.headers.get("X-Message-Id"))
            except (http_errors.UnauthorizedError, http_errors.ForbiddenError) as exc:
                return SendResult(SendStatus.REJECTED, error=f"{exc.status_code}: {_errors(exc)}", stop=True)
            except http_errors.HTTPError as exc:
                last = f"{exc.status_code}: {_errors(exc)}"
                if exc.status_code != 429 and exc.status_code < 500:
                    return SendResult(SendStatus.REJECTED, error=last)
                if attempt + 1 < self.max_attempts:
                    self.sleep(self._wait(attempt, exc))
            except (socket.timeout, TimeoutError, urllib.error.URLError, ConnectionError) as exc:
                # The request may have been accepted before the connection dropped: do not resend blind.
                return SendResult(SendStatus.UNKNOWN, error=f"no response from SendGrid: {exc}")
        return SendResult(SendStatus.RETRY, error=f"gave up after {self.max_attempts} attempts: {last}")

    def accepted_id(self, msg: Message) -> str | None:
        """Ask the Email Activity API whether a message with this idempotency key was accepted."""
        query = f'unique_args[\'idempotency_key\']="{msg.idempotency_key}"'
        try:
            response = self._client.client.messages.get(query_params={"query": query, "limit": 1})
        except (http_errors.HTTPError, OSError) as exc:
            raise LookupUnavailable(f"cannot query SendGrid activity for {msg.idempotency_key}: {exc}") from None
        found = json.loads(response.body or b"{}").get("messages", [])
        return found[0]["msg_id"] if found else None
