"""Planted ground truth, written outside the landing folder for tests and model evaluation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from flows.generate import params as P
from flows.generate.accounts import Accounts, Team
from flows.generate.dates import iso
from flows.generate.lifecycle import Lifecycle
from flows.generate.signals import Signals
from flows.generate.writer import write_typed


def _month(days: np.ndarray) -> np.ndarray:
    """YYYY-MM per day number, empty for NONE."""
    text = np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[M]").astype(str)
    return np.where(np.asarray(days) >= 0, text, "")


def truth_columns(acc: Accounts, team: Team, lc: Lifecycle, sig: Signals, mrr: np.ndarray,
                  window: P.Window) -> dict[str, tuple[np.ndarray, str]]:
    """One row per account with every planted fact."""
    a, churn = window.end, lc.churn
    in_window = (churn >= window.start) & (churn <= a)
    paid = np.where(lc.trial_only, P.NONE, lc.first_paid)
    owner = np.where(acc.owner >= 0, team.ids[np.maximum(acc.owner, 0)], "")
    return {
        "account_id": (acc.ids, "string"),
        "segment": (np.asarray(P.SEGMENTS)[acc.segment], "string"),
        "is_new_in_window": (~acc.preexisting, "boolean"),
        "created_date": (acc.created_day, "date"),
        "first_paid_date": (paid, "date"),
        "first_mrr_month": (_month(paid), "string"),
        "trial_only": (lc.trial_only, "boolean"),
        "is_churner": (in_window, "boolean"),
        "churn_date": (np.where(in_window, churn, P.NONE), "date"),
        "future_churn_date": (np.where(churn > a, churn, P.NONE), "date"),
        "prior_churn_date": (np.where((churn >= 0) & (churn < window.start), churn, P.NONE), "date"),
        "decline_start_date": (np.where((churn >= window.start) & (sig.decline_start <= a),
                                        sig.decline_start, P.NONE), "date"),
        "champion_lost_date": (sig.champion_lost, "date"),
        "reactivation_date": (np.where(lc.reactivation <= a, lc.reactivation, P.NONE), "date"),
        "has_feature_dip": (sig.dip_feature >= 0, "boolean"),
        "dip_feature": (np.where(sig.dip_feature >= 0, np.asarray(P.FEATURES)[sig.dip_feature], ""),
                        "string"),
        "dip_start_date": (sig.dip_start, "date"),
        "noise_dip_start_date": (sig.noise_dip_start, "date"),
        "noise_dip_end_date": (sig.noise_dip_end, "date"),
        "utilisation": (np.round(sig.utilisation, 3), "double"),
        "mrr_as_of": (np.round(mrr, 2), "double"),
        "owner_csm_id": (owner, "string"),
        "owner_is_late_csm": (acc.owner == team.late_csm, "boolean"),
    }


def write_truth(truth_dir: Path, cols: dict, team: Team, summary: dict) -> int:
    """Write accounts.csv, late_csm.txt and summary.json; return files written."""
    truth_dir.mkdir(parents=True, exist_ok=True)
    write_typed(truth_dir / "accounts.csv", cols)
    (truth_dir / "late_csm.txt").write_text(str(team.ids[team.late_csm]) + "\n")
    (truth_dir / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    return 3


def summarise(cols: dict, rows: dict[str, int], params: dict, team: Team, window: P.Window,
              usage: dict[str, int]) -> dict:
    """Counts of what was planted, with the parameters that produced it."""
    count = {k: int(np.sum(cols[k][0])) for k in ("is_churner", "is_new_in_window", "has_feature_dip",
                                                   "trial_only")}
    for k in ("future_churn_date", "prior_churn_date", "champion_lost_date", "reactivation_date",
              "noise_dip_start_date"):
        count[k.removesuffix("_date") + "_accounts"] = int(np.sum(cols[k][0] >= 0))
    return {
        "params": params, "window_start": iso(window.start), "as_of": iso(window.end),
        "late_csm_id": str(team.ids[team.late_csm]), "counts": count, "rows": rows,
        "monthly_logo_churn_rate": round(count["is_churner"] / max(usage["paying_account_months"], 1), 4),
        "events_per_active_account_day": round(usage["events"] / max(usage["active_account_days"], 1), 3),
    }
