-- One row per health component: its configured weight, the source it needs, whether that source
-- has rows, and the weight it carries after renormalising over the components with data.
-- A component whose source is empty is skipped (never faked): its scores are null everywhere.

-- usage rows per day and feature (the row count of fct_usage_daily, without reading the mart)
with usage_loads as (
    select * from {{ ref('int_usage__feature_day_loads') }}
),

sources as (
    select 'usage_depth' as component, 'usage_events' as source_table,
           (select cast(coalesce(sum(account_rows), 0) as bigint) from usage_loads) as source_rows
    -- breadth and stickiness need a configured feature the data has shown: source_rows counts
    -- the configured features ever seen (0: health.key_features are all missing from the data)
    union all select 'usage_breadth', 'usage_events (health.key_features)',
        (select count(distinct feature) from usage_loads
         where feature in {{ sql_list(var('health_key_features')) }})
    union all select 'sticky_features', 'usage_events (health.sticky_features)',
        (select count(distinct feature) from usage_loads
         where feature in {{ sql_list(var('health_sticky_features')) }})
    union all select 'usage_trend', 'usage_events', (select cast(coalesce(sum(account_rows), 0) as bigint) from usage_loads)
    union all select 'engagement_recency', 'touchpoints', (select count(*) from {{ ref('stg_crm__touchpoints') }})
    union all select 'support', 'support_tickets', (select count(*) from {{ ref('stg_support__support_tickets') }})
    union all select 'sentiment', 'survey_responses or touchpoints',
        (select count(*) from {{ ref('stg_surveys__survey_responses') }} where survey = 'nps')
        + (select count(sentiment) from {{ ref('stg_crm__touchpoints') }})
    union all select 'payment_health', 'invoices', (select count(*) from {{ ref('stg_billing__invoices') }})
    union all select 'champion', 'contacts (is_champion)',
        (select count(*) from {{ ref('stg_crm__contacts') }} where is_champion)
),

weighted as (
    select
        component,
        source_table,
        source_rows,
        case component
            {% for c in health_components() %}when '{{ c }}' then {{ health_weight(c) }}
            {% endfor %}
        end as weight,
        source_rows = 0 as is_skipped
    from sources
)

select
    component,
    source_table,
    source_rows,
    weight,
    is_skipped,
    case when is_skipped then 0
        else weight / nullif(sum(case when is_skipped then 0 else weight end) over (), 0)
    end as effective_weight
from weighted
