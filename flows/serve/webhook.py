"""SendGrid's signed Event Webhook: verify the ECDSA signature, turn events into actions.

SendGrid signs `timestamp + raw body` with ECDSA P-256/SHA-256 and sends the base64 signature
and the timestamp in X-Twilio-Email-Event-Webhook-Signature / -Timestamp; the verification key
(Settings > Mail Settings > Event Webhook, base64 DER) comes from the environment.
"""

from __future__ import annotations

from cryptography.exceptions import UnsupportedAlgorithm
from sendgrid.helpers.eventwebhook import EventWebhook

WEBHOOK_KEY_ENV = "SENDGRID_WEBHOOK_VERIFICATION_KEY"
SUPPRESSING = {"bounce": "webhook.bounce", "dropped": "webhook.dropped", "spamreport": "webhook.spamreport",
               "unsubscribe": "webhook.unsubscribe", "group_unsubscribe": "webhook.unsubscribe"}


class WebhookError(Exception):
    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


def verify(public_key: str, body: str, signature: str, timestamp: str) -> None:
    """Raise WebhookError unless the request carries a valid signature of this body."""
    if not public_key.strip():
        raise WebhookError(f"{WEBHOOK_KEY_ENV} is not set: signed events cannot be checked", 503)
    if not signature or not timestamp:
        raise WebhookError("missing signature headers", 403)
    try:
        hook = EventWebhook(public_key.strip())
        ok = hook.verify_signature(body, signature, timestamp)
    except (ValueError, TypeError, UnsupportedAlgorithm):  # malformed key or signature encoding
        ok = False
    if not ok:
        raise WebhookError("bad signature", 403)


def events_to_actions(events) -> list[tuple[str, str, dict]]:
    """[(action kind, email, extra fields)] for the events that suppress an address."""
    if not isinstance(events, list):
        raise ValueError("not a list")
    out = []
    for e in events:
        if not isinstance(e, dict) or e.get("event") not in SUPPRESSING or not isinstance(e.get("email"), str):
            continue
        if e["event"] == "bounce" and e.get("type") == "blocked":
            continue  # a temporary block, not a bad address
        out.append((SUPPRESSING[e["event"]], e["email"].strip().lower(),
                    {"sg_event_id": e.get("sg_event_id"), "reason": str(e.get("reason") or "")[:300]}))
    return out
