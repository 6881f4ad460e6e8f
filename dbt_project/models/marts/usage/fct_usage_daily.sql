-- Usage per account, day and feature. Incremental: a daily run aggregates only the days that
-- new usage partitions touch (see macro usage_events_to_process); --full-refresh rebuilds all
-- days and gives identical rows.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='usage_date',
    on_schema_change='fail',
    pre_hook="{{ drop_usage_after_as_of() }}",
) }}

with {{ usage_events_to_process() }}

select
    account_id,
    usage_date,
    feature,
    count(*) as events,
    sum(quantity) as quantity,
    -- null, not 0, when the events carry no user ids (account-level usage)
    case when count(user_id) > 0 then count(distinct user_id) end as active_users,
    max(_loaded_at) as _max_loaded_at
from events
group by account_id, usage_date, feature
