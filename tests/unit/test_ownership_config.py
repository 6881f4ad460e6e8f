"""The ownership section: defaults reach dbt, bad values fail naming the key."""

import pytest
import yaml

from flows.config import REPO_ROOT, ConfigError, load_config


def test_defaults_reach_dbt_as_vars():
    cfg = load_config(environ={})
    assert (cfg.ownership.balance_by, cfg.ownership.pooled_segments, cfg.ownership.pool_contact_days) == (
        "accounts", ["smb"], 45)
    ours = {k: v for k, v in cfg.dbt_vars().items() if k.startswith("ownership_")}
    assert ours == {"ownership_pooled_segments": ["smb"], "ownership_named_csms": {},
                    "ownership_onboarding_specialist": True, "ownership_renewal_manager": True,
                    "ownership_renewal_window_days": 90, "ownership_pool_contact_days": 45}
    # dbt gets them only from here (tests/unit/test_dbt_vars.py): dbt_project.yml has no defaults
    assert "vars" not in yaml.safe_load((REPO_ROOT / "dbt_project" / "dbt_project.yml").read_text())


def test_the_renewal_manager_window_defaults_to_the_journey_window():
    cfg = load_config(overrides={"journey": {"renewal_window_days": 60}}, environ={})
    assert cfg.dbt_vars()["ownership_renewal_window_days"] == 60
    cfg = load_config(overrides={"journey": {"renewal_window_days": 60}, "ownership": {"renewal_window_days": 30}},
                      environ={})
    assert cfg.dbt_vars()["ownership_renewal_window_days"] == 30


def test_env_override_and_named_csms():
    cfg = load_config(environ={"STEWARD_OWNERSHIP__BALANCE_BY": "arr",
                               "STEWARD_OWNERSHIP__NAMED_CSMS": "{enterprise: [U001, U002]}"})
    assert cfg.ownership.balance_by == "arr"
    assert cfg.dbt_vars()["ownership_named_csms"] == {"enterprise": ["U001", "U002"]}


@pytest.mark.parametrize("section, expected", [
    ({"balance_by": "revenue"}, "'accounts' or 'arr'"),
    ({"pooled_segments": ["smb", "smb"]}, "distinct segments"),
    ({"pooled_segments": ["tiny"]}, "'enterprise', 'mid_market' or 'smb'"),
    ({"named_csms": {"enterprise": []}}, "at least one user_id"),
    ({"named_csms": {"smb": ["U001"]}}, "both pooled and in named_csms"),
    ({"pool_contact_days": 0}, "greater than or equal to 1"),
])
def test_invalid_ownership_settings_name_the_problem(section, expected):
    with pytest.raises(ConfigError, match="ownership") as err:
        load_config(overrides={"ownership": section}, environ={})
    assert expected in str(err.value)
