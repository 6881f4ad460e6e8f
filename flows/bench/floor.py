"""The floor: hand-written DuckDB SQL in one connection, straight from the landing files.

Computes exactly the tables of the dbt core models the bench times (`CORE_SELECT` in stage.py):
marts fct_mrr, fct_usage_daily and fct_account_usage_daily, same columns and rows (less dbt's
incremental bookkeeping columns, named `_...`), the way a careful engineer would with no
framework: no incremental state, no tests. Metric policies are Steward's defaults (discounts
applied, trials excluded, same-month cancellations dropped); the health settings come from
`spec.py`. tests/integration/test_bench_like_for_like.py holds floor = peer = dbt.
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import duckdb

from flows.bench.spec import HISTORY_DAYS, KEY_FEATURES, STICKY_FEATURES

# Subscriptions known at as_of, latest copy of each id, with their MRR (DESIGN.md "MRR").
SUBS_SQL = """
create or replace temp table subs as
with landed as (
    select *, row_number() over (partition by subscription_id order by filename desc) as version_rank
    from read_csv('{landing}/**/subscriptions.csv', all_varchar = true, header = true, filename = true)
),
typed as (
    select account_id, cast(seats as bigint) as seats, cast(start_date as date) as start_date,
           cast(end_date as date) as end_date, status, billing_interval,
           cast(amount as decimal(18, 2)) as amount, cast(discount_pct as decimal(18, 2)) as discount_pct
    from landed where version_rank = 1
)
select account_id, seats, start_date, end_date,
       cast(case when amount = 0 or status = 'trialing' then 0
                 else amount * (100 - coalesce(discount_pct, 0)) / 100
                      / (case when billing_interval = 'year' then 12 else 1 end) end as decimal(18, 4)) as mrr
from typed
where start_date <= date '{as_of}'
"""

MRR_SQL = """
create or replace table fct_mrr as
with paid as (select * from subs where mrr > 0),
months as (
    select cast(m as date) as month,
           least(cast(m + interval 1 month - interval 1 day as date), date '{as_of}') as snapshot_date
    from generate_series(date_trunc('month', (select min(start_date) from paid)),
                         cast(date '{as_of}' as timestamp), interval 1 month) t(m)
),
account_months as (
    select months.month, paid.account_id, sum(paid.mrr) as mrr, count(*) as count_subscriptions
    from months join paid
      on paid.start_date <= months.snapshot_date and (paid.end_date is null or paid.end_date > months.snapshot_date)
    group by all
),
firsts as (select account_id, min(month) as first_mrr_month from account_months group by all),
grid as (
    select months.month, firsts.account_id, firsts.first_mrr_month,
           cast(coalesce(am.mrr, 0) as decimal(18, 4)) as mrr, coalesce(am.count_subscriptions, 0) as count_subscriptions
    from firsts join months on months.month >= firsts.first_mrr_month
    left join account_months am on am.account_id = firsts.account_id and am.month = months.month
),
prev as (
    select *, cast(coalesce(lag(mrr) over (partition by account_id order by month), 0) as decimal(18, 4)) as previous_mrr
    from grid
)
select md5(account_id || '|' || cast(month as varchar)) as account_month_id, month, account_id, mrr, previous_mrr,
       mrr - previous_mrr as mrr_change,
       case when month = first_mrr_month then 'new'
            when previous_mrr = 0 and mrr > 0 then 'reactivation'
            when previous_mrr > 0 and mrr = 0 then 'churn'
            when mrr > previous_mrr then 'expansion'
            when mrr < previous_mrr then 'contraction'
            else 'none' end as movement,
       count_subscriptions, first_mrr_month
