-- Dense account x day spine behind every daily health window: each account that pays on some
-- day of the history, every day from the spine start (90 days before the history) to as_of,
-- with whether it is a paying customer that day and the seats it has purchased.
-- Incremental like the daily health models (macro health_recompute_scope): a run writes the
-- accounts it recomputes from 90 days before their first recomputed day.
{{ health_incremental_config() }}

with {{ health_recompute_scope(keep_from=health_spine_start()) }},

days as (
    {{ date_spine('day', health_spine_start(), as_of_date()) }}
),

-- an account recomputed from the history start gets its whole spine, the others the new days
scoped_days as (
    select scope.account_id, days.date_day
    from scope
    inner join days
        on days.date_day >= case when scope.compute_from = {{ health_history_start() }}
                                 then scope.spine_start else scope.compute_from end
),

coverage as (
    select
        scoped_days.account_id,
        scoped_days.date_day,
        sum(health_paid_subscriptions.seats) as seats
    from scoped_days
    inner join health_paid_subscriptions
        on scoped_days.account_id = health_paid_subscriptions.account_id
        and scoped_days.date_day >= health_paid_subscriptions.start_date
        and (health_paid_subscriptions.end_date is null
             or scoped_days.date_day < health_paid_subscriptions.end_date)
    group by scoped_days.account_id, scoped_days.date_day
),

account_days as (
    select
        scoped_days.account_id,
        scoped_days.date_day,
        coalesce(coverage.seats, 0) as seats,
        coverage.account_id is not null as is_customer,
        account_hashes.account_hash as _account_hash
    from scoped_days
    inner join account_hashes on scoped_days.account_id = account_hashes.account_id
    left join coverage
        on scoped_days.account_id = coverage.account_id
        and scoped_days.date_day = coverage.date_day
)

{{ health_rows('account_days') }}
