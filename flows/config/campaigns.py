"""Customer email campaigns (`campaigns:`; docs: dbt_project/docs/campaigns.md)."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from flows.config.base import Segment, _Section, _require_unique_names

CAMPAIGN_PLACEHOLDERS = ("contact_name", "account_name", "owner_name")
AUTOMATIC_CAMPAIGNS = ("welcome", "onboarding_sequence", "pooled_reach_out")
CampaignRecipient = Literal["primary_contact", "champion", "all_contacts"]


def _check_placeholders(text: str) -> str:
    """Only {contact_name}, {account_name}, {owner_name}: a typo fails at load, not in an email."""
    unknown = sorted({m for m in re.findall(r"\{([^{}]*)\}", text) if m not in CAMPAIGN_PLACEHOLDERS})
    if unknown:
        raise ValueError(f"unknown placeholder(s) {', '.join('{' + u + '}' for u in unknown)}; "
                         f"use {', '.join('{' + p + '}' for p in CAMPAIGN_PLACEHOLDERS)}")
    return text


class CampaignEmail(_Section):
    """Subject and plain-text body (paragraphs split on blank lines; HTML is escaped when rendered)."""

    subject: str = Field(min_length=1, description="{contact_name}, {account_name}, {owner_name} are filled in.")
    body: str = Field(min_length=1, description="Plain text; the same placeholders as the subject.")

    @field_validator("subject", "body")
    @classmethod
    def _placeholders(cls, v: str) -> str:
        return _check_placeholders(v)


class SendWindow(_Section):
    """Hours (UTC, wall clock of the run) in which campaign email is queued: [start_hour, end_hour).
    start > end wraps midnight (22 -> 6); 0 -> 24 is always open."""

    start_hour: int = Field(0, ge=0, le=23)
    end_hour: int = Field(24, ge=1, le=24)

    @model_validator(mode="after")
    def _not_empty(self) -> "SendWindow":
        if self.start_hour == self.end_hour:
            raise ValueError("start_hour and end_hour are equal: the window would never (or always) be open; "
                             "use 0 and 24 for always")
        return self

    def is_open(self, hour: int) -> bool:
        if self.start_hour < self.end_hour:
            return self.start_hour <= hour < self.end_hour
        return hour >= self.start_hour or hour < self.end_hour

    def label(self) -> str:
        return f"{self.start_hour:02d}:00-{self.end_hour:02d}:00 UTC"


class WelcomeCampaign(CampaignEmail):
    """Once per contact, to accounts created or first paid within `within_days`."""

    enabled: bool = True
    within_days: int = Field(14, ge=0, description="Accounts created or first paid this recently get it.")
    to: CampaignRecipient = "primary_contact"
    subject: str = "Welcome aboard, {contact_name}"
    body: str = ("Hello {contact_name},\n\nWelcome! I am {owner_name}, your customer success manager for "
                 "{account_name}. I will help your team get set up and reach its first goals.\n\n"
                 "Reply to this email any time; it comes straight to me.")


class SequenceStep(CampaignEmail):
    day: int = Field(ge=0, description="Days after the account entered onboarding.")


class OnboardingSequence(_Section):
    """Emails on given days of onboarding; the sequence stops for good once the account leaves
    the onboarding phase (to risk, renewal, adoption, ...)."""

    enabled: bool = True
    to: CampaignRecipient = "primary_contact"
    max_late_days: int = Field(7, ge=0, description="A step not sent within this many days of its day is skipped "
                                                    "(e.g. an account first seen mid-onboarding).")
    steps: list[SequenceStep] = Field(default_factory=lambda: [
        SequenceStep(day=0, subject="Getting started with your account, {contact_name}",
                     body="Hello {contact_name},\n\nHere is how teams like {account_name} get value in their "
                          "first week: invite your colleagues, connect your first data source and build "
                          "one dashboard together.\n\n{owner_name}"),
        SequenceStep(day=7, subject="One week in: how is {account_name} doing?",
                     body="Hello {contact_name},\n\nYou are one week in. Teams that set up an integration "
                          "in their second week adopt twice as fast. Shall we look at yours together?"
                          "\n\n{owner_name}"),
        SequenceStep(day=30, subject="Your first month with us",
                     body="Hello {contact_name},\n\nA month has passed since {account_name} started. "
                          "I would like to review your goals and plan the next steps with you."
                          "\n\n{owner_name}"),
    ])

    @field_validator("steps")
    @classmethod
    def _distinct_days(cls, v: list[SequenceStep]) -> list[SequenceStep]:
        days = [s.day for s in v]
        if len(set(days)) != len(days):
            raise ValueError(f"step days must be distinct, got {days}")
        return sorted(v, key=lambda s: s.day)


class PooledReachOut(CampaignEmail):
    """A periodic email to pooled (low-touch) accounts: segment in `segments`, or a current
    ops.assignments row with role `pool`. Onboarding and churned accounts are left out."""

    enabled: bool = True
    every_days: int = Field(45, ge=1, description="Days between two reach-outs to one account.")
    segments: list[Segment] = Field(["smb"], description="Segments served by the pool.")
    touchpoint_resets: bool = Field(True, description="A CRM touchpoint within every_days counts as contact: "
                                                      "no email then.")
    to: CampaignRecipient = "primary_contact"
    subject: str = "Checking in on {account_name}"
    body: str = ("Hello {contact_name},\n\nIt has been a while since we last spoke. Is there anything we "
                 "can help {account_name} with? Reply to this email and the team will get back to you."
                 "\n\n{owner_name}")


class CampaignAudience(_Section):
    """Which contacts a bulk campaign goes to; every condition given must hold (AND). Churned
    accounts are only included when `phases` names churned."""

    roles: list[str] | None = Field(None, description="Contact roles, case-insensitive; * matches anything "
                                                      "(e.g. '*admin*').")
    segments: list[Segment] | None = None
    phases: list[Literal["onboarding", "adoption", "risk", "renewal", "advocacy", "churned"]] | None = None
    champions_only: bool = False
    primary_only: bool = False
    paying_only: bool = Field(False, description="Only accounts with MRR today.")


class BulkCampaign(CampaignEmail):
    """A one-off campaign (feature release, greetings) sent by command: `steward campaign send NAME`."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="Identifier (lower_snake_case).")
    description: str = ""
    audience: CampaignAudience = CampaignAudience()

    @field_validator("name")
    @classmethod
    def _not_automatic(cls, v: str) -> str:
        if v in AUTOMATIC_CAMPAIGNS:
            raise ValueError(f"{v!r} is an automatic campaign's name; pick another")
        return v


