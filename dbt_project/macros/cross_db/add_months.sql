{#- date + n calendar months, clamped to month end (Jan 31 + 1 month = Feb 28/29). -#}
{% macro add_months(date_expr, months_expr) -%}
    {{ return(adapter.dispatch('add_months', 'steward')(date_expr, months_expr)) }}
{%- endmacro %}

{% macro default__add_months(date_expr, months_expr) -%}
    cast({{ dbt.dateadd('month', months_expr, date_expr) }} as date)
{%- endmacro %}

{% macro duckdb__add_months(date_expr, months_expr) -%}
    cast({{ date_expr }} + to_months(cast({{ months_expr }} as integer)) as date)
{%- endmacro %}