from prev
where not (mrr = 0 and previous_mrr = 0)
"""

# Events read once, as dbt does: deduplicated (a grouped count finds the few ids loaded twice, and
# only those are ranked: a window over every event id does not fit the memory cap at L) and summed
# per account, user, feature and day; the usage table and the user days both come from that.
EVENTS_SQL = """
create or replace temp table user_feature_days as
with landed as (
    select event_id, account_id, user_id, feature, quantity, cast(occurred_at as date) as usage_date, filename
    from read_parquet('{landing}/product/usage_events/*/*.parquet', filename = true)
    where cast(occurred_at as date) <= date '{as_of}'
),
duplicated as (select event_id from landed group by event_id having count(*) > 1),
reloaded as (
    select * exclude (filename) from landed where event_id in (select event_id from duplicated)
    qualify row_number() over (partition by event_id order by filename desc) = 1
),
latest as (
    select * exclude (filename) from landed where event_id not in (select event_id from duplicated)
    union all
    select * from reloaded
)
select account_id, user_id, feature, usage_date, count(*) as events, sum(quantity) as quantity
from latest
group by all
"""

USAGE_SQL = """
create or replace table fct_usage_daily as
select account_id, usage_date, feature, sum(events) as events, sum(quantity) as quantity,
       case when count(user_id) > 0 then count(distinct user_id) end as active_users
from user_feature_days
group by account_id, usage_date, feature
"""

ACCOUNT_USAGE_SQL = """
create or replace table fct_account_usage_daily as
with paid as (select * from subs where mrr > 0),
bounds as (select date '{as_of}' - {history_days} + 1 as history_start),
accounts as (
    select distinct account_id from paid, bounds where end_date is null or end_date > history_start
),
-- each account's days from 60 days before the history (the prior-30-day window's reach)
days as (
    select a.account_id, cast(d as date) as date_day
    from accounts a, bounds,
         generate_series(cast(history_start - 60 as timestamp), cast(date '{as_of}' as timestamp), interval 1 day) t(d)
),
coverage as (
    select days.account_id, days.date_day, sum(paid.seats) as seats
    from days join paid on days.account_id = paid.account_id and days.date_day >= paid.start_date
                        and (paid.end_date is null or days.date_day < paid.end_date)
    group by all
),
usage as (select account_id, usage_date, feature, events from fct_usage_daily),
user_days as (select distinct account_id, user_id, usage_date from user_feature_days where user_id is not null),
firsts as (select account_id, min(usage_date) as first_usage from usage group by all),
user_firsts as (select account_id, min(usage_date) as first_user_day from user_days group by all),
seen as (
    select d.date_day,
           count(case when f.feature in {key} then 1 end) as key_seen,
           count(case when f.feature in {sticky} then 1 end) as sticky_seen
    from (select distinct date_day from days) d
    left join (select feature, min(usage_date) as first_seen from usage where feature in {key_or_sticky} group by all) f
      on f.first_seen <= d.date_day
    group by all
),
-- distinct users/features over a window: each active day covers [day, min(next active day, day + window))
user_spells as (
    select account_id, usage_date,
           least(coalesce(lead(usage_date) over w, usage_date + 7), usage_date + 7) as end7,
           least(coalesce(lead(usage_date) over w, usage_date + 30), usage_date + 30) as end30
    from user_days, bounds
    where usage_date >= history_start - 30  -- a 30-day window from the history start reaches back this far
    window w as (partition by account_id, user_id order by usage_date)
),
feature_spells as (
    select account_id, feature in {key} as is_key, feature in {sticky} as is_sticky, usage_date,
           least(coalesce(lead(usage_date) over w, usage_date + 30), usage_date + 30) as end30
    from usage, bounds
    where usage_date >= history_start - 30
    window w as (partition by account_id, feature order by usage_date)
),
deltas as (
    select account_id, day, sum(d7) as d7, sum(d30) as d30, sum(dkey) as dkey, sum(dsticky) as dsticky
    from (
        select account_id, usage_date as day, 1 as d7, 1 as d30, 0 as dkey, 0 as dsticky from user_spells
        union all select account_id, end7, -1, 0, 0, 0 from user_spells
        union all select account_id, end30, 0, -1, 0, 0 from user_spells
        union all select account_id, usage_date, 0, 0, is_key::int, is_sticky::int from feature_spells
        union all select account_id, end30, 0, 0, -is_key::int, -is_sticky::int from feature_spells
    ) group by all
),
daily as (
    select account_id, usage_date, sum(events) as events from usage group by all
),
active as (select account_id, usage_date, count(*) as users from user_days group by all),
rolled as (
    select days.account_id, days.date_day, coalesce(c.seats, 0) as seats, c.account_id is not null as is_customer,
           coalesce(active.users, 0) as au1,
           sum(coalesce(deltas.d7, 0)) over w as au7, sum(coalesce(deltas.d30, 0)) over w as au30,
           sum(coalesce(deltas.dkey, 0)) over w as key30, sum(coalesce(deltas.dsticky, 0)) over w as sticky30,
           coalesce(daily.events, 0) as ev1,
           sum(coalesce(daily.events, 0)) over (partition by days.account_id order by days.date_day
                                                rows between 29 preceding and current row) as ev30,
           sum(coalesce(daily.events, 0)) over (partition by days.account_id order by days.date_day
                                                rows between 59 preceding and 30 preceding) as evp30,
           coalesce(firsts.first_usage <= days.date_day, false) as has_usage_data,
           coalesce(user_firsts.first_user_day <= days.date_day, false) as has_user_ids
    from days
    left join coverage c on c.account_id = days.account_id and c.date_day = days.date_day
    left join active on active.account_id = days.account_id and active.usage_date = days.date_day
    left join deltas on deltas.account_id = days.account_id and deltas.day = days.date_day
    left join daily on daily.account_id = days.account_id and daily.usage_date = days.date_day
    left join firsts on firsts.account_id = days.account_id
    left join user_firsts on user_firsts.account_id = days.account_id
    window w as (partition by days.account_id order by days.date_day rows unbounded preceding)
)
select r.account_id, r.date_day, r.seats,
       case when has_user_ids then au1 end as active_users_1d,
       case when has_user_ids then au7 end as active_users_7d,
       case when has_user_ids then au30 end as active_users_30d,
       case when has_user_ids and r.seats > 0 then cast(au30 as double) / r.seats end as utilisation,
       case when has_usage_data then key30 end as key_features_used_30d,
       case when has_usage_data then cast(key30 as double) / nullif(seen.key_seen, 0) end as breadth,
       case when has_usage_data then sticky30 end as sticky_features_used_30d,
       case when has_usage_data then cast(sticky30 as double) / nullif(seen.sticky_seen, 0) end as sticky_adoption,
       case when has_usage_data then ev1 end as events_1d,
       case when has_usage_data then ev30 end as events_30d,
       case when has_usage_data then coalesce(evp30, 0) end as events_prior_30d,
       case when evp30 > 0 then cast(ev30 as double) / evp30 - 1 end as usage_trend,
       has_usage_data, has_user_ids
