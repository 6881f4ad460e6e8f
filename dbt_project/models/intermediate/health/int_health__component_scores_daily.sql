-- Each health component as a 0-100 score per paying account and day (docs/health.md has the
-- formulas). A component skipped for lack of data (int_health__components) is null.
-- Incremental: a run scores only the accounts and days macro health_recompute_scope selects.
{{ health_incremental_config() }}
-- depends_on: {{ ref('int_health__input_facts') }}
-- depends_on: {{ ref('int_subscriptions__normalised') }}
-- depends_on: {{ ref('int_usage__feature_day_loads') }}

with usage as (
    select * from {{ ref('int_usage__account_daily') }}
),

signals as (
    select * from {{ ref('int_health__signals_daily') }}
),

components as (
    select * from {{ ref('int_health__components') }}
),

{% if is_incremental() %}
{{ health_recompute_scope(usage=true, dated=true, components_cte='components') }},
{% endif %}

skipped as (
    select
        {% for c in health_components() %}
        max(case when component = '{{ c }}' and is_skipped then 1 else 0 end) = 1 as skip_{{ c }}{{ "," if not loop.last }}
        {% endfor %}
    from components
),

raw_scores as (
    select
        usage.account_id,
        usage.date_day,
        signals.segment,
        usage.utilisation,
        -- depth: 30-day active users / seats, full marks at the configured utilisation; null
        -- (unknown, not 0) without usage with user ids for the account
        -- (least() skips nulls in some engines: a null input is kept null explicitly)
        case when usage.utilisation is not null
            then 100 * least(1.0, usage.utilisation / {{ var('health_full_utilisation') }}) end as usage_depth,
        case when usage.breadth is not null then 100 * least(1.0, usage.breadth) end as usage_breadth,
        case when usage.sticky_adoption is not null then 100 * least(1.0, usage.sticky_adoption) end as sticky_features,
        -- trend: 30-day events / prior 30 days, capped at 1 (no decline = 100); no usage in
        -- either window = 0, usage appearing from nothing = 100; an account with no usage data
        -- at all is unknown (null)
        case
            when not coalesce(usage.has_usage_data, false) then null
            when usage.events_prior_30d > 0
                then 100 * least(1.0, cast(usage.events_30d as double) / usage.events_prior_30d)
            when usage.events_30d > 0 then 100
            else 0
        end as usage_trend,
        -- recency: full marks within the agreed cadence, falling to 0 at three cadences; an account
        -- never touched has no recency to score (null: unknown, not 0)
        case
            when signals.days_since_touch is null then null
            else 100 * greatest(0.0, least(1.0,
                cast(3.0 * cadence.cadence_days - signals.days_since_touch as double) / (2.0 * cadence.cadence_days)))
        end as engagement_recency,
        -- support: 10 points per unit of 30-day ticket load (urgent 4, high 2, normal 1, low 0.5)
        -- and 20 per open high/urgent ticket
        greatest(0.0, 100 - 10 * signals.ticket_load_30d - 20 * signals.open_high_tickets) as support,
        -- sentiment: latest NPS in the last year (score x 10), else 90-day touchpoint sentiment
        case
            when signals.last_nps_date >= {{ dbt.dateadd('day', -365, 'usage.date_day') }}
                then 10 * signals.last_nps_score
            when signals.touch_sentiment_90d is not null then 50 * (signals.touch_sentiment_90d + 1)
        end as sentiment,
        -- payment: nothing overdue 100, overdue up to 30 days 50, longer 0
        case
            when signals.overdue_invoices = 0 then 100
            when signals.max_days_overdue <= 30 then 50
            else 0
        end as payment_health,
        case signals.champion_status when 'present' then 100 when 'lost' then 0 else 50 end as champion,
        usage._account_hash + {{ health_components_hash('components') }} as _account_hash,
        signals._dated_hash,
        usage._usage_loaded_at
    from usage
    inner join signals on usage.account_id = signals.account_id and usage.date_day = signals.date_day
    {% if is_incremental() %}
    inner join scope on usage.account_id = scope.account_id and usage.date_day >= scope.compute_from
    {% endif %}
    left join (
        {% for seg, days in var('health_cadence_days').items() %}
        select '{{ seg }}' as segment, {{ days }} as cadence_days{% if not loop.last %} union all{% endif %}
        {% endfor %}
    ) as cadence on signals.segment = cadence.segment
),

scored as (
    select
        raw_scores.account_id,
        raw_scores.date_day,
        raw_scores.segment,
        raw_scores.utilisation,
        {% for c in health_components() %}
        -- rounded: window sums of floats are not bit-stable across runs; 4 decimals are
        case when skipped.skip_{{ c }} then null else round(raw_scores.{{ c }}, 4) end as {{ c }}_score,
        {% endfor %}
        raw_scores._account_hash,
        raw_scores._dated_hash,
        raw_scores._usage_loaded_at
    from raw_scores
    cross join skipped
)

{{ health_rows('scored') }}
