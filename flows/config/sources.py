"""How a company names things and shapes its exports (`enumerations:`, `sources:`, `actions:`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from flows.config.base import SEGMENTS, _Section

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
