"""steward.yml loads into one model; bad values fail naming key, value and expectation."""

from pathlib import Path

import pytest

from flows.config import DEFAULT_CONFIG_FILE, ConfigError, load_config


def test_default_file_is_valid_and_paths_live_under_the_workspace(tmp_path):
    cfg = load_config(DEFAULT_CONFIG_FILE, overrides={"paths": {"workspace": str(tmp_path)}}, environ={})
    assert cfg.path("warehouse") == tmp_path / "warehouse.duckdb"
    assert cfg.path("outbox") == tmp_path / "outbox"
    assert cfg.alerts.renewal.windows_days == [90, 60, 30]


@pytest.mark.parametrize(
    "yaml_text, key, value, expected",
    [
        ("alerts:\n  renewal:\n    windows_days: [90, -5]\n", "alerts.renewal.windows_days", "[90, -5]",
         "distinct positive day counts"),
        ("delivery:\n  transport: smtp\n", "delivery.transport", "'smtp'", "'file'"),
        ("delivery:\n  send_budget: lots\n", "delivery.send_budget", "'lots'", "integer"),
        ("dbt:\n  threads: 0\n", "dbt.threads", "0", "greater than or equal to 1"),
    ],
)
def test_invalid_value_names_key_value_and_expectation(tmp_path, yaml_text, key, value, expected):
    f = tmp_path / "steward.yml"
    f.write_text(yaml_text)
    with pytest.raises(ConfigError) as err:
        load_config(f, environ={})
    msg = str(err.value)
    assert f"`{key}`" in msg and value in msg and expected in msg and str(f) in msg


def test_unknown_key_is_reported_not_ignored(tmp_path):
    f = tmp_path / "steward.yml"
    f.write_text("delivery:\n  form_email: x@example.com\n")
    with pytest.raises(ConfigError, match=r"unknown key `delivery.form_email`"):
        load_config(f, environ={})


def test_env_overrides_nested_keys_and_path_aliases(tmp_path):
    env = {"STEWARD_WORKSPACE": str(tmp_path / "ws"), "STEWARD_DBT__THREADS": "3",
           "STEWARD_ALERTS__RENEWAL__WINDOWS_DAYS": "[45, 15]"}
    cfg = load_config(environ=env)
    assert cfg.path("workspace") == tmp_path / "ws"
    assert cfg.dbt.threads == 3
    assert cfg.alerts.renewal.windows_days == [45, 15]


def test_explicit_override_beats_env(tmp_path):
    cfg = load_config(environ={"STEWARD_WORKSPACE": "/nowhere"},
                      overrides={"paths": {"workspace": str(tmp_path)}})
    assert cfg.path("workspace") == tmp_path


def test_missing_file_and_bad_yaml_are_clear(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yml")
    bad = tmp_path / "bad.yml"
    bad.write_text("alerts: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad, environ={})


def test_an_alert_rule_setting_is_validated_and_reaches_dbt():
    from flows.config import ConfigError, load_config

    cfg = load_config(environ={"STEWARD_ALERTS__HEALTH_DIP__POINTS": "25"})
    assert cfg.dbt_vars()["alert_rules"]["health_dip"]["points"] == 25
    with pytest.raises(ConfigError, match=r"alerts.mrr_dip.route"):
        load_config(overrides={"alerts": {"mrr_dip": {"route": "everyone"}}}, environ={})
