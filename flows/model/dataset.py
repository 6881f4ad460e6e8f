"""Training rows: point-in-time features joined to labels, sampled and split by time and account.

Labels come from billing (intermediate.int_subscriptions__normalised), never from the generator's
planted truth: churn within h days = the account's paid MRR drops to 0 in (t, t + h]; expansion
within h days = a paid subscription starting in (t, t + h] lifts the account's MRR above its MRR on t.
A row is label-complete when t + horizon <= as_of (the latest scoring date in the mart).

Splits (every boundary is a scoring date, so the same account-day is never in two slices):
- test: the last `test_days` of label-complete dates, accounts of the calibration group only;
- calibration: earlier dates, the same account group (never in the fit, so its predictions are
  honest out-of-sample probabilities);
- fit: earlier dates, every other account.
Weekly rows of one account are near copies with one shared outcome: sampling one date per account
every `sample_every_days` (an account-specific offset) thins them, and the account groups keep an
account's correlated rows on one side of the fit / calibration+test divide.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

FEATURES_TABLE = "marts.fct_account_features_daily"
HORIZONS = (30, 60, 90)
TARGETS = ("churn", "expansion")
NOT_FEATURES = {"account_id", "scoring_date", "segment", "last_touch_date", "last_nps_date",
                "latest_subscription_start"}

PAID_SQL = "select account_id, start_date, end_date, mrr from intermediate.int_subscriptions__normalised where mrr > 0"

# the day paid MRR drops to 0: a paid row ends and no other paid row covers that day
CHURN_DAYS_SQL = f"""
with paid as ({PAID_SQL})
select distinct e.account_id, e.end_date as churn_date
from paid e
where e.end_date is not null
  and not exists (select 1 from paid o where o.account_id = e.account_id
                  and o.start_date <= e.end_date and (o.end_date is null or o.end_date > e.end_date))
"""

# days a paid row starts with the account's MRR that day above the day before (an upsell)
EXPANSION_DAYS_SQL = f"""
with paid as ({PAID_SQL}),
starts as (select distinct account_id, start_date as day from paid),
mrr_on as (
    select s.account_id, s.day,
           sum(case when p.start_date <= s.day and (p.end_date is null or p.end_date > s.day) then p.mrr else 0 end) as mrr_day,
           sum(case when p.start_date <= s.day - 1 and (p.end_date is null or p.end_date > s.day - 1) then p.mrr else 0 end) as mrr_before
    from starts s join paid p on p.account_id = s.account_id
    group by 1, 2
)
select account_id, day as expansion_date from mrr_on where mrr_before > 0 and mrr_day > mrr_before
"""


def feature_columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The mart's feature columns, in its column order."""
    cols = [r[0] for r in con.execute(f"describe {FEATURES_TABLE}").fetchall()]
    return [c for c in cols if c not in NOT_FEATURES]


def load_features(con: duckdb.DuckDBPyConnection, where: str = "true") -> pd.DataFrame:
    """Feature rows (key, segment and features) as floats, nulls as NaN."""
    cols = feature_columns(con)
    df = con.execute(f"select account_id, scoring_date, segment, {', '.join(cols)} from {FEATURES_TABLE} "
                     f"where {where} order by scoring_date, account_id").df()
    df["scoring_date"] = pd.to_datetime(df["scoring_date"])
    df[cols] = df[cols].astype("float64")
    return df


def horizons(settings) -> tuple[int, ...]:
    """The evaluation horizons plus the one the models are trained for."""
    return tuple(sorted(set(HORIZONS) | {settings.horizon_days}))


def add_labels(con: duckdb.DuckDBPyConnection, df: pd.DataFrame, days: tuple[int, ...] = HORIZONS) -> pd.DataFrame:
    """Columns churn_<h>d and expansion_<h>d (0/1) per horizon h in days."""
    con.register("label_rows", df[["account_id", "scoring_date"]])
    for target, sql, day in (("churn", CHURN_DAYS_SQL, "churn_date"), ("expansion", EXPANSION_DAYS_SQL, "expansion_date")):
        parts = ", ".join(
            f"max(case when e.{day} > r.scoring_date and e.{day} <= r.scoring_date + interval {h} day then 1 else 0 end) "
            f"as {target}_{h}d" for h in days)
        lab = con.execute(f"""
            with events as ({sql})
            select r.account_id, r.scoring_date, {parts}
            from label_rows r left join events e on e.account_id = r.account_id
            group by 1, 2""").df()
        lab["scoring_date"] = pd.to_datetime(lab["scoring_date"])
        df = df.merge(lab, on=["account_id", "scoring_date"], how="left")
    con.unregister("label_rows")
    return df


def _unit_hash(ids: pd.Series, salt: str) -> np.ndarray:
    """A stable number in [0, 1) per id: the same account lands in the same group on every run."""
    unique = ids.unique()
    value = {i: int(hashlib.sha1(f"{salt}:{i}".encode()).hexdigest()[:8], 16) / 2**32 for i in unique}
    return ids.map(value).to_numpy(dtype=float)


@dataclass
class Dataset:
    """Label-complete, sampled rows with their slice, and what they were built from."""

    rows: pd.DataFrame  # key, segment, features, labels, slice (fit / calibration / test)
    features: list[str]
    as_of: pd.Timestamp
    data_hash: str

    def slice(self, name: str) -> pd.DataFrame:
        return self.rows[self.rows["slice"] == name]


def build_dataset(con: duckdb.DuckDBPyConnection, settings) -> Dataset:
    """Sample, label and split the mart's label-complete rows (settings: config.model)."""
    features = feature_columns(con)
    as_of = pd.Timestamp(con.execute(f"select max(scoring_date) from {FEATURES_TABLE}").fetchone()[0])
    last = as_of - pd.Timedelta(days=max(horizons(settings)))  # every label of the row is known
    df = load_features(con, f"scoring_date <= date '{last.date()}'")
    # one date per account every sample_every_days, from an offset drawn per account
    step = settings.sample_every_days
    offset = (_unit_hash(df["account_id"], f"offset{settings.random_state}") * step).astype(int)
    day = (df["scoring_date"] - pd.Timestamp("2000-01-03")).dt.days.to_numpy()
    df = df[((day - offset) % step) < 7].reset_index(drop=True)
    df = add_labels(con, df, horizons(settings))
    calib = _unit_hash(df["account_id"], f"group{settings.random_state}") < settings.calibration_share
    test_from = last - pd.Timedelta(days=settings.test_days)
    df["slice"] = np.where(~calib, np.where(df["scoring_date"] <= test_from, "fit", "unused"),
                           np.where(df["scoring_date"] <= test_from, "calibration", "test"))
    df = df[df["slice"] != "unused"].reset_index(drop=True)
    digest = hashlib.sha256(pd.util.hash_pandas_object(df[["account_id", "scoring_date", *features]],
                                                       index=False).values.tobytes()).hexdigest()
    return Dataset(rows=df, features=features, as_of=as_of, data_hash=digest)
