"""Playbooks (`playbooks:`; docs: dbt_project/docs/playbooks.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from flows.config.alerts import Alerts
from flows.config.base import Segment, _Section


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
