"""Top drivers per account, honest for whichever model was chosen.

A feature's contribution to one account's probability = the probability as scored minus the
probability with that one feature set to its reference value (the fit slice's median; unknown
stays unknown when the reference itself is unknown). Positive raises the probability. This is
the model's own response, through its calibration, not a proxy such as global importances.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

from flows.model.train import TrainedModel

TOP = 3
# feature -> (words, how to show its value)
LABELS = {
    "health_score": ("health score", "{:.0f}"), "health_change_7d": ("health change in 7 days", "{:+.0f} pts"),
    "health_change_30d": ("health change in 30 days", "{:+.0f} pts"),
    "health_change_90d": ("health change in 90 days", "{:+.0f} pts"),
    "utilisation": ("seat utilisation", "{:.0%}"), "usage_change_30d": ("usage in 30 days", "{:+.0%}"),
    "usage_change_90d": ("usage vs 60 days ago", "{:+.0%}"), "seats_change_90d": ("seats in 90 days", "{:+.0%}"),
    "tenure_days": ("tenure", "{:.0f} days"), "mrr": ("MRR", "{:,.0f}"), "mrr_change_90d": ("MRR in 90 days", "{:+.0%}"),
    "is_annual": ("annual plan", "{:.0f}"), "days_to_renewal": ("renewal in", "{:.0f} days"),
    "days_since_touch": ("last touchpoint", "{:.0f} days ago"), "days_since_nps": ("last NPS", "{:.0f} days ago"),
    "last_nps_score": ("NPS", "{:.0f}"), "touch_sentiment_90d": ("touchpoint sentiment", "{:+.2f}"),
    "ticket_load_30d": ("ticket load in 30 days", "{:.0f}"), "open_high_tickets": ("open urgent tickets", "{:.0f}"),
    "overdue_invoices": ("overdue invoices", "{:.0f}"), "max_days_overdue": ("days overdue", "{:.0f}"),
    "has_champion": ("champion present", "{:.0f}"), "champion_lost": ("champion lost", "{:.0f}"),
    "active_users_30d": ("active users (30 days)", "{:.0f}"), "events_30d": ("events in 30 days", "{:,.0f}"),
    "feature_breadth": ("feature breadth", "{:.0%}"), "sticky_adoption": ("sticky features", "{:.0%}"),
    "seats": ("seats", "{:.0f}"),
}


def describe(feature: str, value: float, delta: float, target: str) -> str:
    """One driver in words, e.g. 'usage in 30 days -45% ↑ churn risk'."""
    default = "{:.0f}" if feature.endswith("_score") or feature.startswith("is_") else "{:.2f}"
    words, fmt = LABELS.get(feature, (feature.replace("_", " "), default))
    shown = "unknown" if value is None or (isinstance(value, float) and math.isnan(value)) else fmt.format(value)
    arrow = "↑" if delta > 0 else "↓"
    return f"{words} {shown} {arrow} {'churn risk' if target == 'churn' else 'expansion likelihood'}"


def contributions(model: TrainedModel, X: pd.DataFrame) -> np.ndarray:
    """(rows, features) probability change from setting each feature to its reference."""
    base = model.predict(X)
    out = np.zeros((len(X), len(model.features)))
    for j, f in enumerate(model.features):
        ref = model.reference.get(f, float("nan"))
        swapped = X.copy()
        swapped[f] = ref
        out[:, j] = base - model.predict(swapped)
    return out


def top_drivers(model: TrainedModel, X: pd.DataFrame, top: int = TOP) -> list[list[dict]]:
    """Per row, the `top` features with the largest absolute contribution (ties: feature order)."""
    contrib = contributions(model, X)
    result = []
    for i in range(len(X)):
        order = np.argsort(-np.abs(contrib[i]), kind="stable")[:top]
        row = []
        for j in order:
            if contrib[i, j] == 0:
                break
            f = model.features[j]
            value = X.iloc[i][f]
            row.append({"feature": f, "value": None if pd.isna(value) else float(value),
                        "effect": round(float(contrib[i, j]), 4),
                        "direction": "up" if contrib[i, j] > 0 else "down",
                        "text": describe(f, value, contrib[i, j], model.target)})
        result.append(row)
    return result


def as_json(drivers: list[dict]) -> str:
    return json.dumps(drivers, ensure_ascii=False)
