"""The revenue metric policies: validated in steward.yml, passed to dbt as revenue_* vars."""

import pytest
import yaml

from flows.config import REPO_ROOT, ConfigError, load_config


def test_policies_reach_dbt_as_vars_with_the_documented_defaults():
    dbt_vars = load_config(environ={}).dbt_vars()
    revenue = {k: v for k, v in dbt_vars.items() if k.startswith("revenue_")}
    assert revenue["revenue_discounts"] == "apply" and revenue["revenue_trials"] == "exclude"
    assert revenue["revenue_past_due_churn_after_days"] is None
    # dbt_project.yml holds no defaults of its own (tests/unit/test_dbt_vars.py): these are the ones dbt gets
    assert "vars" not in yaml.safe_load((REPO_ROOT / "dbt_project" / "dbt_project.yml").read_text())


def test_an_unknown_policy_value_names_the_key():
    with pytest.raises(ConfigError, match=r"revenue.same_month_cancellation.*'ignore'"):
        load_config(overrides={"revenue": {"same_month_cancellation": "ignore"}}, environ={})


def test_renewal_probabilities_must_cover_every_state():
    with pytest.raises(ConfigError, match=r"revenue.renewal_probability"):
        load_config(overrides={"revenue": {"renewal_probability": {"default": 1.5}}}, environ={})


def test_env_override_reaches_the_dbt_var():
    cfg = load_config(environ={"STEWARD_REVENUE__PAST_DUE_CHURN_AFTER_DAYS": "45"})
    assert cfg.dbt_vars()["revenue_past_due_churn_after_days"] == 45
