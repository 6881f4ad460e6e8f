-- Per account and feature at as_of: 30-day vs prior-30-day use, the per-feature usage trend
-- (the daily overall trend lives in fct_account_usage_daily) and when the feature was last used.
with usage as (
    select * from {{ ref('fct_usage_daily') }}
    where usage_date <= {{ as_of_date() }}
)

select
    account_id,
    feature,
    sum(case when usage_date > {{ dbt.dateadd('day', -30, as_of_date()) }} then events else 0 end) as events_30d,
    sum(case when usage_date <= {{ dbt.dateadd('day', -30, as_of_date()) }}
              and usage_date > {{ dbt.dateadd('day', -60, as_of_date()) }} then events else 0 end) as events_prior_30d,
    cast(sum(case when usage_date > {{ dbt.dateadd('day', -30, as_of_date()) }} then events else 0 end) as double)
        / nullif(sum(case when usage_date <= {{ dbt.dateadd('day', -30, as_of_date()) }}
                           and usage_date > {{ dbt.dateadd('day', -60, as_of_date()) }} then events else 0 end), 0)
        - 1 as usage_trend,
    max(usage_date) as last_used_date,
    feature in {{ sql_list(var('health_key_features')) }} as is_key_feature,
    feature in {{ sql_list(var('health_sticky_features')) }} as is_sticky_feature
from usage
group by account_id, feature
