"""Fit, choose and calibrate one model per target (churn, expansion) with scikit-learn.

Two candidates: gradient-boosted trees (HistGradientBoostingClassifier: takes NaN as "unknown",
so an absent signal is never read as 0) and a logistic baseline (median-imputed, with a
missing-indicator per feature, standardised). The choice is by time-based cross-validation on the
fit slice: expanding windows, train on earlier scoring dates, validate on the next block. The
chosen model is refitted on the whole fit slice, then calibrated on the calibration slice
(isotonic with at least 200 positives there, Platt scaling otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from flows.model.dataset import Dataset

CV_FOLDS = 3
# One thread: on a shared 2-core machine OpenMP's worker threads spin against each other and a
# fit of seconds takes minutes (measured 31 s vs 1.4 s on a loaded CI box).
THREADS = 1
ISOTONIC_MIN_POSITIVES = 200


class TooFewEvents(Exception):
    """Not enough positive rows to train or calibrate; the message carries the counts."""


class EmptyAsConstant(TransformerMixin, BaseEstimator):
    """A feature never known in training (all NaN) becomes a constant: it can carry no signal, and
    the trees' binning cannot take an empty column. Every other NaN stays NaN (unknown)."""

    def fit(self, X, y=None):
        self.empty_ = np.isnan(np.asarray(X, dtype=float)).all(axis=0)
        return self

    def transform(self, X):
        X = np.array(X, dtype=float)
        X[:, self.empty_] = 0.0
        return X


def candidates(random_state: int) -> dict:
    """Unfitted candidate estimators, by name."""
    return {
        "gradient_boosting": make_pipeline(EmptyAsConstant(), HistGradientBoostingClassifier(
            learning_rate=0.05, max_iter=300, max_leaf_nodes=15, min_samples_leaf=40, l2_regularization=1.0,
            early_stopping=True, validation_fraction=0.15, n_iter_no_change=20, random_state=random_state)),
        "logistic": make_pipeline(SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
                                  StandardScaler(), LogisticRegression(C=0.1, max_iter=2000)),
    }


@dataclass
class Calibrator:
    """Maps a raw model score to a probability: isotonic or Platt (logistic on the logit)."""

    method: str
    fitted: object

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        if self.method == "isotonic":
            return self.fitted.predict(raw)
        return self.fitted.predict_proba(_logit(raw).reshape(-1, 1))[:, 1]


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


@dataclass
class TrainedModel:
    """One target's calibrated model and how it was chosen."""

    target: str
    label: str
    features: list[str]
    algorithm: str
    estimator: object
    calibrator: Calibrator
    reference: dict[str, float]  # per-feature reference value for the explanations (fit-slice median)
    cv: dict[str, float] = field(default_factory=dict)  # candidate -> mean validation AUC
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # slice -> rows, events

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Calibrated probabilities for feature rows (columns in self.features)."""
        with threadpool_limits(THREADS):
            raw = self.estimator.predict_proba(X[self.features].to_numpy(dtype=float))[:, 1]
        return np.clip(self.calibrator(raw), 0.0, 1.0)


def _counts(ds: Dataset, label: str) -> dict[str, dict[str, int]]:
    return {s: {"rows": int(len(ds.slice(s))), "events": int(ds.slice(s)[label].sum()),
                "accounts": int(ds.slice(s)["account_id"].nunique())} for s in ("fit", "calibration", "test")}


def check_events(target: str, counts: dict, min_events: int) -> None:
    """Refuse to train on too few positives, saying how many there are and what would help."""
    need_cal = max(1, min_events // 5)
    fit, cal = counts["fit"]["events"], counts["calibration"]["events"]
    if fit < min_events or cal < need_cal:
        raise TooFewEvents(
            f"{target}: too few events to train: {fit} in the fit slice ({counts['fit']['rows']} rows, "
            f"{counts['fit']['accounts']} accounts; need {min_events}) and {cal} in the calibration slice "
            f"({counts['calibration']['rows']} rows; need {need_cal}). Load more history or accounts, or "
            f"lower model.min_events in steward.yml.")


def _time_folds(dates: pd.Series, folds: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Expanding windows: train on dates before block k, validate on block k (later dates)."""
    uniq = np.sort(dates.unique())
    edges = np.linspace(0, len(uniq), folds + 2).astype(int)[1:]
    out = []
    for k in range(folds):
        cut, stop = uniq[edges[k] - 1], uniq[min(edges[k + 1], len(uniq)) - 1]
        out.append((np.flatnonzero(dates <= cut), np.flatnonzero((dates > cut) & (dates <= stop))))
    return out


def fit_target(ds: Dataset, target: str, settings) -> TrainedModel:
    """Choose, refit and calibrate the model of one target (churn or expansion)."""
    with threadpool_limits(THREADS):
        return _fit_target(ds, target, settings)


def _fit_target(ds: Dataset, target: str, settings) -> TrainedModel:
    label = f"{target}_{settings.horizon_days}d"
    counts = _counts(ds, label)
    check_events(target, counts, settings.min_events)
    fit, cal = ds.slice("fit"), ds.slice("calibration")
    X, y = fit[ds.features].to_numpy(dtype=float), fit[label].to_numpy()
    cv: dict[str, float] = {}
    for name, est in candidates(settings.random_state).items():
        scores = []
        for tr, va in _time_folds(fit["scoring_date"].reset_index(drop=True), CV_FOLDS):
            if y[tr].sum() < 2 or y[va].sum() < 1 or y[va].sum() == len(va):
                continue
            est.fit(X[tr], y[tr])
            scores.append(roc_auc_score(y[va], est.predict_proba(X[va])[:, 1]))
        cv[name] = float(np.mean(scores)) if scores else float("nan")
    # the baseline wins ties and NaNs: it is the simpler story to tell
    best = "gradient_boosting" if cv.get("gradient_boosting", np.nan) > cv.get("logistic", np.nan) else "logistic"
    estimator = candidates(settings.random_state)[best].fit(X, y)
    raw = estimator.predict_proba(cal[ds.features].to_numpy(dtype=float))[:, 1]
    y_cal = cal[label].to_numpy()
    if y_cal.sum() >= ISOTONIC_MIN_POSITIVES:
        calibrator = Calibrator("isotonic", IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1).fit(raw, y_cal))
    else:
        calibrator = Calibrator("platt", LogisticRegression(C=1e6).fit(_logit(raw).reshape(-1, 1), y_cal))
    reference = {f: float(v) if pd.notna(v) else float("nan") for f, v in fit[ds.features].median().items()}
    return TrainedModel(target=target, label=label, features=list(ds.features), algorithm=best, estimator=estimator,
                        calibrator=calibrator, reference=reference, cv=cv, counts=counts)
