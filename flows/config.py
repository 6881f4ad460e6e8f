"""One validated configuration: steward.yml loaded into pydantic models, env overrides applied.

Built once at the edge (CLI or flow entry) and passed down. Secrets are read from the
environment only and never printed.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (AfterValidator, BaseModel, ConfigDict, Field, PositiveInt, SecretStr, ValidationError,
                      field_validator, model_validator)

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
DEFAULT_CONFIG_FILE = REPO_ROOT / "steward.yml"
ENV_PREFIX = "STEWARD_"


class ConfigError(Exception):
    """A configuration file or override is invalid; the message names key, value and expectation."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


_EMAIL = re.compile(r"^[^@\s<>(),;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError("an email address like name@example.com")
    return value


EmailAddress = Annotated[str, AfterValidator(_email)]  # checked at load: a typo never reaches the outbox


SEGMENTS = ("enterprise", "mid_market", "smb")  # default account segments (enumerations.segments)
Segment = str  # one of enumerations.segments (checked by Config._segments_known)
Phase = Literal["onboarding", "adoption", "risk", "renewal", "advocacy", "churned"]  # journey phases


def _require_unique_names(items: list, what: str) -> list:
    """Validator body shared by every list of named things (playbooks, campaigns, surveys)."""
    names = [item.name for item in items]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"{what} names must be unique; repeated: {', '.join(dupes)}")
    return items


class Paths(_Section):
    """Where Steward keeps its files; relative paths resolve against the workspace."""

    workspace: Path = Field(Path(".steward"), description="Folder holding everything below.")
    landing: Path = Field(Path("landing"), description="Landing files (CSV/Parquet/JSONL).")
    warehouse: Path = Field(Path("warehouse.duckdb"), description="The DuckDB file.")
    outbox: Path = Field(Path("outbox"), description="Where the file transport writes emails.")
    truth: Path = Field(Path("truth"), description="Generator ground truth (never landed).")
    reports: Path = Field(Path("reports"), description="Rendered reports.")

    def resolve(self, name: str) -> Path:
        """Absolute path of one entry; relative entries live under the workspace."""
        ws = self.workspace.expanduser().resolve()
        if name == "workspace":
            return ws
        p = Path(getattr(self, name)).expanduser()
        return p if p.is_absolute() else ws / p

    @property
    def dbt_target(self) -> Path:
        """dbt artifacts go to the workspace so parallel workspaces never share a target/."""
        return self.resolve("workspace") / "dbt" / "target"


Severity = Literal["info", "warning", "critical"]


class AlertRule(_Section):
    """What every alert rule shares: on/off, severity, who gets it, and the reminder policy."""

    enabled: bool = True
    severity: Severity = "warning"
    route: Literal["owner", "leader", "both"] = Field(
        "owner", description="owner: the account's CSM (or the task owner); leader: recipients.cs_leader; "
                             "both: the owner, with the CS leader in copy.")
    realert_days: int | None = Field(None, ge=1, description="Remind in the digest every N days while the alert "
                                                              "stays open and unacknowledged; null: tell once.")


class RenewalAlerts(AlertRule):
    """Renewal-window alert: fire when a renewal is this many days away (largest window first)."""

    windows_days: list[int] = Field([90, 60, 30], min_length=1)
    billing_intervals: list[Literal["month", "year"]] = Field(
        ["year"], min_length=1,
        description="Which subscriptions have renewals worth an alert; monthly plans renew every month.")

    @field_validator("windows_days")
    @classmethod
    def _windows_positive_distinct(cls, v: list[int]) -> list[int]:
        if any(d <= 0 for d in v) or len(set(v)) != len(v):
            raise ValueError("windows must be distinct positive day counts, e.g. [90, 60, 30]")
        return sorted(v, reverse=True)


class HealthDipAlert(AlertRule):
    points: float = Field(15, gt=0, description="Health score drop over 7 days that fires.")
    realert_days: int | None = 7


class HealthTrendAlert(AlertRule):
    weeks: int = Field(3, ge=2, description="Consecutive weekly declines that make a sustained downward trend.")
    min_weekly_drop: float = Field(1.0, ge=0, description="Points a week must lose to count as a decline.")


class TouchpointTrendAlert(AlertRule):
    sentiment_drop: float = Field(0.3, gt=0, description="Fall of the 90-day average touchpoint sentiment vs "
                                                          "the prior 90 days (scale -1..1) that fires.")
    severity: Severity = "info"


class ChampionLostAlert(AlertRule):
    within_days: int = Field(90, ge=1, description="Alert while the last champion left this recently.")
    severity: Severity = "critical"
    route: Literal["owner", "leader", "both"] = "both"


class MrrDipAlert(AlertRule):
    pct: float = Field(20, gt=0, le=100, description="Account MRR down at least this % vs last month-end.")


class ChurnToleranceAlert(AlertRule):
    scopes: list[Literal["portfolio", "segment", "owner_csm"]] = Field(
        ["portfolio", "segment", "owner_csm"], min_length=1,
        description="Slices of rpt_revenue_retention checked each month (tolerances: revenue.churn_tolerance_*).")
    severity: Severity = "critical"
    route: Literal["owner", "leader", "both"] = "leader"


class FeatureDipAlert(AlertRule):
    drop_pct: float = Field(50, gt=0, le=100, description="Feature events down at least this % (30d vs prior 30d).")
    min_prior_events: int = Field(20, ge=1, description="Ignore features with fewer events in the prior 30 days.")
    key_features_only: bool = True
    severity: Severity = "info"


class TaskDueAlert(AlertRule):
    within_days: int = Field(2, ge=0, description="Open tasks due within this many days.")
    severity: Severity = "info"


