{#- The health components in display order (flows/config/health.py HEALTH_COMPONENTS). -#}
{% macro health_components() -%}
    {{ return(['usage_depth', 'usage_breadth', 'sticky_features', 'usage_trend', 'engagement_recency',
               'support', 'sentiment', 'payment_health', 'champion']) }}
{%- endmacro %}

{#- A component's configured weight (0 when absent from config). -#}
{% macro health_weight(component) -%}
    {{ return(var('health_weights').get(component, 0) | float) }}
{%- endmacro %}

{#- The sum of the configured weights of every component (> 0, checked by config). -#}
{% macro health_weight_total() -%}
    {%- set ns = namespace(total=0) -%}
    {%- for c in health_components() -%}{%- set ns.total = ns.total + health_weight(c) -%}{%- endfor -%}
    {{ return(ns.total) }}
{%- endmacro %}

{#- A double rounded to `places` decimals, half away from zero, with the same result on every
    engine: DuckDB's round(double, n) scales by 10^n in floating point while Spark's rounds the
    double's decimal text, and near a half they differ in the last digit. Scaling here and rounding
    to a whole number agrees on both (DuckDB's own rounding was already exactly this). -#}
{% macro round_double(expr, places) -%}
    (round(cast({{ expr }} as double) * cast({{ 10 ** places }} as double)) / cast({{ 10 ** places }} as double))
{%- endmacro %}

{#- The weighted sum of the scored components, each term a double, in component order. -#}
{% macro health_terms(comps) -%}
    {%- for c in comps %}coalesce(cast({{ health_weight(c) }} as double) * cast({{ c }}_score as double), cast(0 as double)){{ " + " if not loop.last }}{% endfor -%}
{%- endmacro %}

{#- The configured weight of the components with a score, as a double. -#}
{% macro health_known_weight(comps) -%}
    ({%- for c in comps %}case when {{ c }}_score is null then cast(0 as double) else cast({{ health_weight(c) }} as double) end{{ " + " if not loop.last }}{% endfor -%})
{%- endmacro %}
