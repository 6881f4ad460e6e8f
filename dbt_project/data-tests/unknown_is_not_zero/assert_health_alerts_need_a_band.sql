-- Unknown is not zero: a health dip or trend alert needs a health band for the account today.
-- An account whose band is withheld (insufficient_data: too little data or history) never alerts.
select candidates.rule, candidates.account_id, health.health_band
from {{ ref('fct_alert_candidates') }} as candidates
left join {{ ref('fct_account_health_daily') }} as health
    on candidates.account_id = health.account_id and health.health_date = {{ as_of_date() }}
where candidates.rule in ('health_dip', 'health_trend')
    and coalesce(health.health_band, 'insufficient_data') = 'insufficient_data'
