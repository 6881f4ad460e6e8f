"""The alert catalogue (`alerts:`; docs: dbt_project/docs/alerts.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from flows.config.base import _Section

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
