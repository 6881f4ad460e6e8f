"""Evaluation metrics on held-out rows: AUC, Brier, ECE, calibration table, lift by decile."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score


def auc(score: np.ndarray, y: np.ndarray) -> float | None:
    y = np.asarray(y)
    if y.min() == y.max():
        return None
    return float(roc_auc_score(y, score))


def calibration_table(p: np.ndarray, y: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Bins of predicted probability at its deciles (equal counts, except that tied predictions
    always share a bin): rows, mean predicted, observed rate."""
    p, y = np.asarray(p, dtype=float), np.asarray(y, dtype=float)
    if len(p) == 0:
        return pd.DataFrame(columns=["bin", "rows", "mean_predicted", "observed_rate"])
    edges = np.unique(np.quantile(p, np.linspace(0, 1, bins + 1)[1:-1]))
    which = np.searchsorted(edges, p, side="right")
    return pd.DataFrame([{"bin": i + 1, "rows": int((which == b).sum()), "mean_predicted": float(p[which == b].mean()),
                          "observed_rate": float(y[which == b].mean())} for i, b in enumerate(np.unique(which))])


def ece(p: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error over the calibration table's bins: row-weighted |mean predicted - observed|."""
    t = calibration_table(p, y, bins)
    return float((t["rows"] * (t["mean_predicted"] - t["observed_rate"]).abs()).sum() / t["rows"].sum())


def lift_by_decile(score: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    """Deciles by score, riskiest first: rows, events, rate and lift over the overall rate."""
    order = np.argsort(-score, kind="stable")
    base = y.mean() if len(y) else 0.0
    rows = []
    for i, g in enumerate(np.array_split(order, 10)):
        if len(g):
            rate = float(y[g].mean())
            rows.append({"decile": i + 1, "rows": len(g), "events": int(y[g].sum()), "rate": rate,
                         "lift": rate / base if base else None})
    return pd.DataFrame(rows)


def brier(p: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((p - y) ** 2))
