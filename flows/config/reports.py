"""Scheduled reports (`reports:`)."""

from __future__ import annotations

from pydantic import Field

from flows.config.base import EmailAddress, _Section


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
