"""Backtest the health score against known churn: does low health today predict churn soon?

For each scoring date (every `step_days` over the history, from 60 days after usage data starts
so the trend windows are full, leaving `horizon` days after it) and
each account paying that day, label = churns within the horizon, risk = 100 - score. Metrics per
horizon for the total, each component alone and two baselines: random (the mean over RANDOM_DRAWS
seeded draws, so it sits near its expected AUC of 0.5 instead of wherever one lucky draw lands on a
small portfolio) and utilisation only.
Results land in backtest.rpt_health_backtest (a Python-owned schema, like ops).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from flows.config import HEALTH_COMPONENTS
from flows.health.metrics import decile_lift, precision_recall, roc_auc
from flows.warehouse import apply_resources

HORIZONS = (30, 60, 90)
RANDOM_DRAWS = 200
# the day paid MRR drops to 0, as dbt decides it (marts.fct_churn_events, beside fct_mrr)
BILLING_CHURN_SQL = "select account_id, churn_date from marts.fct_churn_events"


@dataclass
class BacktestResult:
    """The metrics table, where the labels came from, and what was scored."""

    table: pd.DataFrame
    label_source: str
    scoring_dates: int
    skipped_components: list[str]


def load_labels(con: duckdb.DuckDBPyConnection, truth_dir: Path | None) -> str:
    """Fill backtest.churn_labels (account_id, churn_date) from truth/accounts.csv, else billing."""
    con.execute("create schema if not exists backtest")
    truth = truth_dir / "accounts.csv" if truth_dir else None
    if truth is not None and truth.exists():
        df = pd.read_csv(truth, usecols=["account_id", "churn_date", "future_churn_date"], dtype=str)
        rows = pd.concat([df[["account_id", "churn_date"]],
                          df[["account_id", "future_churn_date"]].rename(columns={"future_churn_date": "churn_date"})])
        rows = rows.dropna()
        rows["churn_date"] = pd.to_datetime(rows["churn_date"]).dt.date
        con.register("truth_rows", rows)
        con.execute("create or replace table backtest.churn_labels as "
                    "select account_id, cast(churn_date as date) as churn_date from truth_rows")
        con.unregister("truth_rows")
        return f"planted churn ({truth})"
    con.execute(f"create or replace table backtest.churn_labels as {BILLING_CHURN_SQL}")
    return "billing (paid MRR drops to 0)"


def scored_rows(con: duckdb.DuckDBPyConnection, horizon: int, step_days: int) -> pd.DataFrame:
    """Health rows on scoring dates, with label = a churn date in (date, date + horizon]."""
    comps = ", ".join(f"h.{c}_score" for c in HEALTH_COMPONENTS)
    return con.execute(f"""
        -- score only once usage history fills the 30 + prior-30-day windows
        with usage_start as (select min(usage_date) + 60 as d from marts.fct_usage_daily),
        bounds as (select max(health_date) as last_day,
                          greatest(min(health_date), coalesce((select d from usage_start), min(health_date)))
                              as first_day
                   from marts.fct_account_health_daily),
        dates as (select h.health_date from (select distinct health_date from marts.fct_account_health_daily) h,
                  bounds b
                  where h.health_date <= b.last_day - {horizon} and h.health_date >= b.first_day
                    and datediff('day', h.health_date, b.last_day - {horizon}) % {step_days} = 0)
        select h.account_id, h.health_date, h.health_score, h.health_band, h.utilisation, {comps},
               exists (select 1 from backtest.churn_labels l where l.account_id = h.account_id
                       and l.churn_date > h.health_date
                       and l.churn_date <= h.health_date + {horizon}) as churned
        from marts.fct_account_health_daily h
        where h.health_date in (select health_date from dates)
        order by h.health_date, h.account_id  -- a fixed order, so seeded baselines repeat exactly
    """).df()


def metrics_row(name: str, risk: np.ndarray, flagged: np.ndarray | None, label: np.ndarray) -> dict:
    """One row of the table for one predictor (rows with no score are left out)."""
    keep = ~np.isnan(risk)
    risk, label = risk[keep], label[keep]
    precision, recall = (None, None) if flagged is None else precision_recall(flagged[keep], label)
    return {"predictor": name, "rows": int(keep.sum()), "churners": int(label.sum()),
            "auc": roc_auc(risk, label), "precision_red": precision, "recall_red": recall,
            "lift_bottom_decile": decile_lift(risk, label)}


def random_baseline(label: np.ndarray, seed: int, draws: int = RANDOM_DRAWS) -> dict:
    """The random predictor's metrics averaged over seeded draws (None where undefined)."""
    rng = np.random.default_rng(seed)
    runs = [metrics_row("baseline_random", rng.random(len(label)), None, label) for _ in range(draws)]
    row = dict(runs[0])
    for key in ("auc", "lift_bottom_decile"):
        values = [r[key] for r in runs if r[key] is not None]
        row[key] = float(np.mean(values)) if values else None
    return row


def evaluate(df: pd.DataFrame, horizon: int, red_below: float, seed: int) -> list[dict]:
    """Metrics for the total, each component, random and utilisation-only on one horizon."""
    label = df["churned"].to_numpy(bool)
    out = [metrics_row("health_score", 100 - df["health_score"].to_numpy(float),
                       (df["health_band"] == "red").to_numpy(), label)]
    for c in HEALTH_COMPONENTS:
        score = df[f"{c}_score"].to_numpy(float)
        out.append(metrics_row(c, 100 - score, score < red_below, label))
    out.append(random_baseline(label, seed))
    out.append(metrics_row("baseline_utilisation", -df["utilisation"].to_numpy(float), None, label))
    return [{"horizon_days": horizon, **r} for r in out]


def run_backtest(warehouse: Path, truth_dir: Path | None, red_below: float, step_days: int = 7,
                 seed: int = 7, as_of: date | None = None) -> BacktestResult:
    """Label, score, evaluate every horizon and write backtest.rpt_health_backtest."""
    with apply_resources(duckdb.connect(str(warehouse)), warehouse) as con:
        source = load_labels(con, truth_dir)
        rows, n_dates = [], 0
        for horizon in HORIZONS:
            df = scored_rows(con, horizon, step_days)
            n_dates = max(n_dates, df["health_date"].nunique())
            rows += evaluate(df, horizon, red_below, seed)
        table = pd.DataFrame(rows)
        table.insert(0, "label_source", source)
        table.insert(0, "as_of", as_of)
        con.register("results", table)
        con.execute("create or replace table backtest.rpt_health_backtest as select * from results")
        con.unregister("results")
        skipped = [r[0] for r in con.execute(
            "select component from intermediate.int_health__components where is_skipped").fetchall()]
    return BacktestResult(table=table, label_source=source, scoring_dates=n_dates, skipped_components=skipped)
