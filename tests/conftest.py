"""Shared fixtures: a session-scoped Prefect test harness and workspace-bound configs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

# Before prefect is imported anywhere: no telemetry, quiet logs, dbt offline.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("STEWARD_SERVE_SECRET", "steward-test-suite-secret")  # signs the links in test emails

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[1]
GENERATED_AS_OF = date(2026, 6, 30)


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


def steward(*args: str, ws: Path, api_url: str, timeout: int = 900) -> subprocess.CompletedProcess:
    """The real CLI in a subprocess, against the session's Prefect server."""
    env = {**os.environ, "PREFECT_API_URL": api_url, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "flows", *args, "--workspace", str(ws)], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=timeout)


def _utc_today() -> date:
    return datetime.now(timezone.utc).date()


@pytest.fixture(scope="session")
def generated_workspace(prefect_harness, tmp_path_factory) -> Path:
    """120 generated accounts x 24 months, built once by `steward run` for every test that only reads."""
    from prefect.settings import PREFECT_API_URL

    ws, api = tmp_path_factory.mktemp("generated") / "ws", PREFECT_API_URL.value()
    for args in (("generate", "--accounts", "120", "--months", "24", "--as-of", GENERATED_AS_OF.isoformat()),
                 # the run stands for today's daily deployment at 06:00 UTC: inside the campaign send window
                 # (06-20 UTC) whatever the hour the suite runs at, and its emailed links (issued at the
                 # scheduled time, valid for days) still open in the serve tests, which click them now
                 ("run", "--as-of", GENERATED_AS_OF.isoformat(), "--scheduled-at", f"{_utc_today()}T06:00")):
        result = steward(*args, ws=ws, api_url=api)
        assert result.returncode == 0, result.stdout + result.stderr
    return ws
