-- Sustained downward health trend: the score at as_of, as_of-7, as_of-14, ... fell in each of
-- the last alerts.health_trend.weeks weeks by at least min_weekly_drop points.
{%- set weeks = alert_setting('health_trend', 'weeks') | int %}
{%- set min_drop = alert_setting('health_trend', 'min_weekly_drop') %}
with history as (
    select account_id, health_date, health_score, health_band
    from {{ ref('fct_account_health_daily') }}
    where health_date in (
        {%- for k in range(weeks + 1) %}
        {{ dbt.dateadd('day', -7 * k, as_of_date()) }}{{ "," if not loop.last }}
        {%- endfor %}
    )
),

weekly as (
    select
        account_id,
        {%- for k in range(weeks + 1) %}
        max(case when health_date = {{ dbt.dateadd('day', -7 * k, as_of_date()) }} then health_score end) as score_w{{ k }}{{ "," if not loop.last }}
        {%- endfor %},
        -- unknown is not zero: a week with a withheld band (too little data or history) breaks the run
        count(case when health_band = 'insufficient_data' then 1 end) as weeks_withheld
    from history
    group by account_id
)

select
    'health_trend' as rule,
    account_id,
    'health' as subject,
    cast(null as {{ dbt.type_string() }}) as owner_id,
    cast(null as {{ dbt.type_string() }}) as owner_email,
    'Health declined {{ weeks }} weeks in a row: ' || cast(round(score_w{{ weeks }}, 1) as {{ dbt.type_string() }})
        || ' -> ' || cast(round(score_w0, 1) as {{ dbt.type_string() }}) as title,
    {{ json_object({
        'weeks': weeks,
        'health_score': 'round(score_w0, 1)',
        'score_weeks_ago': 'round(score_w' ~ weeks ~ ', 1)',
    }) }} as details
from weekly
where weeks_withheld = 0 and
    {%- for k in range(weeks) %}
    score_w{{ k }} <= score_w{{ k + 1 }} - {{ min_drop }}{{ " and" if not loop.last }}
    {%- endfor %}