class Campaigns(_Section):
    """Customer email campaigns through the outbox: each contact gets each campaign (step) at most once."""

    send_window_utc: SendWindow = SendWindow()
    max_per_run: int = Field(500, ge=1, description="Campaign emails queued per run at most; the rest wait "
                                                    "for the next run (lifecycle emails first, then oldest).")
    max_per_contact_per_day: int = Field(1, ge=1, description="Campaign emails one address gets per day at most; "
                                                              "more wait for the next day.")
    welcome: WelcomeCampaign = WelcomeCampaign()
    onboarding_sequence: OnboardingSequence = OnboardingSequence()
    pooled_reach_out: PooledReachOut = PooledReachOut()
    bulk: list[BulkCampaign] = Field(default_factory=list)

    @field_validator("bulk")
    @classmethod
    def _unique_names(cls, v: list[BulkCampaign]) -> list[BulkCampaign]:
        return _require_unique_names(v, "campaign")

    def dbt_vars(self) -> dict[str, Any]:
        """What fct_campaign_targets needs (who is due which automatic campaign)."""
        w, s, p = self.welcome, self.onboarding_sequence, self.pooled_reach_out
        return {
            "welcome": {"enabled": w.enabled, "within_days": w.within_days, "to": w.to},
            "onboarding_sequence": {"enabled": s.enabled and bool(s.steps), "days": [x.day for x in s.steps],
                                    "max_late_days": s.max_late_days, "to": s.to},
            "pooled_reach_out": {"enabled": p.enabled, "segments": p.segments, "every_days": p.every_days,
                                 "touchpoint_resets": p.touchpoint_resets, "to": p.to},
        }
