-- One row per account created by as_of: CRM attributes, owner, and its subscription footprint.
with accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

team as (
    select * from {{ ref('stg_crm__team') }}
),

subscriptions as (
    select * from {{ ref('int_subscriptions__normalised') }}
),

phase as (
    select account_id, phase, reason from {{ ref('fct_account_phase_target') }}
),

health_today as (
    select * from {{ ref('fct_account_health_daily') }}
    where health_date = {{ as_of_date() }}
),

footprint as (
    select
        account_id,
        min(start_date) as first_subscription_date,
        min(case when mrr > 0 then start_date end) as first_paid_date,
        sum(case when is_active_at_as_of then mrr else 0 end) as current_mrr,
        sum(case when is_active_at_as_of then seats else 0 end) as current_seats,
        count(case when is_active_at_as_of then 1 end) as count_active_subscriptions
    from subscriptions
    group by account_id
),

joined as (
    select
        accounts.account_id,
        accounts.name as account_name,
        accounts.segment,
        accounts.industry,
        accounts.region,
        accounts.created_at,
        accounts.lifecycle_stage,
        accounts.owner_csm_id,
        team.name as owner_name,
        team.email as owner_email,
        footprint.first_subscription_date,
        footprint.first_paid_date,
        coalesce(footprint.current_mrr, 0) as current_mrr,
        coalesce(footprint.current_mrr, 0) * 12 as current_arr,
        coalesce(footprint.current_seats, 0) as current_seats,
        coalesce(footprint.count_active_subscriptions, 0) as count_active_subscriptions,
        coalesce(footprint.current_mrr, 0) > 0 as is_paying,
        -- lifecycle and health facts at as_of (marts/health)
        {{ dbt.datediff('footprint.first_paid_date', as_of_date(), 'day') }} as days_since_first_paid,
        health_today.health_score,
        health_today.health_band,
        health_today.utilisation,
        -- journey phase at as_of (fct_account_phase_target; history in ops.account_phase_history)
        phase.phase as journey_phase,
        phase.reason as journey_phase_reason
    from accounts
    left join footprint on accounts.account_id = footprint.account_id
    left join team on accounts.owner_csm_id = team.user_id
    left join health_today on accounts.account_id = health_today.account_id
    left join phase on accounts.account_id = phase.account_id
    where cast(accounts.created_at as date) <= {{ as_of_date() }}
)

select * from joined
