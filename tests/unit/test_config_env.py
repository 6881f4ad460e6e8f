"""Environment overrides of steward.yml (flows/config/env.py, read with pydantic-settings)."""

import json
import re

import pytest

from flows.config import DEFAULT_CONFIG_FILE, REPO_ROOT, Config, ConfigError, env_overrides, load_config

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
# every full variable name README documents (placeholders like STEWARD_ALERTS__<RULE>__<KEY> excluded)
DOCUMENTED = sorted(set(re.findall(r"STEWARD_[A-Z]+(?:__[A-Z_]*[A-Z])+(?![A-Z_<])", README)))


def _key_path(var: str) -> list[str]:
    return var.removeprefix("STEWARD_").lower().split("__")


def test_readme_documents_overrides():
    assert len(DOCUMENTED) >= 20, DOCUMENTED
    assert "STEWARD_DELIVERY__TRANSPORT" in DOCUMENTED and "STEWARD_SURVEYS__NPS__MAX_PER_RUN" in DOCUMENTED


@pytest.mark.parametrize("var", DOCUMENTED)
def test_every_documented_variable_reaches_its_key(var):
    """Set to a value other than steward.yml's, the variable's key takes it (and nothing else moves)."""
    base = load_config(environ={})
    keys = _key_path(var)
    node = base.model_dump(mode="json")
    for k in keys:
        node = node[k]
    changed = {"int": lambda v: v + 1, "float": lambda v: round(v / 2, 3), "bool": lambda v: not v,
               "str": lambda v: {"file": "sendgrid", "accounts": "arr", "duckdb": "spark"}.get(v, "mail.example.org"),
               "list": lambda v: v[:1], "dict": lambda v: {k: 1 for k in list(v)[:1]}, "NoneType": lambda v: "mail.example.org"}
    new = changed[type(node).__name__](node)
    new = {"STEWARD_HEALTH__BANDS__RED_BELOW": 30, "STEWARD_OWNERSHIP__NAMED_CSMS": {"enterprise": ["U001"]},
           "STEWARD_OWNERSHIP__POOLED_SEGMENTS": ["mid_market"],
           "STEWARD_RECIPIENTS__DATA_TEAM": "data@example.org"}.get(var, new)
    cfg = load_config(environ={var: json.dumps(new)})
    got = cfg.model_dump(mode="json")
    for k in keys:
        got = got[k]
    merged = {**node, **new} if isinstance(node, dict) else new  # a mapping merges key by key
    assert got == merged, (var, got, merged)


def test_path_aliases_and_nesting():
    env = {"STEWARD_WORKSPACE": "/srv/steward", "STEWARD_LANDING_DIR": "/data/in", "STEWARD_WAREHOUSE": "",
           "STEWARD_OUTBOX_DIR": "mail", "STEWARD_ALERTS__RENEWAL__WINDOWS_DAYS": "[45, 15]",
           "STEWARD_HEALTH__WEIGHTS": "{usage_depth: 30}", "STEWARD_SURVEYS__NPS__MAX_PER_RUN": "null"}
    cfg = load_config(environ=env)
    assert str(cfg.path("workspace")) == "/srv/steward" and str(cfg.path("landing")) == "/data/in"
    assert str(cfg.path("outbox")) == "/srv/steward/mail"
    assert cfg.paths.warehouse.name == "warehouse.duckdb"  # empty alias: unset
    assert cfg.alerts.renewal.windows_days == [45, 15]
    assert cfg.health.weights["usage_depth"] == 30 and cfg.health.weights["champion"] == 15  # merged
    assert cfg.surveys.nps.max_per_run is None


def test_other_steward_variables_are_not_config_keys():
    """Secrets and single-underscore names are not read as keys, nor is a whole section in one variable."""
    env = {"STEWARD_SERVE_SECRET": "s3cret", "STEWARD_SENDGRID_API_KEY": "SG.x", "STEWARD_PATHS": "{workspace: /x}",
           "STEWARD_DUCKDB_MEMORY_LIMIT": "1GB", "steward_delivery__transport": "sendgrid", "OTHER__X": "1"}
    assert env_overrides(env) == {}
    assert load_config(environ=env) == load_config(environ={})


def test_explicit_overrides_win_over_the_environment():
    cfg = load_config(environ={"STEWARD_DBT__THREADS": "3"}, overrides={"dbt": {"threads": 2}})
    assert cfg.dbt.threads == 2


def test_a_bad_environment_value_is_the_same_one_line_error_as_in_the_file():
    with pytest.raises(ConfigError) as from_env:
        load_config(environ={"STEWARD_DELIVERY__TRANSPORT": "pigeon"})
    with pytest.raises(ConfigError) as from_overrides:
        load_config(environ={}, overrides={"delivery": {"transport": "pigeon"}})
    message = str(from_env.value)
    assert message == str(from_overrides.value)
    assert message == (f"invalid configuration:\n  {DEFAULT_CONFIG_FILE}: key `delivery.transport` has value "
                       "'pigeon': expected Input should be 'file' or 'sendgrid'")


def test_an_unknown_section_or_key_in_the_environment_is_named():
    for var, key in (("STEWARD_DELIVERYY__TRANSPORT", "deliveryy"), ("STEWARD_DBT__THREDS", "dbt.threds")):
        with pytest.raises(ConfigError, match=re.escape(f"unknown key `{key}` (value ")):
            load_config(environ={var: "3"})


def test_a_value_that_is_not_yaml_names_the_variable():
    with pytest.raises(ConfigError) as err:
        load_config(environ={"STEWARD_ALERTS__RENEWAL__WINDOWS_DAYS": "[45, 15"})
    message = str(err.value)
    assert "\n" not in message and "Traceback" not in message
    assert message.startswith("environment variable STEWARD_ALERTS__RENEWAL__WINDOWS_DAYS: value '[45, 15' is "
                              "not valid YAML")


def test_every_section_can_be_overridden():
    """Each top-level key of Config is a field of the env reader (a new section needs no env code)."""
    from flows.config.env import EnvOverrides

    assert set(Config.model_fields) <= set(EnvOverrides.model_fields)