from rolled r join seen on seen.date_day = r.date_day, bounds
where r.is_customer and r.date_day >= history_start
"""

OUTPUTS = {"mrr": ("fct_mrr", (SUBS_SQL, MRR_SQL)),
           "usage_daily": ("fct_usage_daily", (EVENTS_SQL, USAGE_SQL)),
           "account_usage_daily": ("fct_account_usage_daily", (ACCOUNT_USAGE_SQL,))}


def _sql_list(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def run_floor(landing: Path, as_of: date, db: Path) -> dict:
    """Build the three tables in `db`; seconds and rows per output."""
    from flows.warehouse import apply_resources

    params = {"landing": landing, "as_of": as_of.isoformat(), "history_days": HISTORY_DAYS,
              "key": _sql_list(KEY_FEATURES), "sticky": _sql_list(STICKY_FEATURES),
              "key_or_sticky": _sql_list(KEY_FEATURES + STICKY_FEATURES)}
    out: dict = {}
    with apply_resources(duckdb.connect(str(db)), db) as con:  # the same memory cap as the pipeline
        for name, (table, statements) in OUTPUTS.items():
            started = time.perf_counter()
            for sql in statements:
                con.execute(sql.format(**params))
            out[f"{name}_seconds"] = time.perf_counter() - started
            out[f"{name}_rows"] = con.execute(f"select count(*) from {table}").fetchone()[0]
        out["mrr_as_of_month"] = float(con.execute(
            "select coalesce(sum(mrr), 0) from fct_mrr where month = date_trunc('month', ?::date)",
            [as_of]).fetchone()[0])
    out["seconds"] = sum(v for k, v in out.items() if k.endswith("_seconds"))
    return out
