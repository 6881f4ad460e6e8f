-- Per paying account and day of the history: active users (1/7/30-day), utilisation, breadth
-- of key features, sticky-feature adoption and the 30-day vs prior-30-day usage trend.
-- Rolling counts use +1/-1 deltas and running sums over the dense spine, so each event row is
-- read once (no account x day x window join).
{{ config(materialized='table') }}

with spine as (
    select * from {{ ref('int_health__account_days') }}
),

usage as (
    select * from {{ ref('fct_usage_daily') }}
    where usage_date <= {{ as_of_date() }}
),

user_days as (
    select * from {{ ref('int_usage__user_daily') }}
    where usage_date <= {{ as_of_date() }}
),

account_events as (
    select account_id, usage_date, sum(events) as events
    from usage
    group by account_id, usage_date
),

user_spells as (
    select
        account_id,
        usage_date,
        lead(usage_date) over (partition by account_id, user_id order by usage_date) as next_date
    from user_days
),

-- a user counts on days [usage_date, min(next active day, usage_date + window))
user_deltas as (
    select account_id, usage_date as delta_date, 1 as d7, 1 as d30 from user_spells
    union all
    select account_id, least(coalesce(next_date, {{ dbt.dateadd('day', 7, 'usage_date') }}),
                             {{ dbt.dateadd('day', 7, 'usage_date') }}), -1, 0
    from user_spells
    union all
    select account_id, least(coalesce(next_date, {{ dbt.dateadd('day', 30, 'usage_date') }}),
                             {{ dbt.dateadd('day', 30, 'usage_date') }}), 0, -1
    from user_spells
),

feature_spells as (
    select
        account_id,
        feature,
        usage_date,
        lead(usage_date) over (partition by account_id, feature order by usage_date) as next_date
    from usage
),

feature_deltas as (
    select
        account_id,
        usage_date as delta_date,
        case when feature in {{ sql_list(var('health_key_features')) }} then 1 else 0 end as dkey,
        case when feature in {{ sql_list(var('health_sticky_features')) }} then 1 else 0 end as dsticky
    from feature_spells
    union all
    select
        account_id,
        least(coalesce(next_date, {{ dbt.dateadd('day', 30, 'usage_date') }}),
              {{ dbt.dateadd('day', 30, 'usage_date') }}),
        case when feature in {{ sql_list(var('health_key_features')) }} then -1 else 0 end,
        case when feature in {{ sql_list(var('health_sticky_features')) }} then -1 else 0 end
    from feature_spells
),

-- deltas before the spine start fold onto its first day, so running sums start right
deltas as (
    select
        account_id,
        greatest(cast(delta_date as date), {{ health_spine_start() }}) as date_day,
        sum(d7) as d7, sum(d30) as d30, 0 as dkey, 0 as dsticky
    from user_deltas
    group by 1, 2
    union all
    select
        account_id,
        greatest(cast(delta_date as date), {{ health_spine_start() }}),
        0, 0, sum(dkey), sum(dsticky)
    from feature_deltas
    group by 1, 2
),

daily_deltas as (
    select account_id, date_day, sum(d7) as d7, sum(d30) as d30, sum(dkey) as dkey, sum(dsticky) as dsticky
    from deltas
    group by account_id, date_day
),

active_today as (
    select account_id, usage_date, count(*) as active_users_1d
    from user_days
    group by account_id, usage_date
),

rolled as (
    select
        spine.account_id,
        spine.date_day,
        spine.seats,
        spine.is_customer,
        spine.is_in_history,
        coalesce(active_today.active_users_1d, 0) as active_users_1d,
        sum(coalesce(daily_deltas.d7, 0)) over w_to_date as active_users_7d,
        sum(coalesce(daily_deltas.d30, 0)) over w_to_date as active_users_30d,
        sum(coalesce(daily_deltas.dkey, 0)) over w_to_date as key_features_used_30d,
        sum(coalesce(daily_deltas.dsticky, 0)) over w_to_date as sticky_features_used_30d,
        coalesce(account_events.events, 0) as events_1d,
        sum(coalesce(account_events.events, 0)) over (
            partition by spine.account_id order by spine.date_day rows between 29 preceding and current row
        ) as events_30d,
        sum(coalesce(account_events.events, 0)) over (
            partition by spine.account_id order by spine.date_day rows between 59 preceding and 30 preceding
        ) as events_prior_30d
    from spine
    left join daily_deltas
        on spine.account_id = daily_deltas.account_id and spine.date_day = daily_deltas.date_day
    left join active_today
        on spine.account_id = active_today.account_id and spine.date_day = active_today.usage_date
    left join account_events
        on spine.account_id = account_events.account_id and spine.date_day = account_events.usage_date
    window w_to_date as (partition by spine.account_id order by spine.date_day rows unbounded preceding)
)

select
    account_id,
    date_day,
    seats,
    active_users_1d,
    active_users_7d,
    active_users_30d,
    case when seats > 0 then cast(active_users_30d as double precision) / seats end as utilisation,
    key_features_used_30d,
    cast(key_features_used_30d as double precision)
        / {{ var('health_key_features') | length }} as breadth,
    sticky_features_used_30d,
    cast(sticky_features_used_30d as double precision)
        / {{ var('health_sticky_features') | length }} as sticky_adoption,
    events_1d,
    events_30d,
    coalesce(events_prior_30d, 0) as events_prior_30d,
    case when events_prior_30d > 0
        then cast(events_30d as double precision) / events_prior_30d - 1 end as usage_trend
from rolled
where is_customer and is_in_history
