-- One row per usage day and feature: how many accounts used the feature that day (the row count
-- of fct_usage_daily for the day and feature) and when its usage was last loaded. Small: the
-- health chain reads it to know which components have data (int_health__components) and which
-- days were (re)loaded since its last run (macro health_usage_day_loads), so no intermediate
-- model reads the fct_usage_daily mart. Incremental like the usage models it sits beside.
{{ usage_day_incremental_config() }}

with {{ usage_days_to_process(ref('int_usage__user_feature_daily')) }}

select
    usage_date,
    feature,
    count(distinct account_id) as account_rows,
    max(_max_loaded_at) as _max_loaded_at
from usage_rows
group by usage_date, feature
