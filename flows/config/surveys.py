"""Surveys (`surveys:`; docs: dbt_project/docs/surveys.md)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator, model_validator

from flows.config.base import Phase, Segment, _Section, _require_unique_names

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
