"""Shared fixtures: a session-scoped Prefect test harness and workspace-bound configs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# Before prefect is imported anywhere: no telemetry, quiet logs, dbt offline.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

FIXTURES = Path(__file__).parent / "fixtures"


def pytest_report_header(config):
    from importlib.metadata import version

    names = ("prefect", "prefect-dbt", "dbt-core", "dbt-duckdb", "duckdb", "great-expectations", "sendgrid")
    return "steward stack: " + ", ".join(f"{n} {version(n)}" for n in names)


@pytest.fixture(scope="session")
def prefect_harness(tmp_path_factory):
    """One ephemeral Prefect server for every test that runs a flow (start-up is ~10 s)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def make_config(workspace: Path, landing: Path | None = None, **sections):
    """A Config bound to a temp workspace (and optionally an external landing folder)."""
    from flows.config import load_config

    paths = {"workspace": str(workspace)}
    if landing is not None:
        paths["landing"] = str(landing)
    return load_config(overrides={"paths": paths, **sections}, environ={})


@pytest.fixture
def minimal_landing(tmp_path) -> Path:
    """The hand-written 4-account scenario copied to tmp (tests may edit it)."""
    dest = tmp_path / "landing"
    shutil.copytree(FIXTURES / "landing" / "minimal", dest)
    return dest
