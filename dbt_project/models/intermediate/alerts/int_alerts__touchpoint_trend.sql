-- Negative touchpoint trend on a paying account: the agreed cadence is missed (no touchpoint
-- for longer than fct_engagement.cadence_days: health.cadence_days of its segment, or
-- health.cadence_days_by_phase for its recorded journey phase), or the 90-day sentiment fell by at
-- least alerts.touchpoint_trend.sentiment_drop vs the prior 90 days. One subject each.
-- Without any touchpoints landed (the table is optional) the rule is skipped, not faked.
with engagement as (
    select engagement.*
    from {{ ref('fct_engagement') }} as engagement
    inner join {{ ref('dim_accounts') }} as accounts
        on engagement.account_id = accounts.account_id and accounts.is_paying
    where exists (select 1 from {{ ref('stg_crm__touchpoints') }})
)

select
    'touchpoint_trend' as rule,
    account_id,
    'cadence' as subject,
    cast(null as {{ dbt.type_string() }}) as owner_id,
    cast(null as {{ dbt.type_string() }}) as owner_email,
    case when last_touchpoint_date is null
              then 'No touchpoint on record (cadence ' || cast(cadence_days as {{ dbt.type_string() }}) || ' days'
         else 'No touchpoint for ' || cast(days_since_last_touchpoint as {{ dbt.type_string() }}) || ' days (cadence '
              || cast(cadence_days as {{ dbt.type_string() }}) end
        || coalesce(', ' || cadence_phase || ' phase', '') || ')' as title,
    {{ json_object({
        'last_touchpoint_date': 'cast(last_touchpoint_date as ' ~ dbt.type_string() ~ ')',
        'days_since_last_touchpoint': 'days_since_last_touchpoint',
        'cadence_days': 'cadence_days',
        'cadence_phase': 'cadence_phase',
    }) }} as details
from engagement
where is_cadence_breached

union all

select
    'touchpoint_trend' as rule,
    account_id,
    'sentiment' as subject,
    cast(null as {{ dbt.type_string() }}) as owner_id,
    cast(null as {{ dbt.type_string() }}) as owner_email,
    'Touchpoint sentiment falling: ' || cast(round(sentiment_prior_90d, 2) as {{ dbt.type_string() }}) || ' -> '
        || cast(round(sentiment_90d, 2) as {{ dbt.type_string() }}) || ' (90 days vs prior 90)' as title,
    {{ json_object({
        'sentiment_90d': 'round(sentiment_90d, 2)',
        'sentiment_prior_90d': 'round(sentiment_prior_90d, 2)',
    }) }} as details
from engagement
where round(sentiment_trend, 6) <= -{{ alert_setting('touchpoint_trend', 'sentiment_drop') }}
