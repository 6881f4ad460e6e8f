"""Score the accounts of one as_of into marts.fct_churn_risk (one row per account and as_of).

Written by the daily run after the dbt build when a model exists, and by `steward model score`.
A rerun of the same as_of replaces that day's rows; earlier days stay as history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from flows.model import store
from flows.model.dataset import FEATURES_TABLE, TARGETS, feature_columns, load_features
from flows.model.explain import as_json, top_drivers

RISK_TABLE = "marts.fct_churn_risk"
RISK_DDL = f"""
create table if not exists {RISK_TABLE} (
    account_id varchar not null,
    as_of date not null,
    churn_probability double,
    churn_band varchar,
    churn_drivers varchar,          -- JSON list of the top 3: feature, value, effect, direction, text
    churn_top_driver varchar,       -- the first driver's text, for alert titles and digests
    expansion_probability double,
    expansion_band varchar,
    expansion_drivers varchar,
    model_version varchar not null  -- churn model version, or expansion's when only it exists
)
"""


@dataclass
class ScoreResult:
    scored: int = 0
    as_of: str = ""
    versions: dict | None = None
    skipped: str | None = None


def band(p: np.ndarray, bands) -> np.ndarray:
    return np.where(p >= bands.high, "high", np.where(p >= bands.medium, "medium", "low"))


def score(con: duckdb.DuckDBPyConnection, workspace: Path, as_of: date, settings) -> ScoreResult:
    """Score every account with a feature row on as_of; nothing when no model was trained."""
    if not store.current(workspace):
        return ScoreResult(skipped="no model trained (steward model train)")
    exists = con.execute("select count(*) from information_schema.tables where table_schema = 'marts' "
                         "and table_name = 'fct_account_features_daily'").fetchone()[0]
    if not exists:
        return ScoreResult(skipped=f"{FEATURES_TABLE} is missing (run the dbt build first)")
    features = feature_columns(con)
    models = {t: store.load(workspace, t, features) for t in TARGETS}
    rows = load_features(con, f"scoring_date = date '{as_of.isoformat()}'")
    out = pd.DataFrame({"account_id": rows["account_id"], "as_of": pd.Timestamp(as_of).date()})
    versions = {}
    for target in TARGETS:
        loaded = models[target]
        if loaded is None or rows.empty:
            out[f"{target}_probability"], out[f"{target}_band"] = np.nan, None
            out[f"{target}_drivers"], out[f"{target}_top_driver"] = None, None
            continue
        model, versions[target] = loaded
        p = model.predict(rows)
        out[f"{target}_probability"] = np.round(p, 4)
        out[f"{target}_band"] = band(p, settings.bands)
        drivers = top_drivers(model, rows)
        out[f"{target}_drivers"] = [as_json(d) for d in drivers]
        out[f"{target}_top_driver"] = [d[0]["text"] if d else None for d in drivers]
    out["model_version"] = versions.get("churn") or versions.get("expansion")
    con.execute(RISK_DDL)
    con.execute(f"delete from {RISK_TABLE} where as_of = ?", [as_of])
    con.register("scored_rows", out)
    con.execute(f"insert into {RISK_TABLE} select account_id, as_of, churn_probability, churn_band, churn_drivers, churn_top_driver, "
                "expansion_probability, expansion_band, expansion_drivers, model_version from scored_rows")
    con.unregister("scored_rows")
    return ScoreResult(scored=len(out), as_of=as_of.isoformat(), versions=versions)
