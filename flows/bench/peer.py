"""The peer: the floor's tables (the dbt core models' outputs) in pandas and numpy, what many teams run.

Same definitions as floor.py, written the way a careful pandas user would: vectorised, dense
account x day arrays for the rolling windows, no SQL.
"""

from __future__ import annotations

import hashlib
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from flows.bench.spec import HISTORY_DAYS, KEY_FEATURES, STICKY_FEATURES


def subscriptions(landing: Path, as_of: date) -> pd.DataFrame:
    """Subscriptions known at as_of, latest file's copy of each id, with MRR rounded like decimal(18, 4)."""
    files = sorted(landing.rglob("subscriptions.csv"), key=str)
    subs = pd.concat(pd.read_csv(p, dtype=str) for p in files).drop_duplicates("subscription_id", keep="last")
    subs["start_date"] = pd.to_datetime(subs["start_date"])
    subs["end_date"] = pd.to_datetime(subs["end_date"])
    subs = subs[subs["start_date"] <= pd.Timestamp(as_of)].copy()
    amount = subs["amount"].astype(float)
    months = np.where(subs["billing_interval"] == "year", 12, 1)
    mrr = amount * (100 - subs["discount_pct"].fillna("0").astype(float)) / 100 / months
    subs["mrr"] = np.where((amount == 0) | (subs["status"] == "trialing"), 0.0, mrr.round(4))
    subs["seats"] = subs["seats"].astype("int64")
    return subs


