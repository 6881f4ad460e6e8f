"""Health config validation names the key; backtest metrics match hand-computed values."""

import numpy as np
import pandas as pd
import pytest

from flows.config import ConfigError, load_config
from flows.health.metrics import average_ranks, decile_lift, precision_recall, roc_auc


def _load(tmp_path, text):
    f = tmp_path / "steward.yml"
    f.write_text(text)
    return load_config(f, environ={})


@pytest.mark.parametrize("text, names", [
    ("health:\n  weights: {usage_depth: -1, support: 2}\n", ["health.weights", "weights.usage_depth", "non-negative"]),
    ("health:\n  weights: {usage_depth: 0, support: 0}\n", ["health.weights", "sum to more than 0"]),
    ("health:\n  weights: {vibes: 3}\n", ["health.weights", "weights.vibes", "not a health component"]),
    ("health:\n  bands: {red_below: 80, green_from: 70}\n", ["health.bands", "red_below"]),
    ("health:\n  cadence_days: {enterprise: 14, tiny: 60}\n", ["`health.cadence_days.tiny`", "enumerations.segments"]),
    ("health:\n  cadence_days: {enterprise: 0, mid_market: 30, smb: 60}\n", ["health.cadence_days.enterprise", "greater than 0"]),
    ("health:\n  cadence_days_by_phase: {at_risk: 7}\n", ["health.cadence_days_by_phase", "at_risk"]),
    ("health:\n  cadence_days_by_phase: {risk: {startup: 7}}\n", ["health.cadence_days_by_phase", "startup"]),
    ("health:\n  cadence_days_by_phase: {risk: -3}\n", ["health.cadence_days_by_phase", "greater than 0"]),
])
def test_bad_health_config_names_the_key(tmp_path, text, names):
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, text)
    for part in names:
        assert part in str(err.value)


def test_health_config_reaches_dbt_vars(tmp_path):
    cfg = _load(tmp_path, "health:\n  weights: {usage_depth: 2, champion: 1}\n  bands: {red_below: 30, green_from: 60}\n")
    v = cfg.dbt_vars()
    assert v["health_weights"] == {"usage_depth": 2, "champion": 1}
    assert (v["health_red_below"], v["health_green_from"]) == (30, 60)
    assert v["health_cadence_days"]["smb"] == 60


def test_phase_cadence_spells_out_segments(tmp_path):
    """A number applies to every segment; a per-segment map overrides only the segments it names
    (the rest keep health.cadence_days in fct_engagement)."""
    cfg = _load(tmp_path, "health:\n  cadence_days_by_phase: {onboarding: 7, risk: {enterprise: 5}}\n")
    assert cfg.dbt_vars()["health_cadence_days_by_phase"] == {
        "onboarding": {"enterprise": 7, "mid_market": 7, "smb": 7}, "risk": {"enterprise": 5}}
    assert _load(tmp_path, "health:\n  cadence_days_by_phase: {}\n").dbt_vars()["health_cadence_days_by_phase"] == {}


def test_auc_by_hand():
    # churners have risks 0.9 and 0.4; stayers 0.5, 0.4, 0.1.
    # pairs: 0.9 beats all 3; 0.4 beats 0.1, ties 0.4 (1/2), loses to 0.5 -> (3 + 1.5) / 6
    risk = np.array([0.9, 0.4, 0.5, 0.4, 0.1])
    label = np.array([1, 1, 0, 0, 0])
    assert roc_auc(risk, label) == pytest.approx(4.5 / 6)
    assert roc_auc(-risk, label) == pytest.approx(1.5 / 6)
    assert roc_auc(risk, np.zeros(5)) is None


def test_average_ranks_share_ties():
    assert average_ranks(np.array([3.0, 1.0, 3.0, 2.0])).tolist() == [3.5, 1.0, 3.5, 2.0]


def test_precision_recall_and_lift():
    flagged = np.array([1, 1, 0, 0], bool)
    label = np.array([1, 0, 1, 0], bool)
    assert precision_recall(flagged, label) == (0.5, 0.5)
    risk = np.arange(20, dtype=float)  # riskiest two are 19, 18
    label = np.zeros(20, bool)
    label[[19, 3]] = True  # churn rate 10%; top decile (2 rows) holds one churner -> 50% -> lift 5
    assert decile_lift(risk, label) == pytest.approx(5.0)


def test_random_baseline_is_stable_near_half_on_a_small_portfolio():
    from flows.health.backtest import random_baseline

    label = np.zeros(400, bool)
    label[:8] = True  # few churners: a single draw's AUC swings widely
    single = [roc_auc(np.random.default_rng(s).random(400), label) for s in range(50)]
    assert max(abs(a - 0.5) for a in single) > 0.1
    averaged = random_baseline(label, seed=7)
    assert abs(averaged["auc"] - 0.5) < 0.04
    assert averaged == random_baseline(label, seed=7)  # seeded: the same table every run


def test_backtest_table_prints_whole_names_and_numbers_in_80_columns(monkeypatch):
    import io

    from rich.console import Console

    from flows.health import report
    from flows.health.backtest import BacktestResult

    out = io.StringIO()
    monkeypatch.setattr(report, "console", Console(file=out, width=80, highlight=False))
    rows = [{"horizon_days": 60, "predictor": p, "rows": 317972, "churners": 8037, "auc": auc,
             "precision_red": prec, "recall_red": rec, "lift_bottom_decile": lift}
            for p, auc, prec, rec, lift in [("health_score", 0.93612, 0.63, 0.292, 8.061),
                                            ("engagement_recency", 0.664, 0.068, 0.12, 3.49),
                                            ("baseline_utilisation", 0.842, None, None, 5.54)]]
    report.print_backtest(BacktestResult(pd.DataFrame(rows), "planted churn", 48, ["sentiment"]))
    text = out.getvalue()
    assert "…" not in text and max(len(line) for line in text.splitlines()) <= 80
    health = next(line for line in text.splitlines() if "health_score" in line).split()
    assert health == ["60", "d", "health_score", "317,972", "8,037", "0.936", "0.630", "0.292", "8.06"]
    assert "baseline_utilisation" in text and "48 scoring dates" in text
    assert "skipped (no source rows; weights renormalised): sentiment" in text
