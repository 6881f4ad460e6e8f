-- Daily health history: per paying account and day, each component 0-100, the weighted total
-- (renormalised over the components with a score), the band, the change vs 7 and 30 days ago
-- and which component moved most over 7 days. Every value on a day uses only facts known by
-- that day, so a backfill of a past as_of reproduces the rows a daily run wrote for it.
-- Incremental: a run writes only the accounts and days macro health_recompute_scope selects,
-- reading scores from 30 days before them for the changes, and the days whose 7- or 30-day
-- comparison left the history when its start moved on.
{{ health_incremental_config(day_column='health_date') }}
-- depends_on: {{ ref('int_health__input_facts') }}
-- depends_on: {{ ref('int_subscriptions__normalised') }}
-- depends_on: {{ ref('int_usage__feature_day_loads') }}
-- depends_on: {{ ref('int_health__components') }}

{%- set comps = health_components() %}

with scores as (
    select * from {{ ref('int_health__component_scores_daily') }}
),

{% if is_incremental() %}
health_components_now as (
    select * from {{ ref('int_health__components') }}
),

{{ health_recompute_scope(usage=true, dated=true, components_cte='health_components_now', day_column='health_date') }},

-- when the history start moves on, rows whose day 7 or 30 days earlier just left the history
-- lose that comparison: the days [old start + 7, start + 7) and [old start + 30, start + 30)
history_move as (
    select min(health_date) as old_start from prior_rows
),

scoped_scores as (
    select
        scores.*,
        scope.compute_from,
        (scores.date_day >= {{ dbt.dateadd('day', 7, 'history_move.old_start') }}
            and scores.date_day < {{ dbt.dateadd('day', 7, health_history_start()) }})
        or (scores.date_day >= {{ dbt.dateadd('day', 30, 'history_move.old_start') }}
            and scores.date_day < {{ dbt.dateadd('day', 30, health_history_start()) }}) as lost_comparison
    from scores
    inner join scope on scores.account_id = scope.account_id
    cross join history_move
    where scores.date_day >= cast({{ dbt.dateadd('day', -30, 'scope.compute_from') }} as date)
        or scores.date_day < cast({{ dbt.dateadd('day', 30, health_history_start()) }} as date)
),
{% else %}
scoped_scores as (
    select scores.*, {{ health_history_start() }} as compute_from, false as lost_comparison
    from scores
),
{% endif %}

totals as (
    select
        *,
        -- each weighted term a double, added in component order and rounded once, the same way on
        -- both engines (in decimal arithmetic Spark and DuckDB kept different scales: 0.0001 apart)
        {{ round_double(
            "(" ~ health_terms(comps) ~ ") / nullif(" ~ health_known_weight(comps) ~ ", 0)", 4) }} as health_score,
        -- the share of the configured weight with a score for this account and day
        -- (double on both engines: Spark would keep a decimal quotient at a scale of its own)
        {{ health_known_weight(comps) }} / cast({{ health_weight_total() }} as double) as known_weight_share,
        concat_ws(','{% for c in comps %}, case when {{ c }}_score is not null then '{{ c }}' end{% endfor %})
            as components_used
    from scoped_scores
),

-- the first paid day of each account: fewer than health.min_history_days of paying is too
-- little history for a band (a brand-new account is never red on day one)
paid_since as (
    select account_id, min(start_date) as first_paid_date
    from {{ ref('int_subscriptions__normalised') }}
    where mrr > 0
    group by account_id
),

compared as (
    select
        today.*,
        {{ dbt.datediff('paid_since.first_paid_date', 'today.date_day', 'day') }} as days_paid,
        week_ago.health_score as health_score_7d_ago,
        month_ago.health_score as health_score_30d_ago,
        {% for c in comps %}
        {{ health_weight(c) }} * abs(coalesce(today.{{ c }}_score - week_ago.{{ c }}_score, 0)) as move_{{ c }}{{ "," if not loop.last }}
        {% endfor %}
    from totals as today
    left join paid_since on today.account_id = paid_since.account_id
    left join totals as week_ago
        on today.account_id = week_ago.account_id
        and week_ago.date_day = {{ dbt.dateadd('day', -7, 'today.date_day') }}
    left join totals as month_ago
        on today.account_id = month_ago.account_id
        and month_ago.date_day = {{ dbt.dateadd('day', -30, 'today.date_day') }}
    where today.date_day >= today.compute_from or today.lost_comparison
),

final as (
    select
        account_id,
        date_day as health_date,
        segment,
        utilisation,
        {% for c in comps %}{{ c }}_score,
        {% endfor %}
        health_score,
        components_used,
        {{ round_double('known_weight_share', 4) }} as known_weight_share,
        case
            -- unknown is not zero: too few components with data, or too little history, withholds the band
            when health_score is null then 'insufficient_data'
            when known_weight_share < {{ var('health_min_known_weight') }} then 'insufficient_data'
            when days_paid < {{ var('health_min_history_days') }} then 'insufficient_data'
            when health_score < {{ var('health_red_below') }} then 'red'
            when health_score < {{ var('health_green_from') }} then 'amber'
            else 'green'
        end as health_band,
        health_score - health_score_7d_ago as health_change_7d,
        health_score - health_score_30d_ago as health_change_30d,
        case
            when greatest({% for c in comps %}move_{{ c }}{{ ", " if not loop.last }}{% endfor %}) = 0 then null
            {% for c in comps %}
            when move_{{ c }} = greatest({% for d in comps %}move_{{ d }}{{ ", " if not loop.last }}{% endfor %}) then '{{ c }}'
            {% endfor %}
        end as top_mover_7d,
        _account_hash,
        _dated_hash,
        _usage_loaded_at
    from compared
)

{{ health_rows('final', day_column='health_date') }}
