"""The floor: hand-written DuckDB SQL in one connection, straight from the landing files.

Computes the pipeline's core outputs — monthly MRR by account, daily usage per account and
feature, and health inputs (daily active users and utilisation per account) — the way a
careful engineer would with no framework. Definitions follow DESIGN.md "Metrics".
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import duckdb

MRR_SQL = """
create or replace table floor_mrr as
with subs as (
    select account_id, billing_interval, status, cast(amount as decimal(18, 2)) as amount,
           coalesce(cast(discount_pct as decimal(18, 2)), 0) as discount_pct,
           cast(start_date as date) as start_date, cast(end_date as date) as end_date
    from read_csv('{landing}/**/subscriptions.csv', all_varchar = true, header = true)
),
months as (
    select cast(m as date) as month,
           least(cast(m + interval 1 month - interval 1 day as date), date '{as_of}') as snapshot_date
    from generate_series(date_trunc('month', (select min(start_date) from subs)),
                         date_trunc('month', date '{as_of}'), interval 1 month) t(m)
)
select months.month, subs.account_id,
       sum(subs.amount * (100 - subs.discount_pct) / 100
           / case when subs.billing_interval = 'year' then 12 else 1 end) as mrr
from months join subs
  on subs.start_date <= months.snapshot_date
 and (subs.end_date is null or subs.end_date > months.snapshot_date)
where subs.status <> 'trialing' and subs.amount > 0
group by all
"""

USAGE_SQL = """
create or replace table floor_usage_daily as
select account_id, cast(occurred_at as date) as usage_date, feature,
       count(*) as events, sum(quantity) as quantity, count(distinct user_id) as active_users
from read_parquet('{landing}/product/usage_events/*/*.parquet')
where cast(occurred_at as date) <= date '{as_of}'
group by all
"""

HEALTH_SQL = """
create or replace table floor_health_inputs as
with daily_users as (
    select account_id, cast(occurred_at as date) as usage_date, count(distinct user_id) as active_users
    from read_parquet('{landing}/product/usage_events/*/*.parquet')
    where cast(occurred_at as date) <= date '{as_of}'
    group by all
),
seats as (
    select account_id, sum(cast(seats as bigint)) as seats
    from read_csv('{landing}/**/subscriptions.csv', all_varchar = true, header = true)
    where cast(start_date as date) <= date '{as_of}'
      and (end_date is null or cast(end_date as date) > date '{as_of}') and status <> 'trialing'
    group by all
)
select d.account_id, d.usage_date, d.active_users,
       d.active_users / nullif(s.seats, 0) as utilisation
from daily_users d left join seats s using (account_id)
"""


def run_floor(landing: Path, as_of: date, db: Path) -> dict:
    """Time each core output; returns seconds per output and row counts."""
    out: dict = {}
    with duckdb.connect(str(db)) as con:
        for name, sql in (("mrr", MRR_SQL), ("usage_daily", USAGE_SQL), ("health_inputs", HEALTH_SQL)):
            started = time.perf_counter()
            con.execute(sql.format(landing=landing, as_of=as_of.isoformat()))
            out[f"{name}_seconds"] = time.perf_counter() - started
            out[f"{name}_rows"] = con.execute(f"select count(*) from floor_{name}").fetchone()[0]
        out["mrr_as_of_month"] = float(con.execute(
            "select coalesce(sum(mrr), 0) from floor_mrr where month = date_trunc('month', ?::date)",
            [as_of]).fetchone()[0])
    out["seconds"] = sum(v for k, v in out.items() if k.endswith("_seconds"))
    return out
