"""Shared pieces of every config section: paths of the repository, the error type, the section base."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict


REPO_ROOT = Path(__file__).resolve().parent.parent.parent
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
