"""Revenue metric policies (`revenue:`; docs: dbt_project/docs/revenue_policies.md)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from flows.config.base import _Section

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
