"""Pure ranking metrics for the backtest: ROC AUC, precision/recall, bottom-decile lift."""

from __future__ import annotations

import numpy as np


def average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks with ties sharing their average rank (no scipy needed)."""
    order = np.argsort(values, kind="stable")
    sorted_vals = values[order]
    starts = np.r_[0, np.flatnonzero(sorted_vals[1:] != sorted_vals[:-1]) + 1]
    ends = np.r_[starts[1:], len(values)]
    ranks = np.empty(len(values))
    ranks[order] = np.repeat((starts + ends + 1) / 2, ends - starts)
    return ranks


def roc_auc(risk: np.ndarray, label: np.ndarray) -> float | None:
    """Mann-Whitney AUC: chance a random churner has higher risk than a random stayer (ties 1/2)."""
    label = label.astype(bool)
    pos, neg = int(label.sum()), int((~label).sum())
    if pos == 0 or neg == 0:
        return None
    ranks = average_ranks(np.asarray(risk, dtype=float))  # ties count as half
    return float((ranks[label].sum() - pos * (pos + 1) / 2) / (pos * neg))


def precision_recall(flagged: np.ndarray, label: np.ndarray) -> tuple[float | None, float | None]:
    """Precision and recall of a boolean flag against the labels."""
    flagged, label = flagged.astype(bool), label.astype(bool)
    hits = int((flagged & label).sum())
    precision = hits / flagged.sum() if flagged.sum() else None
    recall = hits / label.sum() if label.sum() else None
    return precision, recall


def decile_lift(risk: np.ndarray, label: np.ndarray) -> float | None:
    """Churn rate in the riskiest 10% over the overall churn rate.

    Accounts tied at the decile's boundary share the remaining places evenly (the expected rate
    over every order of the ties), so a constant predictor has a lift of exactly 1: no input
    order can make a score look predictive.
    """
    label = label.astype(bool)
    risk = np.asarray(risk, dtype=float)
    if len(label) < 10 or not label.any():
        return None
    k = max(1, len(risk) // 10)
    boundary = np.sort(risk)[::-1][k - 1]
    above, tied = risk > boundary, risk == boundary
    places = k - int(above.sum())
    churners = label[above].sum() + places * label[tied].sum() / tied.sum()
    return float((churners / k) / label.mean())
