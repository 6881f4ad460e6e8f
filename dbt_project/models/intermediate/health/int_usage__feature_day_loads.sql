-- One row per usage day and feature: how many accounts used the feature that day (the row count
-- of fct_usage_daily for the day and feature) and when its usage was last loaded. Small: the
-- health chain reads it to know which components have data (int_health__components) and which
-- days were (re)loaded since its last run (macro health_usage_day_loads), so no intermediate
-- model reads the fct_usage_daily mart. Incremental like the usage models it sits beside.
{{ config(
    materialized=incremental_unless_spark(),
    incremental_strategy='delete+insert',
    unique_key='usage_date',
    on_schema_change='fail',
    pre_hook="{{ drop_usage_after_as_of() }}",
) }}

with {{ usage_days_to_process(ref('int_usage__user_feature_daily')) }}

select
    usage_date,
    feature,
    count(distinct account_id) as account_rows,
    max(_max_loaded_at) as _max_loaded_at
from usage_rows
group by usage_date, feature