class TaskOverdueAlert(AlertRule):
    max_age_days: int = Field(60, ge=1, description="Stop alerting on tasks overdue longer than this.")
    realert_days: int | None = 7


class CsmLateTasksAlert(AlertRule):
    window_days: int = Field(90, ge=7, description="Look at tasks due in this many days up to as_of.")
    min_tasks: int = Field(5, ge=1, description="A CSM needs at least this many tasks due to be judged.")
    late_share: float = Field(0.5, gt=0, le=1, description="Share done late or not done that fires.")
    route: Literal["owner", "leader", "both"] = "leader"
    realert_days: int | None = 30


class PaymentOverdueAlert(AlertRule):
    min_days_overdue: int = Field(15, ge=1, description="Oldest unpaid invoice at least this many days past due.")


class ChurnRiskAlert(AlertRule):
    enabled: bool = Field(False, description="Off until a churn model is trained (steward model train).")
    min_probability: float = Field(0.3, gt=0, lt=1, description="Churn probability (90 days, marts.fct_churn_risk) "
                                                               "from which an account is alerted.")


class Alerts(_Section):
    """The alert catalogue (docs: dbt_project/docs/alerts.md); each rule is a dbt model of candidates."""

    health_dip: HealthDipAlert = HealthDipAlert()
    health_trend: HealthTrendAlert = HealthTrendAlert()
    renewal: RenewalAlerts = RenewalAlerts()
    touchpoint_trend: TouchpointTrendAlert = TouchpointTrendAlert()
    champion_lost: ChampionLostAlert = ChampionLostAlert()
    mrr_dip: MrrDipAlert = MrrDipAlert()
    churn_tolerance: ChurnToleranceAlert = ChurnToleranceAlert()
    feature_dip: FeatureDipAlert = FeatureDipAlert()
    task_due: TaskDueAlert = TaskDueAlert()
    task_overdue: TaskOverdueAlert = TaskOverdueAlert()
    csm_late_tasks: CsmLateTasksAlert = CsmLateTasksAlert()
    payment_overdue: PaymentOverdueAlert = PaymentOverdueAlert()
    churn_risk: ChurnRiskAlert = ChurnRiskAlert()

    def rules(self) -> dict[str, AlertRule]:
        """Rule name (as in ops.alerts.rule) -> its settings."""
        return {("renewal_window" if k == "renewal" else k): getattr(self, k) for k in type(self).model_fields}


PHASES = ("onboarding", "adoption", "risk", "renewal", "advocacy", "churned")


class Journey(_Section):
    """Journey phases (docs: dbt_project/docs/journey.md). Triggers win in this order:
    churned, risk, renewal, advocacy; otherwise onboarding for `onboarding_days`, then adoption."""

    default_phase: Literal["onboarding", "adoption"] = Field(
        "onboarding", description="Phase of a new (or reactivated) account until onboarding_days pass.")
    onboarding_days: int = Field(90, ge=0, description="Days after the first paid day (or reactivation) "
                                                       "an account stays in its default phase.")
    renewal_window_days: int = Field(90, ge=1, description="A term-plan renewal this close moves the "
                                                           "account to `renewal`.")
    advocacy_min_nps: int = Field(9, ge=0, le=10, description="Latest NPS at least this, with green "
                                                               "health, moves the account to `advocacy`.")
    nps_max_age_days: int = Field(365, ge=1, description="An NPS answer older than this no longer counts.")


ROLES = ("csm", "onboarding_specialist", "renewal_manager", "csl")


class PlaybookTrigger(_Section):
    """When a playbook applies to an account; every condition given must hold (AND)."""

    phase: Literal["onboarding", "adoption", "risk", "renewal", "advocacy", "churned"] | None = Field(
        None, description="The account is in this journey phase (entering it starts an episode).")
    health_band: Literal["red", "amber", "green"] | None = None
    renewal_within_days: int | None = Field(None, ge=0, description="A term-plan renewal this close.")
    utilisation_below: float | None = Field(None, gt=0, description="30-day active users / seats below this.")
    utilisation_above: float | None = Field(None, ge=0)
    alert_rule: str | None = Field(None, description="An alert of this rule is active for the account.")
    segments: list[Segment] | None = Field(
        None, description="Audience: only accounts in these segments (none: every segment).")
    min_arr: float | None = Field(None, ge=0, description="Audience: only accounts with at least this ARR.")

    @field_validator("alert_rule")
    @classmethod
    def _known_rule(cls, v: str | None) -> str | None:
        rules = set(Alerts().rules())
        if v is not None and v not in rules:
            raise ValueError(f"unknown alert rule {v!r}; one of {', '.join(sorted(rules))}")
        return v


class PlaybookStep(_Section):
    """A task for someone on the team, or an email to the customer or the owner, due_days after the start."""

    task: str | None = Field(None, description="Task title; {account_name} is filled in.")
    owner_role: Literal["csm", "onboarding_specialist", "renewal_manager", "csl"] = Field(
        "csm", description="Who gets the task: the account's holder of this role (else its CSM).")
    email_subject: str | None = Field(None, description="Email subject; {account_name}, {contact_name}, "
                                                        "{owner_name} are filled in.")
    email_body: str | None = Field(None, description="Plain-text body (paragraphs split on blank lines).")
    to: Literal["owner", "primary_contact", "champion", "all_contacts"] = "primary_contact"
    due_days: int = Field(0, ge=0)

    @model_validator(mode="after")
    def _task_or_email(self) -> "PlaybookStep":
        if (self.task is None) == (self.email_subject is None):
            raise ValueError("a step is either a task (task: ...) or an email (email_subject + email_body)")
        if self.email_subject is not None and not self.email_body:
            raise ValueError("an email step needs email_body as well as email_subject")
        return self


