-- One row per renewal of a paid subscription on a term plan (revenue.renewal_intervals):
-- every past renewal since the subscription started, with its outcome, and every renewal due
-- in the year after as_of, with its window and forecast probability (docs: renewal_outcome,
-- renewal_probability). Renewal dates step whole billing intervals from the billing anchor.
with subscriptions as (
    select * from {{ ref('int_subscriptions__normalised') }}
    where mrr > 0
),

accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

payment_health as (
    select * from {{ ref('fct_payment_health') }}
),

mrr as (
    select * from {{ ref('fct_mrr') }}
),

term_subscriptions as (
    select
        subscription_id,
        account_id,
        plan,
        billing_interval,
        interval_months,
        status,
        start_date,
        end_date,
        mrr,
        coalesce(renewal_date, start_date) as anchor_date
    from subscriptions
    where billing_interval in ('{{ var("revenue_renewal_intervals") | join("', '") }}')
),

spine as (
    {{ date_spine('month', '(select min(start_date) from term_subscriptions)',
                  dbt.dateadd('day', 365, as_of_date())) }}
),

-- candidate months a whole number of billing intervals away from the anchor
renewal_dates as (
    select
        term_subscriptions.*,
        {{ add_months('term_subscriptions.anchor_date',
            dbt.datediff(dbt.date_trunc('month', 'term_subscriptions.anchor_date'), 'spine.date_month', 'month')) }}
            as renewal_date
    from term_subscriptions
    inner join spine
        on spine.date_month > {{ dbt.date_trunc('month', 'term_subscriptions.start_date') }}
        and mod({{ dbt.datediff(dbt.date_trunc('month', 'term_subscriptions.anchor_date'), 'spine.date_month', 'month') }},
                term_subscriptions.interval_months) = 0
),

in_scope as (
    select * from renewal_dates
    where renewal_date > start_date
        and renewal_date <= {{ dbt.dateadd('day', 365, as_of_date()) }}
        and (end_date is null or renewal_date <= end_date)
),

-- the account's MRR the day before and on the renewal date (past renewals only)
account_mrr_around as (
    select
        in_scope.subscription_id,
        in_scope.renewal_date,
        sum(case when others.start_date <= {{ dbt.dateadd('day', -1, 'in_scope.renewal_date') }}
                  and (others.mrr_end_date is null
                       or others.mrr_end_date > {{ dbt.dateadd('day', -1, 'in_scope.renewal_date') }})
                 then others.mrr else 0 end) as account_mrr_before,
        sum(case when others.start_date <= in_scope.renewal_date
                  and (others.mrr_end_date is null or others.mrr_end_date > in_scope.renewal_date)
                 then others.mrr else 0 end) as account_mrr_after
    from in_scope
    inner join subscriptions as others on others.account_id = in_scope.account_id
    where in_scope.renewal_date <= {{ as_of_date() }}
    group by in_scope.subscription_id, in_scope.renewal_date
),

recent_contraction as (
    select distinct account_id
    from mrr
    where movement = 'contraction'
        and month > {{ add_months(dbt.date_trunc('month', as_of_date()), -3) }}
),

renewals as (
    select
        in_scope.subscription_id,
        in_scope.account_id,
        in_scope.plan,
        in_scope.billing_interval,
        in_scope.renewal_date,
        {{ dbt.datediff(as_of_date(), 'in_scope.renewal_date', 'day') }} as days_to_renewal,
        cast(in_scope.mrr * 12 as decimal(18, 4)) as arr,
        accounts.owner_csm_id,
        in_scope.end_date is not null and in_scope.end_date <= in_scope.renewal_date as is_cancelling,
        coalesce(payment_health.has_overdue_invoices, false) or in_scope.status = 'past_due' as is_past_due,
        recent_contraction.account_id is not null as has_recent_contraction,
        around.account_mrr_before,
        around.account_mrr_after
    from in_scope
    left join accounts on in_scope.account_id = accounts.account_id
    left join payment_health on in_scope.account_id = payment_health.account_id
    left join recent_contraction on in_scope.account_id = recent_contraction.account_id
    left join account_mrr_around as around
        on around.subscription_id = in_scope.subscription_id
        and around.renewal_date = in_scope.renewal_date
),

{% set p = var('revenue_renewal_probability') -%}
classified as (
    select
        *,
        case
            when days_to_renewal < 0 then 'past'
            when days_to_renewal <= 30 then '0-30'
            when days_to_renewal <= 60 then '31-60'
            when days_to_renewal <= 90 then '61-90'
            else 'later'
        end as window_bucket,
        case
            when days_to_renewal > 0 then null
            when account_mrr_after = 0 then 'churned'
            when account_mrr_after > account_mrr_before then 'expanded'
            when account_mrr_after < account_mrr_before then 'contracted'
            else 'renewed'
        end as outcome,
        -- the documented rule (docs: renewal_probability); upcoming renewals only
        case
            when days_to_renewal <= 0 then null
            when is_cancelling then {{ p['cancelling'] }}
            when is_past_due then {{ p['past_due'] }}
            when has_recent_contraction then {{ p['contracting'] }}
            else {{ p['default'] }}
        end as renewal_probability
    from renewals
)

select
    {{ surrogate_key(['subscription_id', 'renewal_date']) }} as renewal_id,
    *
from classified
