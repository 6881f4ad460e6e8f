-- Health score dip: the score fell by at least alerts.health_dip.points over the last 7 days.
-- One alert per dip episode: it persists while the 7-day drop stays that deep, and names the
-- component that moved most.
select
    'health_dip' as rule,
    account_id,
    'health' as subject,
    cast(null as {{ dbt.type_string() }}) as owner_id,
    cast(null as {{ dbt.type_string() }}) as owner_email,
    'Health down ' || cast(round(-health_change_7d, 1) as {{ dbt.type_string() }}) || ' points in 7 days (now '
        || cast(round(health_score, 1) as {{ dbt.type_string() }}) || ', ' || health_band || ')' as title,
    {{ json_object({
        'health_score': 'round(health_score, 1)',
        'change_7d': 'round(health_change_7d, 1)',
        'band': 'health_band',
        'top_mover': 'top_mover_7d',
    }) }} as details
from {{ ref('fct_account_health_daily') }}
where health_date = {{ as_of_date() }}
    -- unknown is not zero: no alert on a withheld band (too little data or history)
    and health_band is distinct from 'insufficient_data'
    and round(health_change_7d, 4) <= -{{ alert_setting('health_dip', 'points') }}
