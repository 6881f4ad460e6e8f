-- Subscriptions that existed by as_of, with their monthly recurring revenue (DESIGN.md "MRR"):
-- annual amounts / 12, after discount; trials and $0 plans carry no MRR. The revenue_* vars
-- are the metric policies of docs/revenue_policies.md; currency is passed through (no FX table).
with subscriptions as (
    select * from {{ ref('stg_billing__subscriptions') }}
),

invoices as (
    select * from {{ ref('stg_billing__invoices') }}
),

known_at_as_of as (
    select * from subscriptions
    where start_date <= {{ as_of_date() }}
),

-- past-due policy: the day the account's oldest invoice still unpaid at as_of fell due
oldest_overdue as (
    select account_id, min(due_at) as oldest_overdue_due_at
    from invoices
    where {{ invoice_is_overdue(as_of_date()) }}
    group by account_id
),

normalised as (
    select
        known_at_as_of.subscription_id,
        known_at_as_of.account_id,
        known_at_as_of.plan,
        known_at_as_of.billing_interval,
        known_at_as_of.currency,
        known_at_as_of.seats,
        known_at_as_of.start_date,
        known_at_as_of.end_date,
        known_at_as_of.renewal_date,
        known_at_as_of.status,
        coalesce(known_at_as_of.discount_pct, 0) as discount_pct,
        case when known_at_as_of.billing_interval = 'year' then 12 else 1 end as interval_months,
        -- decimal arithmetic throughout: revenue must be right to the cent
        cast(case
            when known_at_as_of.amount = 0 then 0
            {% if var('revenue_trials') == 'exclude' -%}
            when known_at_as_of.status = 'trialing' then 0
            {% endif -%}
            else known_at_as_of.amount
                {% if var('revenue_discounts') == 'apply' -%}
                * (100 - coalesce(known_at_as_of.discount_pct, 0)) / 100
                {%- endif %}
                / (case when known_at_as_of.billing_interval = 'year' then 12 else 1 end)
        end as decimal(18, 4)) as mrr,
        oldest_overdue.oldest_overdue_due_at
    from known_at_as_of
    left join oldest_overdue on known_at_as_of.account_id = oldest_overdue.account_id
),

-- the date MRR stops: end_date, or earlier for a past-due subscription under a churn-after-N-days policy
with_mrr_end as (
    select
        *,
        {% if var('revenue_past_due_churn_after_days') is not none -%}
        case
            when status = 'past_due'
                and {{ dbt.dateadd('day', var('revenue_past_due_churn_after_days'), 'oldest_overdue_due_at') }}
                    <= {{ as_of_date() }}
                and (end_date is null or end_date > cast({{ dbt.dateadd('day', var('revenue_past_due_churn_after_days'), 'oldest_overdue_due_at') }} as date))
                then cast({{ dbt.dateadd('day', var('revenue_past_due_churn_after_days'), 'oldest_overdue_due_at') }} as date)
            else end_date
        end
        {%- else -%}
        end_date
        {%- endif %} as mrr_end_date
    from normalised
)

select
    *,
    start_date <= {{ as_of_date() }}
        and (end_date is null or end_date > {{ as_of_date() }}) as is_active_at_as_of
from with_mrr_end
