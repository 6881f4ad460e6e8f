-- One row per month from the as_of month to 12 months ahead: ARR up for renewal, how many
-- renewals, and the expected ARR weighted by the documented renewal probability.
with renewals as (
    select * from {{ ref('fct_renewals') }}
    where days_to_renewal > 0
),

months_ahead as (
    {{ date_spine('month', as_of_date(), add_months(dbt.date_trunc('month', as_of_date()), 12)) }}
),

per_month as (
    select
        {{ dbt.date_trunc('month', 'renewal_date') }} as month,
        sum(arr) as arr_up_for_renewal,
        count(*) as count_renewals,
        sum(arr * renewal_probability) as expected_arr,
        count(case when is_cancelling then 1 end) as count_cancelling
    from renewals
    group by {{ dbt.date_trunc('month', 'renewal_date') }}
)

select
    months_ahead.date_month as month,
    {{ dbt.datediff(dbt.date_trunc('month', as_of_date()), 'months_ahead.date_month', 'month') }} as months_ahead,
    cast(coalesce(per_month.arr_up_for_renewal, 0) as decimal(18, 4)) as arr_up_for_renewal,
    coalesce(per_month.count_renewals, 0) as count_renewals,
    cast(coalesce(per_month.expected_arr, 0) as decimal(18, 4)) as expected_arr,
    coalesce(per_month.count_cancelling, 0) as count_cancelling
from months_ahead
left join per_month on months_ahead.date_month = per_month.month
