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