def monthly_mrr(subs: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """fct_mrr: month-end MRR per account from its first MRR month, with the movement."""
    paid = subs[subs["mrr"] > 0]
    end = pd.Timestamp(as_of)
    months = pd.date_range(paid["start_date"].min().to_period("M").to_timestamp(), end, freq="MS")
    parts = []
    for month in months:
        snap = min(month + pd.offsets.MonthEnd(0), end)
        live = paid[(paid["start_date"] <= snap) & (paid["end_date"].isna() | (paid["end_date"] > snap))]
        parts.append(live.groupby("account_id", as_index=False).agg(mrr=("mrr", "sum"),
                                                                    count_subscriptions=("mrr", "size"))
                     .assign(month=month))
    account_months = pd.concat(parts, ignore_index=True)
    firsts = account_months.groupby("account_id", as_index=False)["month"].min().rename(
        columns={"month": "first_mrr_month"})
    grid = firsts.merge(pd.DataFrame({"month": months}), how="cross")
    grid = grid[grid["month"] >= grid["first_mrr_month"]].merge(account_months, on=["account_id", "month"], how="left")
    grid["mrr"] = grid["mrr"].fillna(0).round(4)
    grid["count_subscriptions"] = grid["count_subscriptions"].fillna(0).astype("int64")
    grid = grid.sort_values(["account_id", "month"], ignore_index=True)
    grid["previous_mrr"] = grid.groupby("account_id")["mrr"].shift(1).fillna(0)
    grid["mrr_change"] = (grid["mrr"] - grid["previous_mrr"]).round(4)
    m, p = grid["mrr"], grid["previous_mrr"]
    grid["movement"] = np.select(
        [grid["month"] == grid["first_mrr_month"], (p == 0) & (m > 0), (p > 0) & (m == 0), m > p, m < p],
        ["new", "reactivation", "churn", "expansion", "contraction"], "none")
    grid = grid[~((m == 0) & (p == 0))]
    grid["account_month_id"] = [hashlib.md5(f"{a}|{d:%Y-%m-%d}".encode()).hexdigest()
                                for a, d in zip(grid["account_id"], grid["month"])]
    return grid[["account_month_id", "month", "account_id", "mrr", "previous_mrr", "mrr_change", "movement",
                 "count_subscriptions", "first_mrr_month"]]


def usage_events(landing: Path, as_of: date) -> pd.DataFrame:
    """Events up to as_of, one copy per event_id (the one in the last file by name)."""
    files = sorted((landing / "product" / "usage_events").glob("*/*.parquet"), key=str)
    cols = ["event_id", "account_id", "user_id", "feature", "occurred_at", "quantity"]
    events = pd.concat([pd.read_parquet(f, columns=cols) for f in files], ignore_index=True)
    events = events.drop_duplicates("event_id", keep="last")
    events["usage_date"] = pd.to_datetime(events["occurred_at"]).dt.normalize()
    return events[events["usage_date"] <= pd.Timestamp(as_of)]


def usage_daily(events: pd.DataFrame) -> pd.DataFrame:
    """fct_usage_daily: per account, day and feature; active_users null without user ids."""
    g = events.groupby(["account_id", "usage_date", "feature"], sort=False)
    out = g.size().rename("events").to_frame()
    out["quantity"] = g["quantity"].sum(min_count=1)
    users = g["user_id"].nunique()
    out["active_users"] = users.where(users > 0).astype("Int64")
    return out.reset_index()


def _spans(starts: np.ndarray, ends: np.ndarray, rows: np.ndarray, weights: np.ndarray, shape) -> np.ndarray:
    """Running count over days of spans [start, end) (day indexes), per row of a dense grid."""
    delta = np.zeros((shape[0], shape[1] + 1))
    np.add.at(delta, (rows, np.clip(starts, 0, shape[1])), weights)
    np.add.at(delta, (rows, np.clip(ends, 0, shape[1])), -weights)
    return np.cumsum(delta, axis=1)[:, :-1]


def account_usage_daily(subs: pd.DataFrame, events: pd.DataFrame, usage: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """fct_account_usage_daily on a dense account x day grid from 60 days before the history."""
    history_start = as_of - timedelta(days=HISTORY_DAYS - 1)
    first_day = pd.Timestamp(history_start - timedelta(days=60))
    n_days = (pd.Timestamp(as_of) - first_day).days + 1
    paid = subs[subs["mrr"] > 0]
    accounts = np.sort(paid.loc[paid["end_date"].isna() | (paid["end_date"] > pd.Timestamp(history_start)),
                                "account_id"].unique())
    index = pd.Index(accounts)
    shape = (len(accounts), n_days)

    def day(values: pd.Series) -> np.ndarray:
        return ((values - first_day).dt.days).to_numpy()

    def rows(values: pd.Series) -> np.ndarray:
        return index.get_indexer(values)

    p = paid[paid["account_id"].isin(index)]
    ends = np.where(p["end_date"].isna(), n_days, day(p["end_date"].fillna(first_day)))
    seats = _spans(day(p["start_date"]), ends, rows(p["account_id"]), p["seats"].to_numpy(float), shape)
    customer = _spans(day(p["start_date"]), ends, rows(p["account_id"]), np.ones(len(p)), shape) > 0

    window_from = pd.Timestamp(history_start - timedelta(days=30))
    user_days = events.loc[events["user_id"].notna(), ["account_id", "user_id", "usage_date"]].drop_duplicates()
    first_user = user_days.groupby("account_id")["usage_date"].min()
    ud = user_days[(user_days["usage_date"] >= window_from) & user_days["account_id"].isin(index)]
    ud = ud.sort_values(["account_id", "user_id", "usage_date"])
    nxt = ud.groupby(["account_id", "user_id"])["usage_date"].shift(-1)
    start, r = day(ud["usage_date"]), rows(ud["account_id"])
    nxt_day = np.where(nxt.isna(), np.iinfo(np.int64).max, day(nxt.fillna(first_day)))
    ones = np.ones(len(ud))
    au7 = _spans(start, np.minimum(nxt_day, start + 7), r, ones, shape)
    au30 = _spans(start, np.minimum(nxt_day, start + 30), r, ones, shape)
    au1 = _spans(start, start + 1, r, ones, shape)

    used = usage[usage["account_id"].isin(index) & (usage["usage_date"] >= window_from)]
    used = used.sort_values(["account_id", "feature", "usage_date"])
    nxt = used.groupby(["account_id", "feature"])["usage_date"].shift(-1)
    start, r = day(used["usage_date"]), rows(used["account_id"])
    end30 = np.minimum(np.where(nxt.isna(), np.iinfo(np.int64).max, day(nxt.fillna(first_day))), start + 30)
    key30 = _spans(start, end30, r, used["feature"].isin(KEY_FEATURES).to_numpy(float), shape)
    sticky30 = _spans(start, end30, r, used["feature"].isin(STICKY_FEATURES).to_numpy(float), shape)

    ev = usage[usage["account_id"].isin(index) & (usage["usage_date"] >= first_day)]
    daily = np.zeros(shape)
    np.add.at(daily, (rows(ev["account_id"]), day(ev["usage_date"])), ev["events"].to_numpy(float))
    cs = np.concatenate([np.zeros((shape[0], 1)), np.cumsum(daily, axis=1)], axis=1)
    j = np.arange(n_days)
    ev30 = cs[:, j + 1] - cs[:, np.maximum(j - 29, 0)]
    evp30 = cs[:, np.maximum(j - 29, 0)] - cs[:, np.maximum(j - 59, 0)]

    first_seen = usage[usage["feature"].isin(KEY_FEATURES + STICKY_FEATURES)].groupby("feature")["usage_date"].min()
    days = pd.date_range(first_day, periods=n_days)
    key_seen = sum((first_seen.get(f, pd.NaT) <= days) for f in KEY_FEATURES if f in first_seen)
    sticky_seen = sum((first_seen.get(f, pd.NaT) <= days) for f in STICKY_FEATURES if f in first_seen)
    key_seen = np.broadcast_to(np.asarray(key_seen, float), (n_days,))
    sticky_seen = np.broadcast_to(np.asarray(sticky_seen, float), (n_days,))

    first_usage = usage.groupby("account_id")["usage_date"].min().reindex(index)
    has_usage = days.to_numpy()[None, :] >= first_usage.to_numpy()[:, None]
    has_users = days.to_numpy()[None, :] >= first_user.reindex(index).to_numpy()[:, None]

    keep = customer & (j >= 60)[None, :]
    a_i, d_i = np.nonzero(keep)
    hu, hd = has_users[a_i, d_i], has_usage[a_i, d_i]
    s = seats[a_i, d_i]

    def known(values: np.ndarray, mask: np.ndarray, integer: bool = True) -> pd.Series:
        out = pd.Series(np.where(mask, values, np.nan))
        return out.round().astype("Int64") if integer else out

    with np.errstate(divide="ignore", invalid="ignore"):
        out = pd.DataFrame({
            "account_id": accounts[a_i], "date_day": days[d_i], "seats": s.astype("int64"),
            "active_users_1d": known(au1[a_i, d_i], hu), "active_users_7d": known(au7[a_i, d_i], hu),
            "active_users_30d": known(au30[a_i, d_i], hu),
            "utilisation": known(au30[a_i, d_i] / s, hu & (s > 0), integer=False),
            "key_features_used_30d": known(key30[a_i, d_i], hd),
            "breadth": known(key30[a_i, d_i] / key_seen[d_i], hd & (key_seen[d_i] > 0), integer=False),
            "sticky_features_used_30d": known(sticky30[a_i, d_i], hd),
            "sticky_adoption": known(sticky30[a_i, d_i] / sticky_seen[d_i], hd & (sticky_seen[d_i] > 0), False),
            "events_1d": known(daily[a_i, d_i], hd), "events_30d": known(ev30[a_i, d_i], hd),
            "events_prior_30d": known(evp30[a_i, d_i], hd),
            "usage_trend": known(ev30[a_i, d_i] / evp30[a_i, d_i] - 1, evp30[a_i, d_i] > 0, integer=False),
            "has_usage_data": hd, "has_user_ids": hu})
    return out


def peer_tables(landing: Path, as_of: date, timings: dict | None = None) -> dict[str, pd.DataFrame]:
    """The three tables by name (as in floor.OUTPUTS), timing each into `timings` if given."""
    timings = {} if timings is None else timings
    started = time.perf_counter()
    subs = subscriptions(landing, as_of)
    mrr = monthly_mrr(subs, as_of)
    timings["mrr_seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    events = usage_events(landing, as_of)
    usage = usage_daily(events)
    timings["usage_daily_seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    account = account_usage_daily(subs, events, usage, as_of)
    timings["account_usage_daily_seconds"] = time.perf_counter() - started
    return {"fct_mrr": mrr, "fct_usage_daily": usage, "fct_account_usage_daily": account}


def run_peer(landing: Path, as_of: date) -> dict:
    """Time each output with pandas; MemoryError propagates so the caller can report it."""
    out: dict = {}
    tables = peer_tables(landing, as_of, out)
    for name, key in (("mrr", "fct_mrr"), ("usage_daily", "fct_usage_daily"),
                      ("account_usage_daily", "fct_account_usage_daily")):
        out[f"{name}_rows"] = len(tables[key])
    mrr = tables["fct_mrr"]
    out["mrr_as_of_month"] = float(mrr.loc[mrr["month"] == pd.Timestamp(as_of).to_period("M").to_timestamp(),
                                           "mrr"].sum())
    out["seconds"] = sum(v for k, v in out.items() if k.endswith("_seconds"))
    return out
