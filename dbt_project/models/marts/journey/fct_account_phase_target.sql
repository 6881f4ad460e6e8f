-- Desired journey phase per account at as_of (docs: journey_phases). Triggers win in order:
-- churned (paid before, MRR now 0) > risk (red health) > renewal (a term-plan renewal inside the
-- window) > advocacy (recent promoter NPS and green health) > the default phase for the first
-- onboarding_days of a paid streak (new or reactivated) > adoption. flows/actions/journey.py
-- reconciles this into ops.account_phase_history; the reason says why, in words a CSM reads.
with accounts as (
    select account_id, cast(created_at as date) as created_date
    from {{ ref('stg_crm__accounts') }}
    where cast(created_at as date) <= {{ as_of_date() }}
),

subscriptions as (
    select * from {{ ref('int_subscriptions__normalised') }}
),

footprint as (
    select
        account_id,
        min(case when mrr > 0 then start_date end) as first_paid_date,
        sum(case when is_active_at_as_of then mrr else 0 end) as current_mrr
    from subscriptions
    group by account_id
),

-- the month the current paid streak began again after a gap (fct_mrr movement reactivation)
reactivated as (
    select account_id, max(month) as reactivation_month
    from {{ ref('fct_mrr') }}
    where movement = 'reactivation'
    group by account_id
),

health_today as (
    select account_id, health_score, health_band
    from {{ ref('fct_account_health_daily') }}
    where health_date = {{ as_of_date() }}
),

renewal as (
    select account_id, min(days_to_renewal) as days_to_renewal
    from {{ ref('int_subscriptions__next_renewal') }}
    where mrr > 0
        and billing_interval in {{ sql_list(var('revenue_renewal_intervals')) }}
    group by account_id
),

engagement as (
    select account_id, latest_nps_score, latest_nps_date
    from {{ ref('fct_engagement') }}
),

facts as (
    select
        accounts.account_id,
        footprint.first_paid_date,
        coalesce(footprint.current_mrr, 0) as current_mrr,
        -- day 0 of the default phase: the reactivation month, else the first paid day, else creation
        coalesce(
            case when reactivated.reactivation_month > footprint.first_paid_date then reactivated.reactivation_month end,
            footprint.first_paid_date,
            accounts.created_date
        ) as streak_start_date,
        health_today.health_score,
        health_today.health_band,
        renewal.days_to_renewal,
        case when engagement.latest_nps_date > {{ dbt.dateadd('day', -var('journey_nps_max_age_days'), as_of_date()) }}
            then cast(engagement.latest_nps_score as integer) end as recent_nps
    from accounts
    left join footprint on accounts.account_id = footprint.account_id
    left join reactivated on accounts.account_id = reactivated.account_id
    left join health_today on accounts.account_id = health_today.account_id
    left join renewal on accounts.account_id = renewal.account_id
    left join engagement on accounts.account_id = engagement.account_id
),

decided as (
    select
        *,
        {{ dbt.datediff('streak_start_date', as_of_date(), 'day') }} as days_in_streak
    from facts
)

select
    account_id,
    case
        when first_paid_date is not null and current_mrr = 0 then 'churned'
        when health_band = 'red' then 'risk'
        when days_to_renewal <= {{ var('journey_renewal_window_days') }} then 'renewal'
        when recent_nps >= {{ var('journey_advocacy_min_nps') }} and health_band = 'green' then 'advocacy'
        when days_in_streak < {{ var('journey_onboarding_days') }} then '{{ var("journey_default_phase") }}'
        else 'adoption'
    end as phase,
    case
        when first_paid_date is not null and current_mrr = 0 then 'MRR reached 0'
        when health_band = 'red' then 'health red (' || cast(round(health_score, 1) as {{ dbt.type_string() }}) || ')'
        when days_to_renewal <= {{ var('journey_renewal_window_days') }}
            then 'renewal in ' || cast(days_to_renewal as {{ dbt.type_string() }}) || ' days'
        when recent_nps >= {{ var('journey_advocacy_min_nps') }} and health_band = 'green'
            then 'promoter NPS ' || cast(recent_nps as {{ dbt.type_string() }}) || ' and green health'
        when days_in_streak < {{ var('journey_onboarding_days') }}
            then 'day ' || cast(days_in_streak as {{ dbt.type_string() }}) || ' of ' || '{{ var("journey_onboarding_days") }}'
                 || case when streak_start_date = first_paid_date or first_paid_date is null
                         then ' (new account)' else ' (reactivated)' end
        else 'onboarding period over'
    end as reason,
    streak_start_date,
    days_in_streak,
    health_band,
    days_to_renewal,
    recent_nps,
    current_mrr
from decided
