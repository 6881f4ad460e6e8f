-- Usage per account, day and feature, from int_usage__user_feature_daily (the events read once).
-- Incremental: a daily run aggregates only the days that new usage partitions touch (macros
-- usage_events_to_process, usage_days_to_process); --full-refresh gives identical rows.
-- Tagged as_of_cutoff: as_of only bounds which events count (a daily run skips it when no usage
-- is new: flows/build_plan.py).
{{ usage_day_incremental_config(tags=['as_of_cutoff']) }}

with {{ usage_days_to_process(ref('int_usage__user_feature_daily')) }}

select
    account_id,
    usage_date,
    feature,
    cast(sum(events) as bigint) as events,
    sum(quantity) as quantity,
    -- null, not 0, when the events carry no user ids (account-level usage)
    case when count(user_id) > 0 then count(distinct user_id) end as active_users,
    max(_max_loaded_at) as _max_loaded_at
from usage_rows
group by account_id, usage_date, feature
