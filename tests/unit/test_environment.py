"""flows/environment.py: what the entry points set, and what they leave to the user and the worker."""

from __future__ import annotations

import json
import os

from flows import environment
from flows.transform import _dbt_flags, profiles_dir
from tests.conftest import make_config

KEYS = ("PREFECT_HOME", "PREFECT_SERVER_ANALYTICS_ENABLED", "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS",
        "PREFECT_LOGGING_LEVEL", "GX_ANALYTICS_ENABLED", "DBT_SEND_ANONYMOUS_USAGE_STATS", "PREFECT_API_URL")


def _clean(monkeypatch) -> None:
    for key in KEYS:  # monkeypatch puts the suite's values back afterwards
        monkeypatch.delenv(key, raising=False)


def test_the_cli_gets_a_workspace_prefect_home_and_quiet_logs(tmp_path, monkeypatch):
    _clean(monkeypatch)
    cfg = make_config(tmp_path / "ws")
    environment.prepare(cfg, verbose=False)
    assert os.environ["PREFECT_HOME"] == str(tmp_path / "ws" / "prefect")
    assert os.environ["PREFECT_LOGGING_LEVEL"] == "CRITICAL"
    assert os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    assert (tmp_path / "ws").is_dir()
    assert "PREFECT_API_URL" not in os.environ  # no server asked for


def test_values_the_user_set_win_and_verbose_keeps_prefect_logs(tmp_path, monkeypatch):
    _clean(monkeypatch)
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "mine"))
    environment.prepare(make_config(tmp_path / "ws"), verbose=True)
    assert os.environ["PREFECT_HOME"] == str(tmp_path / "mine")
    assert "PREFECT_LOGGING_LEVEL" not in os.environ


def test_a_deployed_flow_run_leaves_the_workers_prefect_settings_alone(tmp_path, monkeypatch):
    _clean(monkeypatch)
    environment.prepare(make_config(tmp_path / "ws"), deployed=True)
    assert not [k for k in KEYS if k.startswith("PREFECT_") and k in os.environ]
    assert os.environ["GX_ANALYTICS_ENABLED"] == "false"


def test_dbt_gets_the_workspace_profile_by_flag_not_by_environment(tmp_path):
    cfg = make_config(tmp_path / "ws", duckdb={"memory_limit": "1GB"}, dbt={"threads": 3})
    flags = _dbt_flags(cfg, quiet=True)
    folder = profiles_dir(cfg)
    assert flags[flags.index("--profiles-dir") + 1] == str(folder) == str(tmp_path / "ws" / "dbt")
    assert flags[flags.index("--log-path") + 1] == str(tmp_path / "ws" / "dbt" / "logs")
    output = json.loads((folder / "profiles.yml").read_text())["steward"]["outputs"]["duckdb"]
    assert output["path"] == str(cfg.path("warehouse"))
    assert output["threads"] == 3
    assert output["settings"] == {"memory_limit": "1GB", "temp_directory": str(tmp_path / "ws" / "tmp")}
