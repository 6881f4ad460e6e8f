-- Dense account x day spine behind every daily health window: each account that pays on some
-- day of the history, every day from the spine start (90 days before the history) to as_of,
-- with whether it is a paying customer that day and the seats it has purchased.
{{ config(materialized='table') }}

with subscriptions as (
    select * from {{ ref('int_subscriptions__normalised') }}
),

days as (
    {{ date_spine('day', health_spine_start(), as_of_date()) }}
),

paid as (
    select account_id, start_date, end_date, seats
    from subscriptions
    where mrr > 0
),

accounts_in_history as (
    select distinct account_id
    from paid
    where end_date is null or end_date > {{ health_history_start() }}
),

coverage as (
    select
        paid.account_id,
        days.date_day,
        sum(paid.seats) as seats
    from paid
    inner join days
        on days.date_day >= paid.start_date
        and (paid.end_date is null or days.date_day < paid.end_date)
    group by paid.account_id, days.date_day
)

select
    accounts_in_history.account_id,
    days.date_day,
    coalesce(coverage.seats, 0) as seats,
    coverage.account_id is not null as is_customer,
    days.date_day >= {{ health_history_start() }} as is_in_history
from accounts_in_history
cross join days
left join coverage
    on accounts_in_history.account_id = coverage.account_id
    and days.date_day = coverage.date_day
