-- Unknown is not zero: "it has been a while since we last spoke" needs a while. No pooled
-- reach-out goes to an account paying for less than health.min_history_days or one period.
{%- set pooled = var('campaigns')['pooled_reach_out'] %}
select targets.account_id, accounts.first_paid_date
from {{ ref('fct_campaign_targets') }} as targets
inner join {{ ref('dim_accounts') }} as accounts on targets.account_id = accounts.account_id
where targets.campaign = 'pooled_reach_out'
    and (accounts.first_paid_date is null
         or {{ dbt.datediff('accounts.first_paid_date', as_of_date(), 'day') }}
            < {{ [var('health_min_history_days'), pooled['every_days']] | max }})
