"""SendGrid v3 transport: the official client, retries on 429/5xx, never a duplicate.

Retry policy lives here (DESIGN.md): 429 waits until X-RateLimit-Reset, 5xx backs off
exponentially with jitter, other 4xx are permanent and recorded with SendGrid's own error
messages. 401/403 stop the drain (every message would fail). The idempotency key travels in
custom_args so an interrupted send can be looked up instead of repeated.

Every failure is classified by what it proves. urllib raises URLError only while it connects
and writes the request (connection refused, DNS, TLS handshake, connect timeout): SendGrid
cannot have the whole request, so the message was NOT sent and is retried. Anything raised
after the request was written (read timeout, reset before or during the answer) is UNKNOWN:
SendGrid may have accepted it, so it is never resent blind.
"""

from __future__ import annotations

import base64
import http.client
import json
import logging
import random
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
                                        "steward_message_id": msg.message_id}} | (
        {"headers": dict(msg.headers)} if msg.headers else {})


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
        "from": {"email": msg.from_email or from_email, "name": msg.from_name or from_name},
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
    lookup_is_final = False  # Email Activity is indexed some time after the send
    lookup_by_request = True  # send() takes a request_id; accepted_in_request() looks a request up

    def __init__(self, api_key: str, host: str, from_email: str, from_name: str,
                 reply_to: str | None = None, asm_group_id: int | None = None, timeout: float = 20,
                 max_attempts: int = 5, backoff: float = 1.0, max_wait: float = 60, batch_size: int = 100,
                 sleep: Callable[[float], None] = time.sleep, rng: random.Random | None = None):
        self._client = SendGridAPIClient(api_key=api_key, host=host)
        self._client.client.timeout = timeout
        self.host = host.removeprefix("https://").removeprefix("http://").rstrip("/")
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

    def _wait(self, attempt: int, exc: Exception | None) -> float:
        """Seconds before the next try: until the rate-limit reset, else backoff with jitter."""
        headers = getattr(exc, "headers", None)
        reset = headers.get("X-RateLimit-Reset") if headers else None
        if reset:
            try:
                return min(self.max_wait, max(0.0, float(reset) - time.time()))
            except ValueError:
                pass
        base = self.backoff * (2 ** attempt)
        return min(self.max_wait, base / 2 + self.rng.random() * base / 2)

    def send(self, msg: Message | list[Message], request_id: str | None = None) -> SendResult:
        """One request for a message, or for a batch of identical-content messages (one result).

        `request_id` tags every recipient of the request, so one activity query settles them all.
        """
        body = payload(msg, *self.sender)
        if request_id:
            for p in body["personalizations"]:
                p["custom_args"]["steward_request"] = request_id
        last = "no attempt made"
        for attempt in range(self.max_attempts):
            failure: Exception | None = None  # what the next wait honours (X-RateLimit-Reset)
            try:
                response = self._client.client.mail.send.post(request_body=body)
                return SendResult(SendStatus.ACCEPTED, provider_message_id=response.headers.get("X-Message-Id"))
            except (http_errors.UnauthorizedError, http_errors.ForbiddenError) as exc:
                return SendResult(SendStatus.REJECTED, error=f"{exc.status_code}: {_errors(exc)}", stop=True)
            except http_errors.HTTPError as exc:
                last, failure = f"{exc.status_code}: {_errors(exc)}", exc
                if exc.status_code != 429 and exc.status_code < 500:
                    return SendResult(SendStatus.REJECTED, error=last)
            except urllib.error.URLError as exc:  # before the request was fully written: not sent
                last = f"not sent, cannot reach {self.host}: {exc.reason}"
            except (OSError, http.client.HTTPException) as exc:
                # After the request was written (read timeout, reset mid-response): SendGrid may
                # have accepted it. Never resend blind: the outbox settles it through Activity.
                return SendResult(SendStatus.UNKNOWN, error=f"no answer from SendGrid after the request was "
                                                            f"sent ({type(exc).__name__}: {exc})")
            if attempt + 1 < self.max_attempts:
                self.sleep(self._wait(attempt, failure))
        return SendResult(SendStatus.RETRY, error=f"gave up after {self.max_attempts} attempts: {last}")

    def _activity(self, arg: str, value: str, limit: int) -> list[dict]:
        """Messages in SendGrid's Email Activity whose custom arg `arg` equals `value`.

        SendGrid indexes activity some time after the send: an empty answer means "not found",
        which the outbox trusts only once the activity window has passed.
        """
        query = f'unique_args[\'{arg}\']="{value}"'
        try:
            response = self._client.client.messages.get(query_params={"query": query, "limit": limit})
        except http_errors.HTTPError as exc:
            # 429 (6 lookups a minute) and 5xx pass; 401/403/404 (no Email Activity add-on) do not
            transient = exc.status_code == 429 or exc.status_code >= 500
            raise LookupUnavailable(f"SendGrid Email Activity answered {exc.status_code}: {_errors(exc)}",
                                    transient=transient) from None
        except (OSError, http.client.HTTPException) as exc:
            raise LookupUnavailable(f"cannot reach SendGrid Email Activity: {exc}", transient=True) from None
        return json.loads(response.body or b"{}").get("messages", [])

    def accepted_id(self, msg: Message) -> str | None:
        """The activity msg_id of the message with this idempotency key, if SendGrid has it."""
        found = self._activity("idempotency_key", msg.idempotency_key, 1)
        return found[0]["msg_id"] if found else None

    def accepted_in_request(self, request_id: str) -> dict[str, str]:
        """{recipient address (lower case): activity msg_id} for every message of one request
        (one query instead of one per recipient: the Activity API allows 6 a minute)."""
        found = self._activity("steward_request", request_id, 1000)
        return {str(m.get("to_email", "")).lower(): m["msg_id"] for m in found}
