-- Champion lost: every champion contact of the account has left, the last one within
-- alerts.champion_lost.within_days. The loss date is the subject, so a later loss (after a
-- new champion came and went) is a new alert.
select
    'champion_lost' as rule,
    account_id,
    cast(champion_lost_date as {{ dbt.type_string() }}) as subject,
    cast(null as {{ dbt.type_string() }}) as owner_id,
    cast(null as {{ dbt.type_string() }}) as owner_email,
    'Champion lost on ' || cast(champion_lost_date as {{ dbt.type_string() }}) as title,
    {{ json_object({'champion_lost_date': 'cast(champion_lost_date as ' ~ dbt.type_string() ~ ')'}) }} as details
from {{ ref('fct_engagement') }}
where champion_status = 'lost'
    and champion_lost_date > {{ dbt.dateadd('day', -alert_setting('champion_lost', 'within_days'), as_of_date()) }}
