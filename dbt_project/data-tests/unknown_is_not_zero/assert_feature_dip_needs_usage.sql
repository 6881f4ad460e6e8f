-- Unknown is not zero: a feature-usage dip needs usage data for the account (events measured on
-- both sides of the comparison), never an absent usage feed read as a drop to zero.
select candidates.account_id, candidates.subject
from {{ ref('fct_alert_candidates') }} as candidates
left join {{ ref('fct_account_usage_daily') }} as usage
    on candidates.account_id = usage.account_id and usage.date_day = {{ as_of_date() }}
where candidates.rule = 'feature_dip'
    and not coalesce(usage.has_usage_data, false)
