"""Account ownership (`ownership:`; docs: dbt_project/docs/ownership.md)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from flows.config.base import Segment, _Section
from flows.config.journey import Journey

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
