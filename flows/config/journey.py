"""Journey phases (`journey:`; docs: dbt_project/docs/journey.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from flows.config.base import _Section

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
