-- Per paying account and day of the history: active users (1/7/30-day), utilisation, breadth
-- of key features, sticky-feature adoption and the 30-day vs prior-30-day usage trend.
-- Rolling counts use +1/-1 deltas and running sums over the dense spine, so each event row is
-- read once (no account x day x window join). Incremental: a run computes only the accounts and
-- days macro health_recompute_scope selects, reading usage from 60 days before them.
{{ health_incremental_config() }}

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

-- the first day each account has usage at all, and usage with user ids: before it (or never)
-- its usage measures are unknown (null), not zero
first_usage as (
    select account_id, min(usage_date) as first_usage_date
    from usage
    group by account_id
),

first_user_day as (
    select account_id, min(usage_date) as first_user_date
    from user_days
    group by account_id
),

-- the first day each configured key and sticky feature appeared anywhere: a feature the data
-- has not shown by a day is left out of that day's denominator (never seen: component null)
feature_first_seen as (
    select
        feature,
        min(usage_date) as first_seen_date,
        feature in {{ sql_list(var('health_key_features')) }} as is_key,
        feature in {{ sql_list(var('health_sticky_features')) }} as is_sticky
    from usage
    where feature in {{ sql_list(var('health_key_features') + var('health_sticky_features')) }}
    group by feature
),

-- 60 days of inputs for the event windows (events_prior_30d reaches 59 days back)
{{ health_recompute_scope(usage=true, lookback_days=60) }},

-- the spine of each account it recomputes, from 60 days before its first recomputed day
account_days as (
    select spine.account_id, spine.date_day, scope.compute_from, spine.seats, spine.is_customer
    from spine
    inner join scope on spine.account_id = scope.account_id and spine.date_day >= scope.spine_start
),

-- event counts from each account's spine start (events_prior_30d reaches 59 days back)
scoped_usage as (
    select usage.account_id, usage.usage_date, usage.feature, usage.events, scope.compute_from
    from usage
    inner join scope on usage.account_id = scope.account_id and usage.usage_date >= scope.spine_start
),

-- users and features from 30 days before the first computed day: an earlier spell has ended by it
scoped_user_days as (
    select user_days.account_id, user_days.user_id, user_days.usage_date
    from user_days
    inner join scope
        on user_days.account_id = scope.account_id
        and user_days.usage_date >= cast({{ dbt.dateadd('day', -30, 'scope.compute_from') }} as date)
),

spine_days as (
    {{ date_spine('day', health_spine_start(), as_of_date()) }}
),

-- the latest usage load on or before each day (the incremental watermark)
usage_loaded_to_date as (
    select distinct
        date_day,
        max(loaded_at) over (order by date_day range between unbounded preceding and current row)
            as usage_loaded_at
    from (
        select usage_date as date_day, loaded_at from usage_day_loads
        union all
        select date_day, null from spine_days
    ) as load_days
),

seen_by_day as (
    select
        spine_days.date_day,
        count(case when feature_first_seen.is_key then 1 end) as key_seen,
        count(case when feature_first_seen.is_sticky then 1 end) as sticky_seen
    from spine_days
    left join feature_first_seen on feature_first_seen.first_seen_date <= spine_days.date_day
    group by spine_days.date_day
),

account_events as (
    select account_id, usage_date, sum(events) as events
    from scoped_usage
    group by account_id, usage_date
),

