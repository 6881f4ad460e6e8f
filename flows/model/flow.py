"""Train, evaluate and score: what `steward model ...`, the daily run and the weekly retrain call."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
from prefect import flow

from flows.config import Config
from flows.model import store
from flows.model.dataset import TARGETS, Dataset, build_dataset
from flows.model.evaluate import Evaluation, evaluate, shuffled_check, write_card
from flows.model.score import ScoreResult, score
from flows.model.train import TooFewEvents, TrainedModel, fit_target
from flows.warehouse import open_reader, session

REPO_MODELS_DIR = Path(__file__).resolve().parents[2] / "models"


def _read_only(cfg: Config) -> duckdb.DuckDBPyConnection:
    """Training and evaluation only read the warehouse (the run is its one writer)."""
    return open_reader(cfg.path("warehouse"))


@dataclass
class TrainResult:
    version: str = ""
    trained: dict[str, str] = field(default_factory=dict)  # target -> algorithm + calibration
    refused: dict[str, str] = field(default_factory=dict)  # target -> why
    evaluations: dict[str, Evaluation] = field(default_factory=dict)


def _window(ds: Dataset) -> dict[str, list[str]]:
    out = {}
    for s in ("fit", "calibration", "test"):
        d = ds.slice(s)["scoring_date"]
        out[s] = [str(d.min().date()), str(d.max().date())] if len(d) else ["", ""]
    return out


def _metadata(cfg: Config, ds: Dataset, model: TrainedModel, ev: Evaluation) -> dict:
    m = cfg.model
    return {
        "as_of": str(ds.as_of.date()), "data_hash": ds.data_hash, "features": ds.features, "window": _window(ds),
        "random_state": m.random_state, "sample_every_days": m.sample_every_days, "horizon_days": m.horizon_days,
        "target": {"label": model.label, "algorithm": model.algorithm, "calibration": model.calibrator.method,
                   "cv_auc": model.cv, "counts": model.counts, "ece": ev.ece, "mean_predicted": ev.mean_predicted,
                   "base_rate": ev.base_rate,
                   "metrics": ev.metrics.replace({np.nan: None}).to_dict(orient="records")},
    }


def train_models(cfg: Config, targets: tuple[str, ...] = TARGETS) -> TrainResult:
    """Fit each target on the warehouse's label-complete rows and store it as the current model."""
    with _read_only(cfg) as con:
        ds = build_dataset(con, cfg.model)
    result = TrainResult(version=f"{ds.as_of.date()}-{ds.data_hash[:8]}")
    for target in targets:
        try:
            model = fit_target(ds, target, cfg.model)
        except TooFewEvents as exc:
            result.refused[target] = str(exc)
            continue
        ev = evaluate(ds, model)
        store.save(cfg.path("workspace"), result.version, model, _metadata(cfg, ds, model, ev))
        result.trained[target] = f"{model.algorithm}, {model.calibrator.method} calibration"
        result.evaluations[target] = ev
    return result


def evaluate_models(cfg: Config, out_dir: Path = REPO_MODELS_DIR) -> dict[str, Path]:
    """Re-evaluate each current model on the warehouse's held-out rows and write its model card."""
    ws = cfg.path("workspace")
    with _read_only(cfg) as con:
        ds = build_dataset(con, cfg.model)
    cards = {}
    for target, version in store.current(ws).items():
        loaded = store.load(ws, target, ds.features)
        if loaded is None:
            continue
        model, _ = loaded
        ev = evaluate(ds, model)
        meta = store.metadata(ws, version)
        cards[target] = write_card(out_dir, ds, model, ev, version, meta, shuffled_check(ds, model, cfg.model))
    return cards


def score_day(cfg: Config, as_of: date) -> ScoreResult:
    """Write marts.fct_churn_risk for as_of with the current models (nothing when none was trained)."""
    with session(cfg.path("warehouse")) as con:
        return score(con, cfg.path("workspace"), as_of, cfg.model)


@flow(name="model-retrain", log_prints=True)
def retrain_flow(config_path: str | None = None, workspace: str | None = None) -> dict:
    """Weekly: retrain both models on the warehouse as the last daily run left it (a model that
    refuses, too few events, leaves the current one in place); the next daily run scores with it."""
    from flows import environment
    from flows.config import load_config

    cfg = load_config(config_path, overrides={"paths": {"workspace": workspace}} if workspace else None)
    environment.prepare(cfg, deployed=True)  # a worker's flow run: this is its entry point
    result = train_models(cfg)
    for target, why in result.refused.items():
        print(f"refused: {why}")
    return {"version": result.version, "trained": result.trained, "refused": result.refused}
