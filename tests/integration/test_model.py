"""Churn and expansion models (flows/model/) on the session's generated warehouse (120 accounts x
24 months): point-in-time features, training, calibration, explanations, scoring, refusal, and
the shuffled-label check. Training runs on a copy of the warehouse, so the shared one stays read-only."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import date, timedelta

import duckdb
import joblib
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.conftest import GENERATED_AS_OF, make_config, steward
from tests.support.landing_cut import cut_landing

pytestmark = pytest.mark.integration

CUT_DAY = date(2026, 3, 30)  # a Monday: a scoring date in both warehouses
SMALL = {"min_events": 3}  # 120 accounts have few churners; the default (50) refuses, as it should


@pytest.fixture(scope="module")
def model_ws(generated_workspace, tmp_path_factory):
    """A private copy of the generated warehouse (training writes models/, scoring writes marts)."""
    ws = tmp_path_factory.mktemp("model") / "ws"
    ws.mkdir()
    shutil.copy(generated_workspace / "warehouse.duckdb", ws / "warehouse.duckdb")
    return ws


@pytest.fixture(scope="module")
def trained(model_ws):
    from flows.model.flow import train_models

    cfg = make_config(model_ws, model=SMALL)
    return cfg, train_models(cfg)


def _features(warehouse, where):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(f"select * from marts.fct_account_features_daily where {where} "
                           "order by account_id, scoring_date").df()


def test_features_of_a_past_date_do_not_change_when_later_data_lands(generated_workspace, tmp_path):
    """Leakage: the warehouse built from the landing folder as it was on CUT_DAY, and the one built
    three months later, agree on every feature of every scoring date both can see in full."""
    from prefect.settings import PREFECT_API_URL

    ws = tmp_path / "ws"
    cut_landing(generated_workspace / "landing", ws / "landing", CUT_DAY)
    result = steward("run", "--as-of", CUT_DAY.isoformat(), ws=ws, api_url=PREFECT_API_URL.value())
    assert result.returncode == 0, result.stdout + result.stderr
    # from 90 days into the later warehouse's health history: earlier rows lack their 90-day lookback there
    first = GENERATED_AS_OF - timedelta(days=364 - 91)
    where = f"scoring_date between date '{first}' and date '{CUT_DAY}'"
    before, after = _features(ws / "warehouse.duckdb", where), _features(generated_workspace / "warehouse.duckdb", where)
    assert before["scoring_date"].nunique() >= 20 and len(before) > 500
    assert list(before.columns) == list(after.columns)
    pd.testing.assert_frame_equal(before.reset_index(drop=True), after.reset_index(drop=True),
                                  check_dtype=False, rtol=1e-9)


def test_training_stores_a_versioned_model_with_its_metadata(trained, model_ws):
    cfg, result = trained
    assert set(result.trained) == {"churn", "expansion"}, result.refused
    folder = model_ws / "models" / result.version
    meta = json.loads((folder / "metadata.json").read_text())
    with duckdb.connect(str(model_ws / "warehouse.duckdb"), read_only=True) as con:
        from flows.model.dataset import feature_columns

        assert meta["features"] == feature_columns(con)
    assert result.version == f"{GENERATED_AS_OF}-{meta['data_hash'][:8]}"
    for target in ("churn", "expansion"):
        t = meta["targets"][target]
        assert (folder / f"{target}.joblib").exists()
        assert set(t["cv_auc"]) == {"gradient_boosting", "logistic"} and t["algorithm"] in t["cv_auc"]
        assert t["calibration"] in ("isotonic", "platt")
        fit, cal, test = (meta["window"][s] for s in ("fit", "calibration", "test"))
        assert fit[1] < test[0] and cal[1] < test[0], "train on earlier dates, test on later ones"
        assert t["counts"]["fit"]["events"] >= SMALL["min_events"]
    assert json.loads((model_ws / "models" / "current.json").read_text()) == {
        "churn": result.version, "expansion": result.version}


def test_fit_and_held_out_accounts_never_overlap_and_training_is_deterministic(trained):
    from flows.model.dataset import build_dataset
    from flows.model.train import fit_target

    cfg, _ = trained
    with duckdb.connect(str(cfg.path("warehouse")), read_only=True) as con:
        ds = build_dataset(con, cfg.model)
    fit_accounts = set(ds.slice("fit")["account_id"])
    assert not fit_accounts & set(ds.slice("calibration")["account_id"])
    assert not fit_accounts & set(ds.slice("test")["account_id"])
    assert ds.rows.groupby("account_id")["scoring_date"].diff().dropna().dt.days.min() >= cfg.model.sample_every_days
    a, b = fit_target(ds, "churn", cfg.model), fit_target(ds, "churn", cfg.model)
    test = ds.slice("test")
    np.testing.assert_array_equal(a.predict(test), b.predict(test))


def test_calibrated_probabilities_match_the_held_out_rate_and_the_card_says_so(trained, tmp_path):
    from flows.model.flow import evaluate_models

    cfg, result = trained
    ev = result.evaluations["churn"]
    assert 0 < ev.mean_predicted < 1 and abs(ev.mean_predicted - ev.base_rate) < 0.1
    assert 0 <= ev.ece < 0.15
    assert ev.calibration["rows"].sum() == ev.rows
    cards = evaluate_models(cfg, tmp_path)
    text = cards["churn"].read_text()
    for heading in ("## Metrics by horizon", "## Calibration", "## Lift by decile", "## Known limits"):
        assert heading in text
    assert "| 60 d | health_score |" in text and "| 90 d | model |" in text
    assert (tmp_path / "churn" / "reliability.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_scoring_writes_probabilities_bands_and_three_honest_drivers(trained, model_ws):
    from flows.model import store
    from flows.model.dataset import feature_columns, load_features
    from flows.model.flow import score_day

    cfg, result = trained
    first = score_day(cfg, GENERATED_AS_OF)
    again = score_day(cfg, GENERATED_AS_OF)  # a rerun replaces the day's rows
    with duckdb.connect(str(cfg.path("warehouse")), read_only=True) as con:
        risk = con.execute("select * from marts.fct_churn_risk order by account_id").df()
        rows = load_features(con, f"scoring_date = date '{GENERATED_AS_OF}'").sort_values("account_id")
        model, _ = store.load(model_ws, "churn", feature_columns(con))
    assert first.scored == again.scored == len(risk) == len(rows) > 0
    assert set(risk["model_version"]) == {result.version}
    assert risk["churn_probability"].between(0, 1).all() and risk["expansion_probability"].between(0, 1).all()
    bands = cfg.model.bands
    expected = np.where(risk["churn_probability"] >= bands.high, "high",
                        np.where(risk["churn_probability"] >= bands.medium, "medium", "low"))
    assert (risk["churn_band"] == expected).all()
    # each driver's effect is the model's own response: reset that one feature, re-score, compare
    row = rows.reset_index(drop=True).iloc[[int(risk["churn_probability"].idxmax())]]
    drivers = json.loads(risk.loc[risk["churn_probability"].idxmax(), "churn_drivers"])
    assert 1 <= len(drivers) <= 3
    p = model.predict(row)[0]
    for d in drivers:
        swapped = row.copy()
        swapped[d["feature"]] = model.reference[d["feature"]]
        assert p - model.predict(swapped)[0] == pytest.approx(d["effect"], abs=1e-4)
        assert d["direction"] == ("up" if d["effect"] > 0 else "down") and d["text"].endswith("churn risk")
    assert [abs(d["effect"]) for d in drivers] == sorted((abs(d["effect"]) for d in drivers), reverse=True)


def test_training_refuses_too_few_events_and_says_how_many(model_ws):
    from flows.cli import app

    runner = CliRunner()
    out = runner.invoke(app, ["model", "train", "--target", "churn", "--workspace", str(model_ws)],
                        env={"STEWARD_MODEL__MIN_EVENTS": "100000", "COLUMNS": "300"})
    assert out.exit_code == 1, out.output
    assert "churn: too few events to train:" in out.output and "need 100000" in out.output
    assert "Traceback" not in out.output


def test_scoring_refuses_a_model_trained_on_other_features(trained, model_ws, tmp_path):
    from flows.model import store

    cfg, result = trained
    ws = tmp_path / "ws"
    shutil.copytree(model_ws / "models", ws / "models")
    path = ws / "models" / result.version / "churn.joblib"
    model = joblib.load(path)
    joblib.dump(replace(model, features=[*model.features[:-1], "ghost_feature"]), path)
    with duckdb.connect(str(model_ws / "warehouse.duckdb"), read_only=True) as con:
        from flows.model.dataset import feature_columns

        features = feature_columns(con)
    with pytest.raises(store.ModelMismatch, match=f"new: {features[-1]}; gone: ghost_feature"):
        store.load(ws, "churn", features)


def test_shuffled_labels_give_the_base_rate_and_chance_ranking(trained):
    """No signal, no invented risk: labels shuffled across rows (weekly rows, so there are many)."""
    from flows.model.dataset import build_dataset
    from flows.model.metrics import auc
    from flows.model.train import fit_target

    cfg, _ = trained
    settings = cfg.model.model_copy(update={"sample_every_days": 7})
    with duckdb.connect(str(cfg.path("warehouse")), read_only=True) as con:
        ds = build_dataset(con, settings)
    aucs, gaps = [], []
    for seed in range(3):
        rng = np.random.default_rng(seed)
        ds.rows["churn_90d"] = rng.permutation(ds.rows["churn_90d"].to_numpy())
        model = fit_target(ds, "churn", settings)
        held = ds.rows[ds.rows["slice"] != "fit"]
        p = model.predict(held)
        aucs.append(auc(p, held["churn_90d"].to_numpy()))
        gaps.append(abs(p.mean() - held["churn_90d"].mean()))
    assert max(gaps) <= 0.02, gaps
    assert 0.45 <= float(np.mean(aucs)) <= 0.55, aucs


def test_the_daily_run_step_scores_only_when_a_model_exists(trained, tmp_path):
    from flows.model.hook import score_models

    cfg, _ = trained
    assert score_models.fn(cfg, GENERATED_AS_OF)["scored"] > 0
    empty = make_config(tmp_path)
    assert score_models.fn(empty, GENERATED_AS_OF) == {"skipped": "no model trained (steward model train)"}
