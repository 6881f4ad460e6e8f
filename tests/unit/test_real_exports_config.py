"""Config and contract pieces for real exports: own enumerations, mappings, dates, small defects."""

from __future__ import annotations

import numpy as np
import pytest

from flows.config import ConfigError, load_config
from flows.health.metrics import decile_lift
from flows.ingest import contract


def _load(tmp_path, text, environ=None):
    f = tmp_path / "steward.yml"
    f.write_text(text)
    return load_config(f, environ=environ or {})


def test_history_start_unquoted_in_yaml_and_from_the_environment(tmp_path):
    assert _load(tmp_path, "revenue:\n  history_start: 2018-01-01\n").revenue.history_start == "2018-01-01"
    cfg = _load(tmp_path, "{}\n", environ={"STEWARD_REVENUE__HISTORY_START": "2018-01-01"})
    assert cfg.revenue.history_start == "2018-01-01" and cfg.dbt_vars()["revenue_history_start"] == "2018-01-01"


def test_constant_predictor_has_a_decile_lift_of_one():
    label = np.zeros(40, bool)
    label[[0, 1, 2, 3]] = True  # the churners come first: a stable sort would put them all in the top decile
    assert decile_lift(np.ones(40), label) == pytest.approx(1.0)


def test_ties_at_the_decile_boundary_share_the_places():
    # top decile = 2 of 20; one account clearly riskiest (a stayer), then 4 tied, 2 of them churners:
    # the second place goes to the tie, half a churner in expectation -> rate 0.25 over base 0.1
    risk = np.array([9.0, 5, 5, 5, 5] + [1.0] * 15)
    label = np.zeros(20, bool)
    label[[1, 2]] = True
    assert decile_lift(risk, label) == pytest.approx(0.25 / 0.1)


def test_type_rule_reads_an_integer_not_a_integer():
    from flows.quality.contract_rules import Rule

    assert Rule("t", "c", "type", "warn", "sql", ("integer",)).describe() == "must be an integer"
    assert Rule("t", "c", "type", "warn", "sql", ("date",)).describe() == "must be a date"


def test_ids_are_text_and_user_id_is_optional():
    usage = contract.TABLES["usage_events"]
    assert usage.column("event_id").dtype == "string"
    assert not usage.column("user_id").required and usage.column("user_id").nullable
    assert all(c.dtype == "string" for t in contract.TABLES.values() for c in t.columns if c.name.endswith("_id"))


def test_own_enumerations_reach_the_contract_and_defaults_come_back():
    try:
        contract.configure({"segments": ["strategic", "scale"], "ticket_priorities": ["p1", "p2"]})
        assert contract.TABLES["accounts"].column("segment").allowed == ("strategic", "scale")
        assert contract.TABLES["support_tickets"].column("priority").allowed == ("p1", "p2")
        assert contract.TABLES["touchpoints"].column("channel").allowed == ("call", "email", "meeting", "qbr")
    finally:
        contract.configure(None)
    assert contract.TABLES["accounts"].column("segment").allowed == ("enterprise", "mid_market", "smb")


def test_own_segments_must_be_used_everywhere_config_names_a_segment(tmp_path):
    with pytest.raises(ConfigError) as exc:
        _load(tmp_path, "enumerations:\n  segments: [strategic, scale]\nownership:\n  pooled_segments: [smb]\n")
    msg = str(exc.value)
    assert "a segment must be one of enumerations.segments ('strategic' or 'scale')" in msg
    assert "`ownership.pooled_segments.0` is 'smb'" in msg
    # a default that names a segment the company does not have is dropped, not an error
    cfg = _load(tmp_path, "enumerations:\n  segments: [strategic, scale]\n")
    assert cfg.ownership.pooled_segments == [] and cfg.campaigns.pooled_reach_out.segments == []
    assert cfg.dbt_vars()["health_cadence_days"] == {"strategic": 30, "scale": 30}
    assert cfg.dbt_vars()["enum_segments"] == ["strategic", "scale"]


def test_a_mapping_must_name_contract_columns(tmp_path):
    with pytest.raises(ConfigError) as exc:
        _load(tmp_path, "sources:\n  accounts:\n    columns: {acount_id: id}\n")
    assert "sources.accounts.columns.acount_id: accounts has no column acount_id" in str(exc.value)
    with pytest.raises(ConfigError) as exc:
        _load(tmp_path, "sources:\n  acounts:\n    columns: {account_id: id}\n")
    assert "sources.acounts: not a landing table" in str(exc.value)


def test_shadow_mode_and_history_defaults(tmp_path):
    cfg = _load(tmp_path, "actions:\n  mode: shadow\n")
    assert cfg.actions.mode == "shadow" and cfg.recipients.data_team
    assert cfg.health.min_history_days == 30 and cfg.dbt_vars()["health_min_known_weight"] == 0.5
