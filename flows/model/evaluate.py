"""Evaluate a trained model on the held-out later period, against the health score and naive
baselines on the same rows, and write its model card (markdown + reliability plot)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from flows.model.dataset import HORIZONS, Dataset
from flows.model.metrics import auc, brier, calibration_table, ece, lift_by_decile
from flows.model.train import TrainedModel, fit_target


@dataclass
class Evaluation:
    target: str
    rows: int
    metrics: pd.DataFrame  # horizon x predictor
    calibration: pd.DataFrame
    lift: pd.DataFrame
    ece: float
    mean_predicted: float
    base_rate: float

    def model_auc(self, horizon: int) -> float | None:
        m = self.metrics
        r = m[(m["horizon_days"] == horizon) & (m["predictor"] == "model")]
        return None if r.empty else r["auc"].iloc[0]

    def auc_of(self, predictor: str, horizon: int) -> float | None:
        m = self.metrics
        r = m[(m["horizon_days"] == horizon) & (m["predictor"] == predictor)]
        return None if r.empty else r["auc"].iloc[0]


def evaluate(ds: Dataset, model: TrainedModel, rows: pd.DataFrame | None = None) -> Evaluation:
    """Metrics on the test slice rows that have a health score (so every predictor sees the same rows)."""
    test = ds.slice("test") if rows is None else rows
    test = test[test["health_score"].notna()]
    fit = ds.slice("fit")
    p = model.predict(test)
    sign = 1 if model.target == "churn" else -1  # low health = churn risk; high health = room to grow
    seg_rate = fit.groupby("segment")[model.label].mean()
    predictors = {
        "model": p,
        "health_score": sign * (100 - test["health_score"].to_numpy()),
        "segment_rate": test["segment"].map(seg_rate).fillna(fit[model.label].mean()).to_numpy(),
        "utilisation": sign * (1 - test["utilisation"].fillna(test["utilisation"].median()).to_numpy()),
        "constant": np.full(len(test), fit[model.label].mean()),
    }
    out = []
    for h in HORIZONS:
        y = test[f"{model.target}_{h}d"].to_numpy()
        for name, s in predictors.items():
            out.append({"horizon_days": h, "predictor": name, "rows": len(y), "events": int(y.sum()),
                        "auc": auc(s, y), "top_decile_lift": lift_by_decile(s, y)["lift"].iloc[0] if len(y) >= 10 else None,
                        "brier": brier(s, y) if name in ("model", "segment_rate", "constant") else None})
    y = test[model.label].to_numpy()
    return Evaluation(target=model.target, rows=len(test), metrics=pd.DataFrame(out),
                      calibration=calibration_table(p, y), lift=lift_by_decile(p, y), ece=ece(p, y),
                      mean_predicted=float(p.mean()) if len(p) else float("nan"),
                      base_rate=float(y.mean()) if len(y) else float("nan"))


def shuffled_check(ds: Dataset, model: TrainedModel, settings, seed: int = 0) -> dict:
    """Retrain on labels shuffled across rows (no signal left): the honest answer is the base rate
    for everyone and chance ranking on the held-out rows."""
    rows = ds.rows.copy()
    rows[model.label] = np.random.default_rng(seed).permutation(rows[model.label].to_numpy())
    noise = Dataset(rows=rows, features=ds.features, as_of=ds.as_of, data_hash=ds.data_hash)
    fitted = fit_target(noise, model.target, settings)
    test = noise.slice("test")
    p, y = fitted.predict(test), test[model.label].to_numpy()
    return {"rows": len(test), "mean_predicted": float(p.mean()), "base_rate": float(y.mean()), "auc": auc(p, y)}


def _fmt(v, pct=False) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "–"
    return f"{v:.1%}" if pct else f"{v:.3f}"


def metrics_markdown(ev: Evaluation) -> str:
    lines = ["| horizon | predictor | rows | events | ROC AUC | top-decile lift | Brier |", "|---|---|---:|---:|---:|---:|---:|"]
    for r in ev.metrics.itertuples():
        lines.append(f"| {r.horizon_days} d | {r.predictor} | {r.rows} | {r.events} | {_fmt(r.auc)} | "
                     f"{_fmt(r.top_decile_lift)} | {_fmt(r.brier)} |")
    return "\n".join(lines)


def reliability_plot(ev: Evaluation, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.5, 4.5), dpi=100)
    top = max(0.05, float(ev.calibration[["mean_predicted", "observed_rate"]].max().max()) * 1.1)
    ax.plot([0, top], [0, top], color="#999", lw=1, ls="--", label="perfect")
    ax.plot(ev.calibration["mean_predicted"], ev.calibration["observed_rate"], marker="o", color="#1f6feb",
            label=f"model (ECE {ev.ece:.3f})")
    ax.set_xlim(0, top), ax.set_ylim(0, top)
    ax.set_xlabel("mean predicted probability"), ax.set_ylabel("observed rate")
    ax.set_title(f"{ev.target}: reliability, held-out period"), ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)


def _shuffled_text(s: dict | None) -> str:
    if not s:
        return ""
    return (f"With labels shuffled across rows (no signal) and retrained the same way, the held-out mean "
            f"prediction is {s['mean_predicted']:.3f} against a base rate of {s['base_rate']:.3f} and the AUC "
            f"{_fmt(s['auc'])} ({s['rows']} rows): without signal it predicts the base rate, not risk.\n\n")


LIMITS = {
    "churn": [
        "Labels are billing churn (paid MRR drops to 0 within the horizon); a churn that reactivates within the "
        "horizon still counts, a downgrade to a cheaper plan does not.",
        "Probabilities are calibrated for the trained horizon only; the 30- and 60-day rows rank with the "
        "90-day probability (their AUC is meaningful, their calibration is not).",
        "The held-out period is the last label-complete weeks of one history; a change in the business "
        "(pricing, a new segment) after it is not covered. Retrain weekly (prefect.yaml: model-retrain).",
        "Open alerts are not a feature: ops alert history exists only from the first daily run, so older "
        "scoring dates would read none.",
        "On generated data the planted truth is not used for training or evaluation, only billing.",
    ],
}
LIMITS["expansion"] = [LIMITS["churn"][1], LIMITS["churn"][2],
                       "Labels: a paid subscription starting within the horizon that lifts the account's MRR "
                       "(seats or plan); price rises on renewal count too.", LIMITS["churn"][3],
                       "On generated data expansion is drawn at random by segment and plan interval, with no "
                       "planted lead signal: an AUC near the segment rate's is the honest result there."]


def write_card(out_dir: Path, ds: Dataset, model: TrainedModel, ev: Evaluation, version: str, metadata: dict,
               shuffled: dict | None = None) -> Path:
    """models/<target>/MODEL_CARD.md and reliability.png."""
    folder = Path(out_dir) / model.target
    folder.mkdir(parents=True, exist_ok=True)
    reliability_plot(ev, folder / "reliability.png")
    w = metadata["window"]
    counts = "\n".join(f"| {s} | {c['rows']} | {c['accounts']} | {c['events']} | {w[s][0]} – {w[s][1]} |"
                       for s, c in model.counts.items())
    cal = "\n".join(f"| {r.bin} | {r.rows} | {r.mean_predicted:.3f} | {r.observed_rate:.3f} |"
                    for r in ev.calibration.itertuples())
    lift = "\n".join(f"| {r.decile} | {r.rows} | {r.events} | {r.rate:.3f} | {_fmt(r.lift)} |" for r in ev.lift.itertuples())
    cv = ", ".join(f"{k} {_fmt(v)}" for k, v in model.cv.items())
    what = "churns (paid MRR drops to 0)" if model.target == "churn" else "expands (MRR rises)"
    text = f"""# {model.target.capitalize()} model — model card

