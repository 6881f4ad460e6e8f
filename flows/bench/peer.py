"""The peer: a straightforward pandas implementation of the floor's outputs (what many teams run)."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pandas as pd


def _subscriptions(landing: Path) -> pd.DataFrame:
    subs = pd.concat(pd.read_csv(p, dtype=str) for p in landing.rglob("subscriptions.csv"))
    subs["amount"] = subs["amount"].astype(float)
    subs["discount_pct"] = subs["discount_pct"].fillna("0").astype(float)
    subs["start_date"] = pd.to_datetime(subs["start_date"])
    subs["end_date"] = pd.to_datetime(subs["end_date"])
    subs["seats"] = subs["seats"].astype(int)
    return subs


def monthly_mrr(subs: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Month-end MRR per account, one month at a time."""
    paid = subs[(subs["status"] != "trialing") & (subs["amount"] > 0)].copy()
    paid["mrr"] = paid["amount"] * (100 - paid["discount_pct"]) / 100 / paid["billing_interval"].map(
        {"year": 12, "month": 1})
    out = []
    end = pd.Timestamp(as_of)
    for month in pd.date_range(paid["start_date"].min().to_period("M").to_timestamp(), end, freq="MS"):
        snap = min(month + pd.offsets.MonthEnd(0), end)
        live = paid[(paid["start_date"] <= snap) & (paid["end_date"].isna() | (paid["end_date"] > snap))]
        out.append(live.groupby("account_id", as_index=False)["mrr"].sum().assign(month=month))
    return pd.concat(out, ignore_index=True)


def run_peer(landing: Path, as_of: date) -> dict:
    """Time each output with pandas; MemoryError propagates so the caller can report it."""
    out: dict = {}
    started = time.perf_counter()
    subs = _subscriptions(landing)
    mrr = monthly_mrr(subs, as_of)
    out["mrr_seconds"] = time.perf_counter() - started
    out["mrr_as_of_month"] = float(mrr.loc[mrr["month"] == pd.Timestamp(as_of).to_period("M").to_timestamp(),
                                           "mrr"].sum())
    started = time.perf_counter()
    events = pd.read_parquet(landing / "product" / "usage_events")
    events["usage_date"] = events["occurred_at"].dt.normalize()
    events = events[events["usage_date"] <= pd.Timestamp(as_of)]
    usage = events.groupby(["account_id", "usage_date", "feature"]).agg(
        events=("event_id", "size"), quantity=("quantity", "sum"), active_users=("user_id", "nunique"))
    out["usage_daily_seconds"] = time.perf_counter() - started
    out["usage_daily_rows"] = len(usage)
    started = time.perf_counter()
    daily = events.groupby(["account_id", "usage_date"])["user_id"].nunique().rename("active_users").reset_index()
    live = subs[(subs["start_date"] <= pd.Timestamp(as_of)) & (subs["status"] != "trialing")
                & (subs["end_date"].isna() | (subs["end_date"] > pd.Timestamp(as_of)))]
    seats = live.groupby("account_id")["seats"].sum()
    daily["utilisation"] = daily["active_users"] / daily["account_id"].map(seats)
    out["health_inputs_seconds"] = time.perf_counter() - started
    out["health_inputs_rows"] = len(daily)
    out["seconds"] = out["mrr_seconds"] + out["usage_daily_seconds"] + out["health_inputs_seconds"]
    return out
