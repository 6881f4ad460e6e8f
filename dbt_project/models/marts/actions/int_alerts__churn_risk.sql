-- Churn risk: the churn model's latest probability for the account (marts.fct_churn_risk, written by
-- the daily run's model step after the dbt build, so this reads the previous run's scores, or
-- today's on a rerun) is at least alerts.churn_risk.min_probability. Scores older than 7 days
-- are stale and fire nothing; with no model trained the table is absent and the rule is empty.
-- One alert per risk episode (subject `churn`): it resolves when the probability falls below.
-- depends_on: {{ source('model', 'fct_churn_risk') }}
{%- set scores_exist = var('churn_risk_scores_exist', none) %}
{%- if scores_exist is none and execute %}
    {%- set scores_exist = adapter.get_relation(database=target.database, schema='marts',
                                                identifier='fct_churn_risk') is not none %}
{%- endif %}
{% if scores_exist %}
with scores as (
    select * from {{ source('model', 'fct_churn_risk') }}
    where as_of <= {{ as_of_date() }}
        and as_of > {{ dbt.dateadd('day', -7, as_of_date()) }}
),

ranked as (
    select *, row_number() over (partition by account_id order by as_of desc) as recency
    from scores
),

latest as (
    select * from ranked where recency = 1
)

select
    'churn_risk' as rule,
    account_id,
    'churn' as subject,
    cast(null as varchar) as owner_id,
    cast(null as varchar) as owner_email,
    'Churn risk ' || cast(cast(round(100 * churn_probability) as integer) as varchar) || '% within 90 days'
        || coalesce(': ' || churn_top_driver, '') as title,
    {{ json_object({
        'churn_probability': 'churn_probability',
        'churn_band': 'churn_band',
        'scored_on': 'cast(as_of as varchar)',
        'model_version': 'model_version',
    }) }} as details
from latest
where churn_probability >= {{ alert_setting('churn_risk', 'min_probability') }}
{% else %}
select
    cast(null as varchar) as rule,
    cast(null as varchar) as account_id,
    cast(null as varchar) as subject,
    cast(null as varchar) as owner_id,
    cast(null as varchar) as owner_email,
    cast(null as varchar) as title,
    cast(null as varchar) as details
where false
{% endif %}