Regenerated by `steward model evaluate`; do not edit by hand. Model version `{version}`,
data as of {ds.as_of.date()}, data hash `{ds.data_hash[:16]}`.

**What it predicts:** the probability that a paying account {what} within
{model.label.split('_')[-1].rstrip('d')} days of the scoring date.

## Data

Rows from `marts.fct_account_features_daily` (point-in-time features), one scoring date per
account every {metadata['sample_every_days']} days; fit and calibration accounts never overlap; the
test slice is the calibration accounts' later period (never seen by the fit).

| slice | rows | accounts | events ({model.label}) | scoring dates |
|---|---:|---:|---:|---|
{counts}

## Model

{model.algorithm.replace('_', ' ')} (chosen by time-based CV on the fit slice, mean validation AUC: {cv}),
calibrated by {model.calibrator.method} scaling on the calibration slice; random_state {metadata['random_state']}.
Features ({len(model.features)}): {', '.join(f'`{f}`' for f in model.features)}.

## Metrics by horizon (held-out later period, {ev.rows} rows with a health score)

Every predictor is scored on the same rows. `health_score`: 100 − score (churn) or the score
(expansion); `segment_rate`: the fit slice's rate per segment; `utilisation`: seat utilisation alone;
`constant`: the fit slice's base rate.

{metrics_markdown(ev)}

Expected calibration error ({model.label}, 10 bins at the predicted deciles, ties kept together): **{ev.ece:.3f}**; mean predicted
{ev.mean_predicted:.3f} vs observed {ev.base_rate:.3f}.

{_shuffled_text(shuffled)}## Calibration ({model.label})

| bin | rows | mean predicted | observed |
|---:|---:|---:|---:|
{cal}

![reliability plot](reliability.png)

## Lift by decile (riskiest first)

| decile | rows | events | rate | lift |
|---:|---:|---:|---:|---:|
{lift}

## Known limits

{chr(10).join('- ' + line for line in LIMITS[model.target])}
"""
    path = folder / "MODEL_CARD.md"
    path.write_text(text)
    return path
