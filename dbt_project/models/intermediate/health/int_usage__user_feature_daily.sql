-- One row per account, user (null: account-level events), feature and day: the only model that
-- reads the raw events. fct_usage_daily and int_usage__user_daily aggregate this table, so the
-- events are scanned and deduplicated once per run, not once per model. Incremental like them.
-- Tagged as_of_cutoff: as_of only bounds which events count (a daily run skips it when no usage
-- is new: flows/build_plan.py).
{{ usage_day_incremental_config(tags=['as_of_cutoff']) }}

with {{ usage_events_to_process() }}

select
    account_id,
    user_id,
    feature,
    usage_date,
    count(*) as events,
    sum(quantity) as quantity,
    max(_loaded_at) as _max_loaded_at
from events
group by account_id, user_id, feature, usage_date