class Playbook(_Section):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="Identifier (lower_snake_case).")
    description: str = ""
    enabled: bool = True
    trigger: PlaybookTrigger
    steps: list[PlaybookStep] = Field(min_length=1)
    exit_when: list[Literal["condition_cleared", "all_tasks_done", "expired"]] = Field(
        ["condition_cleared", "all_tasks_done", "expired"], min_length=1,
        description="Any of these closes a run (open tasks are then cancelled).")
    expiry_days: int = Field(60, ge=1)
    holdout_pct: float = Field(0, ge=0, lt=100, description="Share of eligible episodes held out (no run) as "
                                                           "a control group for rpt_playbook_impact.")

    @field_validator("trigger")
    @classmethod
    def _trigger_has_a_condition(cls, v: PlaybookTrigger) -> PlaybookTrigger:
        conditions = v.model_dump(exclude={"segments", "min_arr"}, exclude_none=True)
        if not conditions:
            raise ValueError("a trigger needs at least one condition: phase, health_band, renewal_within_days, "
                             "utilisation_below/above or alert_rule")
        return v


class Ownership(_Section):
    """Who owns each account (docs: dbt_project/docs/ownership.md). Rules, in order: churned accounts
    are released; pooled segments are owned by a pool; named segments go to their named CSMs; every
    other account to an active CSM (the CRM's owner when eligible, else the least loaded). On top:
    an onboarding specialist during onboarding, a renewal manager inside the renewal window."""

    enabled: bool = Field(True, description="false: the reconcile-assignments step is skipped.")
    balance_by: Literal["accounts", "arr"] = Field(
        "accounts", description="Load a new account is balanced on: accounts held ÷ capacity, or ARR held ÷ "
                                "capacity (capacity then weighs each person's share of the book).")
    follow_crm_owner: bool = Field(
        True, description="The CRM's owner_csm_id wins when it names an eligible CSM (also moving an account "
                          "whose CRM owner changed); false: balancing alone decides.")
    onboarding_specialist: bool = Field(
        True, description="Add an onboarding specialist for the onboarding period (journey.onboarding_days "
                          "of a new or reactivated paid streak).")
    renewal_manager: bool = Field(
        True, description="Add a renewal manager, in addition to the CSM, while a term renewal is inside "
                          "the renewal window.")
    renewal_window_days: int | None = Field(
        None, ge=1, description="Days before a renewal the renewal manager joins; null: journey.renewal_window_days.")
    pooled_segments: list[Segment] = Field(
        ["smb"], description="Low-touch segments a pool (user_id pool:<segment>) owns instead of a named CSM.")
    pool_contact_days: int = Field(
        45, ge=1, description="A pooled account untouched this long (or never touched this long after joining "
                              "the pool) gets a pooled_contact to-do in ops.tasks.")
    named_csms: dict[Segment, list[str]] = Field(
        {}, description="Segments only these people may own as CSM, e.g. {enterprise: [U001, U002]}; "
                        "a segment not listed: any active CSM.")

    @field_validator("pooled_segments")
    @classmethod
    def _distinct_segments(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError(f"distinct segments, got {v}")
        return v

    @field_validator("named_csms")
    @classmethod
    def _named_lists(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        for seg, users in v.items():
            if not users or any(not str(u).strip() or "'" in str(u) for u in users):
                raise ValueError(f"named_csms.{seg} must list at least one user_id (no quotes), got {users}")
        return v

    @model_validator(mode="after")
    def _pooled_or_named(self) -> "Ownership":
        both = sorted(set(self.pooled_segments) & set(self.named_csms))
        if both:
            raise ValueError(f"segment(s) {', '.join(both)} both pooled and in named_csms; a pooled segment has no CSM")
        return self

    def dbt_vars(self, journey: Journey) -> dict[str, Any]:
        """The rules dbt evaluates (balancing, stickiness and the pool cadence stay in Python)."""
        return {
            "ownership_pooled_segments": self.pooled_segments,
            "ownership_named_csms": self.named_csms,
            "ownership_onboarding_specialist": self.onboarding_specialist,
            "ownership_renewal_manager": self.renewal_manager,
            "ownership_renewal_window_days": self.renewal_window_days or journey.renewal_window_days,
            "ownership_pool_contact_days": self.pool_contact_days,
        }


# --- campaigns (docs: dbt_project/docs/campaigns.md) -------------------------------------------

CAMPAIGN_PLACEHOLDERS = ("contact_name", "account_name", "owner_name")
AUTOMATIC_CAMPAIGNS = ("welcome", "onboarding_sequence", "pooled_reach_out")
CampaignRecipient = Literal["primary_contact", "champion", "all_contacts"]


def _check_placeholders(text: str) -> str:
    """Only {contact_name}, {account_name}, {owner_name}: a typo fails at load, not in an email."""
    import re

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


class ReportSettings(_Section):
    """Who receives one scheduled report (the schedule itself lives in prefect.yaml)."""

    enabled: bool = True
    recipients: list[EmailAddress] = Field(default_factory=list, description="Empty: the CS leader.")


class Reports(_Section):
    """Scheduled reports; the to-do digest goes to every active CSM with something to do."""

    renewals: ReportSettings = ReportSettings()
    nrr: ReportSettings = ReportSettings()
    revenue_spread: ReportSettings = ReportSettings()
    team: ReportSettings = ReportSettings()
    todo: ReportSettings = ReportSettings()


class Revenue(_Section):
    """Metric policies for the revenue marts (definitions: dbt_project/docs/revenue_policies.md)."""

    discounts: Literal["apply", "ignore"] = Field(
        "apply", description="apply: MRR is after discount_pct; ignore: list price (discounts are not MRR-relevant).")
    trials: Literal["exclude", "include"] = Field(
        "exclude", description="exclude: trialing subscriptions carry no MRR; include: at their amount.")
    same_month_cancellation: Literal["drop", "count"] = Field(
        "drop", description="A subscription starting and ending in one month: drop (never MRR) or count "
                            "(MRR in its start month, churn the next).")
    past_due_churn_after_days: int | None = Field(
        None, ge=0, description="None: past-due stays MRR until cancelled; N: MRR ends N days after the "
                                "account's oldest unpaid invoice fell due.")
    history_start: str | None = Field(
        None, pattern=r"^\d{4}-\d{2}-\d{2}$",
        description="First month reported in fct_mrr (YYYY-MM-DD); None: the first subscription month.")

    @field_validator("history_start", mode="before")
    @classmethod
    def _history_start_text(cls, v: Any) -> Any:
        """Unquoted in YAML (or in STEWARD_REVENUE__HISTORY_START) a date is a date: take it as text."""
        import datetime as dt

        return v.isoformat() if isinstance(v, dt.date) else v

    churn_tolerance_logo_pct: float = Field(
        2.0, ge=0, le=100, description="Monthly logo churn rate (%) above which a period is flagged.")
    churn_tolerance_revenue_pct: float = Field(
        1.5, ge=0, le=100, description="Monthly gross revenue churn rate (%) above which a period is flagged.")
    renewal_intervals: list[Literal["month", "year"]] = Field(
        ["year"], min_length=1, description="Billing intervals whose renewals fct_renewals tracks.")
    renewal_probability: dict[str, float] = Field(
        {"cancelling": 0.0, "past_due": 0.5, "contracting": 0.7, "default": 0.9},
        description="Forecast weight of a renewal by the subscription's state (first match wins, in this order).")

    @field_validator("renewal_probability")
    @classmethod
    def _probabilities(cls, v: dict[str, float]) -> dict[str, float]:
        keys = {"cancelling", "past_due", "contracting", "default"}
        if set(v) != keys or any(not 0 <= p <= 1 for p in v.values()):
            raise ValueError(f"a probability in [0, 1] for each of {sorted(keys)}")
        return v


HEALTH_COMPONENTS = ("usage_depth", "usage_breadth", "sticky_features", "usage_trend", "engagement_recency",
                     "support", "sentiment", "payment_health", "champion")


class HealthBands(_Section):
    """Band thresholds on the 0-100 health total: red below `red_below`, green from `green_from`."""

    red_below: float = Field(40, ge=0, le=100)
    green_from: float = Field(70, ge=0, le=100)


class Health(_Section):
    """The health score (dbt_project/docs/health.md): weighted 0-100 components, bands, feature lists."""

    weights: dict[str, float] = Field(
        {"usage_depth": 15, "usage_breadth": 10, "sticky_features": 10, "usage_trend": 20,
         "engagement_recency": 10, "support": 5, "sentiment": 10, "payment_health": 5, "champion": 15},
        description="Relative weight per component; renormalised over the components with data.")
    bands: HealthBands = HealthBands()
    key_features: list[str] = Field(
        ["dashboards", "reports", "api", "integrations", "alerts", "workflows"], min_length=1,
        description="Features whose 30-day use makes up usage breadth.")
    sticky_features: list[str] = Field(
        ["api", "integrations", "workflows"], min_length=1,
        description="Features that are hard to rip out once adopted.")
    cadence_days: dict[Segment, PositiveInt] = Field(
        {"enterprise": 14, "mid_market": 30, "smb": 60},
        description="Agreed touchpoint cadence by segment; also the health score's engagement_recency yardstick.")
    cadence_days_by_phase: dict[Phase, Any] = Field(
        {}, description="Cadence for accounts in a journey phase (the phase the previous run recorded), "
                        "overriding cadence_days: days for every segment, or days per segment. "
                        "Sets fct_engagement's cadence (touchpoint alerts, team report), not health.")
    full_utilisation: float = Field(0.8, gt=0, le=1, description="Utilisation that earns a full depth score.")
    history_days: int = Field(365, ge=1, description="Days of daily health history kept before as_of.")
    default_cadence_days: PositiveInt = Field(30, description="Cadence of a segment cadence_days does not list.")
    min_history_days: int = Field(
        30, ge=0, description="An account paying for fewer days than this has too little history: its band is "
                              "insufficient_data (never red on day one) and it gets no reach-out cadence email.")
    min_known_weight: float = Field(
        0.5, ge=0, le=1, description="Share of the configured weight that must have data for an account and day; "
                                     "below it the band is insufficient_data.")

    @field_validator("weights")
    @classmethod
    def _weights_valid(cls, v: dict[str, float]) -> dict[str, float]:
        for key, w in v.items():
            if key not in HEALTH_COMPONENTS:
                raise ValueError(f"weights.{key} is not a health component; one of {', '.join(HEALTH_COMPONENTS)}")
            if w < 0:
                raise ValueError(f"weights.{key} = {w} must be non-negative")
        if sum(v.values()) <= 0:
            raise ValueError("weights must sum to more than 0")
        return v

    @field_validator("bands")
    @classmethod
    def _bands_ordered(cls, v: HealthBands) -> HealthBands:
        if v.red_below > v.green_from:
            raise ValueError(f"bands.red_below ({v.red_below}) must not exceed bands.green_from ({v.green_from})")
        return v

    @field_validator("cadence_days_by_phase")
    @classmethod
    def _phase_cadence_days(cls, v: dict[str, Any]) -> dict[str, Any]:
        for phase, days in v.items():
            per_segment = days if isinstance(days, dict) else {None: days}
            for seg, n in per_segment.items():
                key = f"cadence_days_by_phase.{phase}" + (f".{seg}" if seg else "")
                if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
                    raise ValueError(f"{key} = {n!r} must be a whole number of days greater than 0"
                                     + ("" if seg else ", or a map of segment to days"))
        return v

    def phase_cadence(self, segments: tuple[str, ...] | list[str] = SEGMENTS) -> dict[str, dict[str, int]]:
        """cadence_days_by_phase spelled out per segment: {phase: {segment: days}}; a segment a
        phase leaves out keeps its cadence_days."""
        return {phase: ({seg: days for seg in segments} if isinstance(days, int) else dict(days))
                for phase, days in self.cadence_days_by_phase.items()}

    def segment_cadence(self, segments: list[str]) -> dict[str, int]:
        """cadence_days for every configured segment; one not listed gets default_cadence_days."""
        return {seg: self.cadence_days.get(seg, self.default_cadence_days) for seg in segments}


SURVEY_KINDS = ("nps", "onboarding", "csat")  # the landing contract's survey values


class SurveyEmail(_Section):
    """What a survey invitation says; {contact_name} and {account_name} are filled in."""

    subject: str = Field(min_length=1)
    intro: str = Field("", description="Paragraphs before the question (split on blank lines).")
    question: str = Field(min_length=1, description="The rating question; the email shows one link per score.")


class NpsSurvey(SurveyEmail):
    """Yearly NPS per contact (0-10). Eligibility: dbt model actions.fct_survey_due (docs/surveys.md)."""

    enabled: bool = True
    every_days: int = Field(365, ge=1, description="Never invite a contact twice within this many days "
                                                   "(an NPS answer that arrived otherwise counts too).")
    max_per_run: int | None = Field(50, ge=0, description="NPS invitations per daily run (per as_of day: a rerun "
                                                          "counts what the first run sent), longest-unsurveyed "
                                                          "first: spreads the first yearly wave; null: no cap.")
    exclude_phases: list[Phase] = Field(
        ["onboarding", "churned"], description="Accounts in these journey phases are not asked.")
    subject: str = "{contact_name}, how likely are you to recommend us?"
    intro: str = "Hello {contact_name},\n\nOne question, one click: your answer goes straight to the team looking after {account_name}."
    question: str = "How likely are you to recommend us to a friend or colleague?"


class OnboardingSurvey(SurveyEmail):
    """Sent to the primary contact when an account's onboarding phase ends (not when it churns)."""

    enabled: bool = True
    within_days: int = Field(14, ge=0, description="An onboarding stay that ended this many days ago still "
                                                   "gets its survey (a run was missed); older ones never do.")
    every_days: int = Field(365, ge=1, description="At most one onboarding survey per account in this many days.")
    scale_min: int = Field(1, ge=0, le=10)
    scale_max: int = Field(5, ge=1, le=10)
    subject: str = "How was getting started, {contact_name}?"
    intro: str = "Hello {contact_name},\n\n{account_name} has finished onboarding. We would love to know how it went."
    question: str = "How satisfied are you with your onboarding? (1 = not at all, 5 = very)"

    @model_validator(mode="after")
    def _scale(self) -> "OnboardingSurvey":
        if self.scale_min >= self.scale_max:
            raise ValueError(f"scale_min ({self.scale_min}) must be below scale_max ({self.scale_max})")
        return self


class SurveyAudience(_Section):
    """Who an ad-hoc survey goes to; every filter given must hold (empty list: no filter)."""

    roles: list[str] = Field(default_factory=list, description="Contact roles (CRM `role`, case-insensitive).")
    segments: list[Segment] = Field(default_factory=list)
    phases: list[Phase] = Field(
        default_factory=list, description="Journey phases of the account (empty: every phase but churned).")
    primary_only: bool = False
    champions_only: bool = False


class AdhocSurvey(SurveyEmail):
    """A named rating survey sent by `steward survey send NAME`; answers land as survey `csat`."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="Identifier (lower_snake_case).")
    scale_min: int = Field(1, ge=0, le=10)
    scale_max: int = Field(5, ge=1, le=10)
    audience: SurveyAudience = SurveyAudience()
    every_days: int | None = Field(None, ge=1, description="Send again to a contact after this many days; "
                                                           "null: once per contact.")
    max_per_send: int | None = Field(None, ge=1, description="Cap per `survey send` (null: everyone due).")

    @model_validator(mode="after")
    def _valid(self) -> "AdhocSurvey":
        if self.scale_min >= self.scale_max:
            raise ValueError(f"scale_min ({self.scale_min}) must be below scale_max ({self.scale_max})")
        if self.name in SURVEY_KINDS:
            raise ValueError(f"name {self.name!r} is reserved; pick another")
        return self


class Surveys(_Section):
    """NPS, end-of-onboarding and ad-hoc rating surveys (docs: dbt_project/docs/surveys.md)."""

    response_url: str | None = Field(
        None, pattern=r"^https?://[^\s?#]+(\?[^\s#]*)?$",
        description="An external response page (links <url>?t=<token>&s=<score>); unset: `steward serve` "
                    "pages at <serve.base_url>/s/<token>.")
    response_window_days: int = Field(60, ge=1, description="A response landed without a token counts for an "
                                                            "invitation to the same contact and survey this long.")
    min_days_between_surveys: int = Field(30, ge=0, description="No contact gets two survey invitations "
                                                                "(of any survey) within this many days.")
    nps: NpsSurvey = NpsSurvey()
    onboarding: OnboardingSurvey = OnboardingSurvey()
    adhoc: list[AdhocSurvey] = Field(default_factory=list)

    @field_validator("adhoc")
    @classmethod
    def _unique_names(cls, v: list[AdhocSurvey]) -> list[AdhocSurvey]:
        return _require_unique_names(v, "ad-hoc survey")

    def adhoc_survey(self, name: str) -> AdhocSurvey | None:
        return next((s for s in self.adhoc if s.name == name), None)

    def dbt_vars(self) -> dict[str, Any]:
        return {
            "surveys_nps_enabled": self.nps.enabled, "surveys_nps_every_days": self.nps.every_days,
            "surveys_nps_exclude_phases": self.nps.exclude_phases,
            "surveys_onboarding_enabled": self.onboarding.enabled,
            "surveys_onboarding_within_days": self.onboarding.within_days,
            "surveys_onboarding_every_days": self.onboarding.every_days,
            "surveys_min_days_between": self.min_days_between_surveys,
            "surveys_response_window_days": self.response_window_days,
        }


class Enumerations(_Section):
    """Values a company names its own way; the landing contract allows these (defaults: Steward's)."""

    segments: list[str] = Field(list(SEGMENTS), min_length=1, description="Account segments.")
    touchpoint_channels: list[str] = Field(["call", "email", "meeting", "qbr"], min_length=1)
    ticket_priorities: list[str] = Field(["low", "normal", "high", "urgent"], min_length=1,
                                         description="Support load weighs urgent 4, high 2, normal 1, others 0.5.")

    @field_validator("segments", "touchpoint_channels", "ticket_priorities")
    @classmethod
    def _distinct_values(cls, v: list[str]) -> list[str]:
        bad = [x for x in v if not str(x).strip() or "'" in str(x)]
        if bad or len(set(v)) != len(v):
            raise ValueError(f"distinct, non-empty values without quotes, got {v}")
        return v


class Actions(_Section):
    """live: alerts, playbooks, campaigns and surveys act. shadow (the first days on real data):
    every decision is computed and recorded in ops with a shadow flag, nothing reaches customers or
    CSMs, and one summary of what Steward would have done goes to recipients.data_team."""

    mode: Literal["live", "shadow"] = "live"


class SourceMapping(_Section):
    """How one export maps onto a landing-contract table (config, not code; a vendor preset is a file
    of these). Applied by `steward check` and `steward run` when the file is read."""

    file: str | None = Field(None, description="The export's file or folder name (without extension), when it is "
                                               "not the table's name, e.g. companies for accounts.")
    columns: dict[str, str] = Field(default_factory=dict, description="Contract column: the export's column name.")
    constants: dict[str, str] = Field(default_factory=dict, description="Contract column: one value for every row.")
    values: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="Contract column: {export value: contract value}, e.g. priority: "
                                          "{medium: normal}; values not listed pass through.")
    date_formats: dict[str, str] = Field(
        default_factory=dict, description="Contract column: strptime format of the export, e.g. '%d/%m/%Y'.")
    cents: list[str] = Field(default_factory=list, description="Amount columns the export gives in cents.")
    epochs: dict[str, Literal["seconds", "milliseconds"]] = Field(
        default_factory=dict, description="Contract column: the export gives it as a Unix epoch in seconds (Stripe) "
                                          "or milliseconds (HubSpot date properties).")
    optional: list[str] = Field(
        default_factory=list, description="Contract columns whose export column may be missing from the file "
                                          "(a custom property not every account has): then they are empty.")
    multiply: dict[str, str] = Field(
        default_factory=dict, description="Contract column: another contract column it is multiplied by, e.g. "
                                          "amount: seats when the export gives a per-unit price.")
    fallbacks: dict[str, str] = Field(
        default_factory=dict, description="Contract column: another contract column used where this one is empty, "
                                          "e.g. an invoice's due_at falls back to issued_at.")


class Dbt(_Section):
    threads: int = Field(4, ge=1, description="dbt threads (DuckDB parallelises inside each query too).")
    node_tasks: bool = Field(False, description="Run each dbt node as its own Prefect task (prefect-dbt); "
                                                "finer observability, ~0.15 s extra per node.")
    unit_tests: bool = Field(False, description="Also run dbt's unit tests in every build. They check the SQL "
                                                "on fixed rows, not the data, so they change only with the code: "
                                                "the test suite runs them (tests/integration/test_transform.py).")
    engine: Literal["duckdb", "spark"] = Field(
        "duckdb", description="Where dbt builds the models: the embedded DuckDB warehouse, or Apache Spark (the "
                              "`spark` extra; README \"DuckDB or Spark\"). Env override: STEWARD_DBT__ENGINE.")
    project_dir: Path = DBT_PROJECT_DIR


class DuckDbSettings(_Section):
    """DuckDB's memory cap and spill folder, for every connection Steward opens and for dbt's."""

    memory_limit: str = Field("5GB", pattern=r"^\d+(\.\d+)?\s*([KMGT]i?B)$",
                              description="DuckDB memory_limit (e.g. 5GB: fits an 8 GiB worker); beyond it DuckDB "
                                          "spills to temp_directory instead of running out of memory.")
    temp_directory: Path = Field(Path("tmp"), description="Where DuckDB spills; relative to the workspace.")

    def temp_path(self, workspace: Path) -> Path:
        p = self.temp_directory.expanduser()
        return p if p.is_absolute() else workspace / p


class RunSettings(_Section):
    """How a run shares its workspace and which clock it trusts (README "Run lock and analyst copy")."""

    lock_wait_seconds: float = Field(30, ge=0, description="How long a run waits for a process holding the "
                                                           "warehouse file open before it fails naming it.")
    future_grace_days: int = Field(1, ge=0, description="The gate's 'in the future' means after as_of plus this "
                                                        "many days (exports stamped in a later time zone).")


class Publish(_Section):
    """What the read-only analyst copy holds; raw and quarantine only if listed here."""

    schemas: list[str] = Field(["marts", "actions", "reports", "ops", "backtest"],
                               description="Schemas copied (views become tables).")
    exclude_columns: list[str] = Field(
        ["ops.outbox.text_body", "ops.outbox.html_body", "ops.outbox.attachments"],
        description="schema.table.column left out (message bodies carry survey links); columns named "
                    "token, *_secret, *_password, *_api_key are always left out.")


class Serve(_Section):
    """`steward serve`: the public base URL that email links point at and how long links live.

    Links are signed with the secret in the environment variable STEWARD_SERVE_SECRET.
    """

    base_url: str | None = Field(None, pattern=r"^https?://[^\s?#]+$",
                                 description="Public URL of `steward serve` (unset: emails carry no links).")
    action_link_days: int = Field(14, ge=1, description="Alert and task buttons in emails expire after this.")
    unsubscribe_link_days: int = Field(365, ge=1, description="Unsubscribe links expire after this.")
    page_link_days: int = Field(30, ge=1, description="Links to a CSM's or an account's page expire after this.")
    survey_days: int = Field(60, ge=1, description="A survey can be answered this long after the invitation.")
    unsubscribe_mailto: str | None = Field(None, description="Optional mailto address in List-Unsubscribe.")


class ModelBands(_Section):
    """Churn probability from which an account is medium / high risk (low below medium)."""

    medium: float = Field(0.1, gt=0, lt=1)
    high: float = Field(0.3, gt=0, lt=1)

    @model_validator(mode="after")
    def _ordered(self):
        if self.medium >= self.high:
            raise ValueError(f"model.bands: medium ({self.medium}) must be below high ({self.high})")
        return self


class ModelSettings(_Section):
    """Churn and expansion models (flows/model/; model cards in models/)."""

    random_state: int = Field(23, description="Seed of every random choice in training: same data, same model.")
    horizon_days: int = Field(90, ge=7, description="The models predict churn / expansion within this many days.")
    min_events: int = Field(50, ge=1, description="Refuse to train with fewer positive rows than this in the "
                                                  "training slice (a fifth of it in the calibration slice).")
    sample_every_days: int = Field(28, ge=7, description="One scoring date per account this often (an "
                                                         "account-specific offset): weekly rows are near copies.")
    test_days: int = Field(91, ge=28, description="The last label-complete days held out for evaluation.")
    calibration_share: float = Field(0.3, gt=0, lt=1, description="Share of accounts (never in the fit) whose "
                                                                  "earlier rows calibrate the probabilities.")
    bands: ModelBands = ModelBands()


class Config(_Section):
    """The whole of steward.yml."""

    reporting_currency: str = "USD"
    paths: Paths = Paths()
    alerts: Alerts = Alerts()
    journey: Journey = Journey()
    playbooks: list[Playbook] = Field(default_factory=list, description="See dbt_project/docs/playbooks.md.")

    @field_validator("playbooks")
    @classmethod
    def _unique_playbooks(cls, v: list[Playbook]) -> list[Playbook]:
        return _require_unique_names(v, "playbook")
    ownership: Ownership = Ownership()
    campaigns: Campaigns = Campaigns()
    recipients: Recipients = Recipients()
    delivery: Delivery = Delivery()
    reports: Reports = Reports()
    revenue: Revenue = Revenue()
    health: Health = Health()
    dbt: Dbt = Dbt()
    duckdb: DuckDbSettings = DuckDbSettings()
    surveys: Surveys = Surveys()
    run: RunSettings = RunSettings()
    publish: Publish = Publish()
    enumerations: Enumerations = Enumerations()
    actions: Actions = Actions()
    serve: Serve = Serve()
    model: ModelSettings = ModelSettings()
    sources: dict[str, SourceMapping] = Field(
        default_factory=dict, description="Per landing table, how an export's shape maps onto the contract.")

    @field_validator("sources", mode="before")
    @classmethod
    def _expand_presets(cls, v):
        """`sources: {billing: stripe}` names a preset (flows/ingest/presets/stripe.yml, or a path to a
        mapping file); its per-table mappings join the per-table entries, which win key by key."""
        from flows.ingest.presets import expand

        return expand(v)

    @field_validator("sources")
    @classmethod
    def _known_tables(cls, v: dict[str, SourceMapping]) -> dict[str, SourceMapping]:
        from flows.ingest.contract import TABLES

        for name, m in v.items():
            if name not in TABLES:
                raise ValueError(f"sources.{name}: not a landing table; one of {', '.join(TABLES)}")
            cols = set(TABLES[name].column_names)
            for key in ("columns", "constants", "values", "date_formats", "cents", "epochs", "optional", "multiply", "fallbacks"):
                for col in getattr(m, key):
                    if col not in cols:
                        raise ValueError(f"sources.{name}.{key}.{col}: {name} has no column {col}; "
                                         f"one of {', '.join(TABLES[name].column_names)}")
        return v

    @model_validator(mode="after")
    def _segments_known(self) -> "Config":
        """Every segment named in config must be a configured segment. A default that names one the
        company does not have (pooled ["smb"] with own segment names) is dropped, not an error."""
        known = set(self.enumerations.segments)
        problems: list[str] = []

        def check(owner: BaseModel, field: str, key: str) -> None:
            value = getattr(owner, field)
            if value is None:
                return
            names = list(value)
            unknown = [(i, n) for i, n in enumerate(names) if n not in known]
            if not unknown:
                return
            if field in owner.model_fields_set:
                problems.extend(f"`{key}.{n}`" if isinstance(value, dict) else f"`{key}.{i}` is {n!r}"
                                for i, n in unknown)
                return
            kept = [n for n in names if n in known]
            setattr(owner, field, {k: value[k] for k in kept} if isinstance(value, dict) else kept)

        check(self.ownership, "pooled_segments", "ownership.pooled_segments")
        check(self.ownership, "named_csms", "ownership.named_csms")
        check(self.campaigns.pooled_reach_out, "segments", "campaigns.pooled_reach_out.segments")
        check(self.health, "cadence_days", "health.cadence_days")
        for i, pb in enumerate(self.playbooks):
            check(pb.trigger, "segments", f"playbooks.{i}.trigger.segments")
        for i, c in enumerate(self.campaigns.bulk):
            check(c.audience, "segments", f"campaigns.bulk.{i}.audience.segments")
        for i, sv in enumerate(self.surveys.adhoc):
            check(sv.audience, "segments", f"surveys.adhoc.{i}.audience.segments")
        for phase, days in self.health.cadence_days_by_phase.items():
            for seg in (days if isinstance(days, dict) else {}):
                if seg not in known:
                    problems.append(f"`health.cadence_days_by_phase.{phase}.{seg}`")
        if problems:
            segs = [repr(s) for s in self.enumerations.segments]
            allowed = segs[0] if len(segs) == 1 else ", ".join(segs[:-1]) + " or " + segs[-1]
            raise ValueError("a segment must be one of enumerations.segments (" + allowed + "): "
                             + "; ".join(problems))
        return self

    def path(self, name: str) -> Path:
        return self.paths.resolve(name)

    def dbt_vars(self) -> dict[str, Any]:
        """Config values the dbt models read as vars (everything but as_of)."""
        return {
            "renewal_alert_windows": self.alerts.renewal.windows_days,
            "renewal_alert_intervals": self.alerts.renewal.billing_intervals,
            "alert_rules": {name: rule.model_dump() for name, rule in self.alerts.rules().items()},
            "cs_leader_recipient": self.recipients.cs_leader,
            "reporting_currency": self.reporting_currency,
            "unassigned_recipient": self.recipients.unassigned,
            **{f"revenue_{k}": v for k, v in self.revenue.model_dump().items()},
            **self._health_vars(),
            **{f"journey_{k}": v for k, v in self.journey.model_dump().items()},
            "playbooks": [{"name": p.name, "trigger": p.trigger.model_dump()} for p in self.playbooks if p.enabled],
            **self.ownership.dbt_vars(self.journey),
            **self.surveys.dbt_vars(),
            "campaigns": self.campaigns.dbt_vars(),
            **{f"enum_{k}": v for k, v in self.enumerations.model_dump().items()},
        }

    def _health_vars(self) -> dict[str, Any]:
        h = self.health
        return {
            "health_weights": h.weights, "health_red_below": h.bands.red_below,
            "health_green_from": h.bands.green_from, "health_key_features": h.key_features,
            "health_sticky_features": h.sticky_features,
            "health_cadence_days": h.segment_cadence(self.enumerations.segments),
            "health_cadence_days_by_phase": h.phase_cadence(self.enumerations.segments),
            "health_min_history_days": h.min_history_days, "health_min_known_weight": h.min_known_weight,
            "health_full_utilisation": h.full_utilisation, "health_history_days": h.history_days,
        }


def _env_overrides(environ: dict[str, str]) -> dict[str, Any]:
    """STEWARD_PATHS__WORKSPACE=/x -> {"paths": {"workspace": "/x"}} (double underscore nests)."""
    out: dict[str, Any] = {}
    for var, value in environ.items():
        if not var.startswith(ENV_PREFIX) or "__" not in var:
            continue
        keys = var[len(ENV_PREFIX):].lower().split("__")
        node = out
        for k in keys[:-1]:
            node = node.setdefault(k, {})
        node[keys[-1]] = yaml.safe_load(value) if value else value
    # Short aliases documented in README.
    for var, key in (("STEWARD_WORKSPACE", "workspace"), ("STEWARD_LANDING_DIR", "landing"),
                     ("STEWARD_WAREHOUSE", "warehouse"), ("STEWARD_OUTBOX_DIR", "outbox")):
        if environ.get(var):
            out.setdefault("paths", {})[key] = environ[var]
    return out


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for k, v in over.items():
        merged[k] = _merge(merged[k], v) if isinstance(v, dict) and isinstance(merged.get(k), dict) else v
    return merged


def _describe(err: dict[str, Any], source: str) -> str:
    key = ".".join(str(p) for p in err["loc"]) or "(top level)"
    value = err.get("input")
    shown = "missing" if err["type"] == "missing" else repr(value)
    if not err["loc"]:  # a check across sections: its message names the keys
        return f"{source}: {err['msg'].removeprefix('Value error, ')}"
    if err["type"] == "extra_forbidden":
        return f"{source}: unknown key `{key}` (value {shown}); check the spelling against steward.yml"
    return f"{source}: key `{key}` has value {shown}: expected {err['msg'].removeprefix('Value error, ')}"


def load_config(
    path: Path | str | None = None,
    overrides: dict[str, Any] | None = None,
    environ: dict[str, str] | None = None,
) -> Config:
    """Load steward.yml (or the given file), apply env then explicit overrides, validate."""
    path = Path(path) if path else DEFAULT_CONFIG_FILE
    if not path.exists():
        raise ConfigError(f"config file {path} does not exist")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of settings at the top level")
    data = _merge(raw, _env_overrides(dict(os.environ if environ is None else environ)))
    data = _merge(data, overrides or {})
    try:
        cfg = Config.model_validate(data)
    except ValidationError as exc:
        lines = [_describe(e, str(path)) for e in exc.errors()]
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines)) from None
    from flows.warehouse import set_resources  # every connection this process opens uses these

    set_resources(cfg.duckdb.memory_limit, cfg.duckdb.temp_path(cfg.path("workspace")))
    return cfg
