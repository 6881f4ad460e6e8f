-- Churn beyond tolerance: in the last complete month, logo or revenue churn of a slice
-- (portfolio, a segment, an owner CSM's book) exceeded revenue.churn_tolerance_*. Goes to the
-- CS leader; the month is in the subject, so a slice over tolerance again next month alerts again.
{%- set scopes = alert_setting('churn_tolerance', 'scopes') %}
with last_month as (
    select *
    from {{ ref('rpt_revenue_retention') }}
    where month = cast({{ dbt.dateadd('month', -1, dbt.date_trunc('month', as_of_date())) }} as date)
        and slice in {{ sql_list(scopes) }}
        and (is_logo_churn_over_tolerance or is_revenue_churn_over_tolerance)
),

team as (
    select * from {{ ref('stg_crm__team') }}
)

select
    'churn_tolerance' as rule,
    cast(null as {{ dbt.type_string() }}) as account_id,
    slice || ':' || slice_value || ':' || cast(month as {{ dbt.type_string() }}) as subject,
    case when slice = 'owner_csm' and slice_value <> 'unassigned' then slice_value end as owner_id,
    cast(null as {{ dbt.type_string() }}) as owner_email,
    'Churn over tolerance in ' || {{ year_month_text('month') }} || ' for '
        || case slice when 'portfolio' then 'the portfolio'
                      when 'segment' then 'segment ' || slice_value
                      else 'the book of ' || coalesce(team.name, slice_value) end
        || ': logo ' || cast(round(100 * logo_churn_rate, 2) as {{ dbt.type_string() }}) || '% (tolerance '
        || cast(round(100 * logo_churn_tolerance, 2) as {{ dbt.type_string() }}) || '%), revenue '
        || cast(round(100 * revenue_churn_rate, 2) as {{ dbt.type_string() }}) || '% (tolerance '
        || cast(round(100 * revenue_churn_tolerance, 2) as {{ dbt.type_string() }}) || '%)' as title,
    {{ json_object({
        'month': 'cast(month as ' ~ dbt.type_string() ~ ')',
        'slice': 'slice',
        'slice_value': 'slice_value',
        'logo_churn_pct': 'round(100 * logo_churn_rate, 2)',
        'revenue_churn_pct': 'round(100 * revenue_churn_rate, 2)',
        'logo_tolerance_pct': 'round(100 * logo_churn_tolerance, 2)',
        'revenue_tolerance_pct': 'round(100 * revenue_churn_tolerance, 2)',
    }) }} as details
from last_month
left join team on last_month.slice = 'owner_csm' and last_month.slice_value = team.user_id
