-- Point-in-time model features: one row per paying account and scoring date (every Monday of the
-- health history, plus as_of itself). Every value is what was known on the scoring date: daily
-- health, usage and signal rows of that day or earlier, and the subscriptions that had started by
-- then (their end_date is read only to ask "still active on that day?"). Nothing reads a later
-- row, so the features of a past date never change when later data lands (tests/integration/
-- test_model.py checks it against a landing folder cut at that date). Absent signals stay null.
with health as (
    select * from {{ ref('fct_account_health_daily') }}
),

usage as (
    select * from {{ ref('fct_account_usage_daily') }}
),

signals as (
    select * from {{ ref('int_health__signals_daily') }}
),

paid_subscriptions as (
    select * from {{ ref('int_subscriptions__normalised') }}
    where mrr > 0
),

scoring_days as (
    select *
    from health
    where health_date <= {{ as_of_date() }}
        and ({{ dbt.datediff("cast('2000-01-03' as date)", 'health_date', 'day') }} % 7 = 0
             or health_date = {{ as_of_date() }})
),

-- the days the features read: scoring dates and 60 / 90 days before them (a semi-join keeps the
-- daily tables' joins small)
read_days as (
    select distinct health_date as day from scoring_days
    union
    select distinct cast({{ dbt.dateadd('day', -60, 'health_date') }} as date) from scoring_days
    union
    select distinct cast({{ dbt.dateadd('day', -90, 'health_date') }} as date) from scoring_days
),

health_read as (
    select * from health where health_date in (select day from read_days)
),

usage_read as (
    select * from usage where date_day in (select day from read_days)
),

signals_read as (
    select * from signals where date_day in (select day from read_days)
),

-- the subscriptions active on each scoring date, with the term count k since the row started
active_rows as (
    select
        scoring_days.account_id,
        scoring_days.health_date as scoring_date,
        paid_subscriptions.mrr,
        paid_subscriptions.billing_interval,
        paid_subscriptions.start_date,
        paid_subscriptions.interval_months,
        floor({{ dbt.datediff('paid_subscriptions.start_date', 'scoring_days.health_date', 'month') }}
              / paid_subscriptions.interval_months) * paid_subscriptions.interval_months as k_months
    from scoring_days
    inner join paid_subscriptions
        on scoring_days.account_id = paid_subscriptions.account_id
        and paid_subscriptions.start_date <= scoring_days.health_date
        and (paid_subscriptions.end_date is null or paid_subscriptions.end_date > scoring_days.health_date)
),

-- MRR, plan interval and the next renewal (the row's next anniversary after the scoring date: a
-- change restarts the term; the exported renewal_date is the one after the export, not after then)
subscription_state as (
    select
        account_id,
        scoring_date,
        sum(mrr) as mrr,
        max(case when billing_interval = 'year' then 1 else 0 end) as is_annual,
        max(start_date) as latest_subscription_start,
        min(case
            when {{ dbt.dateadd('month', 'k_months', 'start_date') }} > scoring_date
                then cast({{ dbt.dateadd('month', 'k_months', 'start_date') }} as date)
            else cast({{ dbt.dateadd('month', 'k_months + interval_months', 'start_date') }} as date)
        end) as next_renewal_date
    from active_rows
    group by 1, 2
),

mrr_90d_ago as (
    select
        scoring_days.account_id,
        scoring_days.health_date as scoring_date,
        min(paid_subscriptions.start_date) as first_paid_date,
        sum(case
            when paid_subscriptions.start_date <= {{ dbt.dateadd('day', -90, 'scoring_days.health_date') }}
                and (paid_subscriptions.end_date is null
                     or paid_subscriptions.end_date > {{ dbt.dateadd('day', -90, 'scoring_days.health_date') }})
                then paid_subscriptions.mrr else 0 end) as mrr_90d_ago
    from scoring_days
    inner join paid_subscriptions
        on scoring_days.account_id = paid_subscriptions.account_id
        and paid_subscriptions.start_date <= scoring_days.health_date
    group by 1, 2
),

features as (
    select
        today.account_id,
        today.health_date as scoring_date,
        today.segment,
        -- health (components are null when skipped or unknown)
        today.health_score,
        today.usage_depth_score,
        today.usage_breadth_score,
        today.sticky_features_score,
        today.usage_trend_score,
        today.engagement_recency_score,
        today.support_score,
        today.sentiment_score,
        today.payment_health_score,
        today.champion_score,
        today.health_change_7d,
        today.health_change_30d,
        today.health_score - quarter_ago.health_score as health_change_90d,
        -- usage level and trend, seats and utilisation
        usage.seats,
        usage.utilisation,
        usage.active_users_30d,
        usage.breadth as feature_breadth,
        usage.sticky_adoption,
        usage.events_30d,
        case when usage.events_prior_30d > 0
            then usage.events_30d * 1.0 / usage.events_prior_30d - 1 end as usage_change_30d,
        case when usage_60d_ago.events_30d > 0
            then usage.events_30d * 1.0 / usage_60d_ago.events_30d - 1 end as usage_change_90d,
        case when usage_90d_ago.seats > 0
            then usage.seats * 1.0 / usage_90d_ago.seats - 1 end as seats_change_90d,
        -- tenure, MRR and its movement, renewal distance
        {{ dbt.datediff('mrr_90d_ago.first_paid_date', 'today.health_date', 'day') }} as tenure_days,
        cast(subscription_state.mrr as double) as mrr,
        case when mrr_90d_ago.first_paid_date <= {{ dbt.dateadd('day', -90, 'today.health_date') }}
            and mrr_90d_ago.mrr_90d_ago > 0
            then cast(subscription_state.mrr / mrr_90d_ago.mrr_90d_ago - 1 as double) end as mrr_change_90d,
        subscription_state.is_annual,
        {{ dbt.datediff('today.health_date', 'subscription_state.next_renewal_date', 'day') }} as days_to_renewal,
        -- tickets, NPS, touchpoints, champion, payments
        signals.ticket_load_30d,
        signals.open_high_tickets,
        signals.last_nps_score,
        {{ dbt.datediff('signals.last_nps_date', 'today.health_date', 'day') }} as days_since_nps,
        signals.days_since_touch,
        signals.touch_sentiment_90d,
        case signals.champion_status when 'present' then 1 when 'lost' then 0 end as has_champion,
        case when signals.champion_status = 'lost' then 1 when signals.champion_status is not null then 0 end
            as champion_lost,
        signals.overdue_invoices,
        signals.max_days_overdue,
        {% for seg in var('health_cadence_days') %}
        case when today.segment = '{{ seg }}' then 1 else 0 end as is_{{ seg }},
        {% endfor %}
        -- the latest dated input behind the row: the no-lookahead data test reads these
        signals.last_touch_date,
        signals.last_nps_date,
        subscription_state.latest_subscription_start
    from scoring_days as today
    inner join subscription_state
        on today.account_id = subscription_state.account_id
        and today.health_date = subscription_state.scoring_date
    inner join mrr_90d_ago
        on today.account_id = mrr_90d_ago.account_id
        and today.health_date = mrr_90d_ago.scoring_date
    left join health_read as quarter_ago
        on today.account_id = quarter_ago.account_id
        and quarter_ago.health_date = {{ dbt.dateadd('day', -90, 'today.health_date') }}
    left join usage_read as usage
        on today.account_id = usage.account_id and today.health_date = usage.date_day
    left join usage_read as usage_60d_ago
        on today.account_id = usage_60d_ago.account_id
        and usage_60d_ago.date_day = {{ dbt.dateadd('day', -60, 'today.health_date') }}
    left join usage_read as usage_90d_ago
        on today.account_id = usage_90d_ago.account_id
        and usage_90d_ago.date_day = {{ dbt.dateadd('day', -90, 'today.health_date') }}
    left join signals_read as signals
        on today.account_id = signals.account_id and today.health_date = signals.date_day
)

select * from features
