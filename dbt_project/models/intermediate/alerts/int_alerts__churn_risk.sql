-- Churn risk: the churn model's latest probability for the account (marts.fct_churn_risk, written by
-- the daily run's model step after the dbt build, so this reads the previous run's scores, or
-- today's on a rerun) is at least alerts.churn_risk.min_probability. Scores older than 7 days
-- are stale and fire nothing; with no model trained the table is absent and the rule is empty.
-- One alert per risk episode (subject `churn`): it resolves when the probability falls below.
-- depends_on: {{ source('model', 'fct_churn_risk') }}
{% if churn_scores_exist() %}
with latest as (
    {{ latest_churn_scores() }}
)

select
    'churn_risk' as rule,
    account_id,
    'churn' as subject,
    cast(null as {{ dbt.type_string() }}) as owner_id,
    cast(null as {{ dbt.type_string() }}) as owner_email,
    'Churn risk ' || cast(cast(round(100 * churn_probability) as integer) as {{ dbt.type_string() }}) || '% within 90 days'
        || coalesce(': ' || churn_top_driver, '') as title,
    {{ json_object({
        'churn_probability': 'churn_probability',
        'churn_band': 'churn_band',
        'scored_on': 'cast(as_of as ' ~ dbt.type_string() ~ ')',
        'model_version': 'model_version',
        'drivers': 'churn_drivers',
    }) }} as details
from latest
where churn_probability >= {{ alert_setting('churn_risk', 'min_probability') }}
{% else %}
select
    cast(null as {{ dbt.type_string() }}) as rule,
    cast(null as {{ dbt.type_string() }}) as account_id,
    cast(null as {{ dbt.type_string() }}) as subject,
    cast(null as {{ dbt.type_string() }}) as owner_id,
    cast(null as {{ dbt.type_string() }}) as owner_email,
    cast(null as {{ dbt.type_string() }}) as title,
    cast(null as {{ dbt.type_string() }}) as details
where false
{% endif %}
