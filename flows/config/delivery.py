"""Who receives what and how email leaves (`recipients:`, `delivery:`)."""

from __future__ import annotations

import os
from typing import Literal

from pydantic import Field, SecretStr

from flows.config.base import ConfigError, EmailAddress, _Section

class Recipients(_Section):
    """Who receives what: the CS leader gets unrouted alerts and portfolio reports."""

    cs_leader: EmailAddress = "cs-leader@example.com"
    unassigned: EmailAddress = Field("cs-team@example.com", description="Alerts for accounts with no owner.")
    data_team: EmailAddress = Field("data-team@example.com", description=(
        "Operational mail: failed runs (stage and cause), held email, the shadow-mode summary."))


class SendGrid(_Section):
    """SendGrid v3 settings; the API key is never here, only in the environment."""

    host: str = Field("https://api.sendgrid.com", description="API host; tests point it at 127.0.0.1.")
    timeout_seconds: float = Field(20, gt=0)
    max_attempts: int = Field(5, ge=1, description="Tries per message on 429/5xx within one drain.")
    backoff_seconds: float = Field(1.0, ge=0, description="First retry delay; doubles, with jitter.")
    max_wait_seconds: float = Field(60, ge=0, description="Longest single wait (rate-limit reset).")
    asm_group_id: int | None = Field(None, description="Unsubscribe group for marketing mail.")
    batch_size: int = Field(100, ge=1, le=1000, description="Recipients of identical content per request "
                                                           "(one personalization each; SendGrid allows 1000).")

    def api_key(self) -> SecretStr:
        """The API key from STEWARD_SENDGRID_API_KEY or SENDGRID_API_KEY; never logged."""
        for var in ("STEWARD_SENDGRID_API_KEY", "SENDGRID_API_KEY"):
            if os.environ.get(var):
                return SecretStr(os.environ[var])
        raise ConfigError("delivery.transport is 'sendgrid' but neither STEWARD_SENDGRID_API_KEY nor "
                          "SENDGRID_API_KEY is set in the environment")


class DeliverySafety(_Section):
    """What a drain does when it cannot see: unknown send outcomes and provider outages."""

    activity_window_minutes: float = Field(
        60, ge=0, description="Look an unanswered send up in SendGrid's Email Activity only this long after it; "
                              "activity is indexed after the send, so an earlier 'not found' proves nothing.")
    customer_mail: Literal["hold", "resend"] = Field(
        "hold", description="Not found after the window: hold for a person (at most once) or resend (at least once).")
    internal_mail: Literal["hold", "resend"] = "resend"
    internal_categories: list[str] = Field(
        ["alert_digest", "report_", "ops_"], description="Category prefixes of internal mail (digests, reports).")
    stop_after_failures: int = Field(3, ge=1, description="Requests failing in a row before a drain stops; "
                                                          "the rest stay queued.")
    alert_held_after_hours: float = Field(24, gt=0, description="Held this long: recipients.data_team is told once.")


class Delivery(_Section):
    """Email delivery: messages go through ops.outbox, then to the chosen transport."""

    transport: Literal["file", "sendgrid"] = Field(
        "file", description="file: .eml + .html in the outbox folder; sendgrid: the v3 mail API.")
    from_email: EmailAddress = "steward@example.com"
    from_name: str = "Steward"
    reply_to: EmailAddress | None = None
    csm_sender_domain: str | None = Field(
        None, pattern=r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$",
        description="Customer mail comes from <the CSM's address before @>@<this domain> (one your SPF/DKIM "
                    "cover, e.g. mail.example.com); unset: from from_email with the CSM's name.")
    send_budget: int = Field(1000, ge=0, description="Max messages sent per run.")
    sendgrid: SendGrid = SendGrid()
    safety: DeliverySafety = DeliverySafety()
