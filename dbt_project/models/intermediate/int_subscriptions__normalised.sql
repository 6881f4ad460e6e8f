-- Subscriptions that existed by as_of, with their monthly recurring revenue (DESIGN.md "MRR"):
-- annual amounts / 12, after discount; trials and $0 plans carry no MRR.
with subscriptions as (
    select * from {{ ref('stg_billing__subscriptions') }}
),

known_at_as_of as (
    select * from subscriptions
    where start_date <= {{ as_of_date() }}
),

normalised as (
    select
        subscription_id,
        account_id,
        plan,
        billing_interval,
        currency,
        seats,
        start_date,
        end_date,
        renewal_date,
        status,
        coalesce(discount_pct, 0) as discount_pct,
        case when billing_interval = 'year' then 12 else 1 end as interval_months,
        -- decimal arithmetic throughout: revenue must be right to the cent
        cast(case
            when status = 'trialing' or amount = 0 then 0
            else amount * (100 - coalesce(discount_pct, 0)) / 100
                / (case when billing_interval = 'year' then 12 else 1 end)
        end as decimal(18, 4)) as mrr
    from known_at_as_of
)

select
    *,
    start_date <= {{ as_of_date() }}
        and (end_date is null or end_date > {{ as_of_date() }}) as is_active_at_as_of
from normalised
