-- One row per account, user and active day: what rolling distinct active-user counts need
-- (distinct users do not add up across features or days). Incremental like fct_usage_daily,
-- and like it read from int_usage__user_feature_daily, not from the events again.
-- Tagged as_of_cutoff: as_of only bounds which events count (a daily run skips it when no usage
-- is new: flows/build_plan.py).
{{ usage_day_incremental_config(tags=['as_of_cutoff']) }}

with {{ usage_days_to_process(ref('int_usage__user_feature_daily')) }}

select
    account_id,
    user_id,
    usage_date,
    cast(sum(events) as bigint) as events,
    max(_max_loaded_at) as _max_loaded_at
from usage_rows
-- account-level events (no user id) count no user: user-based measures stay unknown
where user_id is not null
group by account_id, user_id, usage_date