user_spells as (
    select
        account_id,
        usage_date,
        lead(usage_date) over (partition by account_id, user_id order by usage_date) as next_date
    from scoped_user_days
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
    from scoped_usage
    where usage_date >= cast({{ dbt.dateadd('day', -30, 'compute_from') }} as date)
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

deltas as (
    select account_id, cast(delta_date as date) as date_day, sum(d7) as d7, sum(d30) as d30, 0 as dkey, 0 as dsticky
    from user_deltas
    group by 1, 2
    union all
    select account_id, cast(delta_date as date), 0, 0, sum(dkey), sum(dsticky)
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
    from scoped_user_days
    group by account_id, usage_date
),

rolled as (
    select
        account_days.account_id,
        account_days.date_day,
        account_days.compute_from,
        account_days.seats,
        account_days.is_customer,
        coalesce(active_today.active_users_1d, 0) as active_users_1d,
        sum(coalesce(daily_deltas.d7, 0)) over w_to_date as active_users_7d,
        sum(coalesce(daily_deltas.d30, 0)) over w_to_date as active_users_30d,
        sum(coalesce(daily_deltas.dkey, 0)) over w_to_date as key_features_used_30d,
        sum(coalesce(daily_deltas.dsticky, 0)) over w_to_date as sticky_features_used_30d,
        coalesce(account_events.events, 0) as events_1d,
        sum(coalesce(account_events.events, 0)) over (
            partition by account_days.account_id order by account_days.date_day
            rows between 29 preceding and current row
        ) as events_30d,
        sum(coalesce(account_events.events, 0)) over (
            partition by account_days.account_id order by account_days.date_day
            rows between 59 preceding and 30 preceding
        ) as events_prior_30d,
        coalesce(first_usage.first_usage_date <= account_days.date_day, false) as has_usage_data,
        coalesce(first_user_day.first_user_date <= account_days.date_day, false) as has_user_ids
    from account_days
    left join first_usage on account_days.account_id = first_usage.account_id
    left join first_user_day on account_days.account_id = first_user_day.account_id
    left join daily_deltas
        on account_days.account_id = daily_deltas.account_id and account_days.date_day = daily_deltas.date_day
    left join active_today
        on account_days.account_id = active_today.account_id and account_days.date_day = active_today.usage_date
    left join account_events
        on account_days.account_id = account_events.account_id and account_days.date_day = account_events.usage_date
    window w_to_date as (partition by account_days.account_id order by account_days.date_day rows unbounded preceding)
),

computed as (
    select
        rolled.account_id,
        rolled.date_day,
        rolled.seats,
        rolled.active_users_1d,
        rolled.active_users_7d,
        rolled.active_users_30d,
        case when rolled.has_user_ids and rolled.seats > 0
            then cast(rolled.active_users_30d as double) / rolled.seats end as utilisation,
        rolled.key_features_used_30d,
        cast(rolled.key_features_used_30d as double) / nullif(seen.key_seen, 0) as breadth,
        rolled.sticky_features_used_30d,
        cast(rolled.sticky_features_used_30d as double) / nullif(seen.sticky_seen, 0) as sticky_adoption,
        rolled.events_1d,
        rolled.events_30d,
        coalesce(rolled.events_prior_30d, 0) as events_prior_30d,
        rolled.has_usage_data,
        rolled.has_user_ids,
        case when rolled.events_prior_30d > 0
            then cast(rolled.events_30d as double) / rolled.events_prior_30d - 1 end as usage_trend,
        account_hashes.account_hash as _account_hash,
        usage_loaded_to_date.usage_loaded_at as _usage_loaded_at
    from rolled
    inner join account_hashes on rolled.account_id = account_hashes.account_id
    left join usage_loaded_to_date on rolled.date_day = usage_loaded_to_date.date_day
    left join seen_by_day as seen on rolled.date_day = seen.date_day
    where rolled.is_customer and rolled.date_day >= rolled.compute_from
),

-- unknown is not zero: an account with no usage yet has no usage measures at all, one whose
-- events carry no user ids has no user-based ones
known as (
    select
        account_id,
        date_day,
        seats,
        case when has_user_ids then active_users_1d end as active_users_1d,
        case when has_user_ids then active_users_7d end as active_users_7d,
        case when has_user_ids then active_users_30d end as active_users_30d,
        utilisation,
        case when has_usage_data then key_features_used_30d end as key_features_used_30d,
        case when has_usage_data then breadth end as breadth,
        case when has_usage_data then sticky_features_used_30d end as sticky_features_used_30d,
        case when has_usage_data then sticky_adoption end as sticky_adoption,
        case when has_usage_data then events_1d end as events_1d,
        case when has_usage_data then events_30d end as events_30d,
        case when has_usage_data then events_prior_30d end as events_prior_30d,
        usage_trend,
        has_usage_data,
        has_user_ids,
        _account_hash,
        _usage_loaded_at
    from computed
)

{{ health_rows('known') }}
