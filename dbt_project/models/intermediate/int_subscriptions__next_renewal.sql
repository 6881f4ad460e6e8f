-- The next renewal on or after as_of for every subscription active at as_of, recomputed from
-- the billing renewal_date (or start_date) anchor so a backfill of a past as_of gives the
-- renewal that was upcoming then, not the one in today's export.
with subscriptions as (
    select * from {{ ref('int_subscriptions__normalised') }}
    where is_active_at_as_of
),

anchored as (
    select
        *,
        coalesce(renewal_date, start_date) as anchor_date,
        {{ dbt.datediff('coalesce(renewal_date, start_date)', as_of_date(), 'month') }} as months_from_anchor
    from subscriptions
),

-- step the anchor by whole billing intervals to the as_of month, then one more if still before
stepped as (
    select
        *,
        {{ add_months('anchor_date',
            'cast(floor(cast(months_from_anchor as double) / interval_months) as integer) * interval_months') }}
            as candidate_date
    from anchored
),

next_renewal as (
    select
        *,
        case
            -- the start date itself is not a renewal: a plan starting on as_of renews one interval on
            when candidate_date < {{ as_of_date() }} or candidate_date <= start_date
                then {{ add_months('candidate_date', 'interval_months') }}
            else candidate_date
        end as next_renewal_date
    from stepped
)

select
    subscription_id,
    account_id,
    plan,
    billing_interval,
    seats,
    mrr,
    start_date,
    end_date,
    next_renewal_date,
    {{ dbt.datediff(as_of_date(), 'next_renewal_date', 'day') }} as days_to_renewal,
    end_date is not null and end_date <= next_renewal_date as is_cancelling
from next_renewal
