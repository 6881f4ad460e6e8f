{#- The run's as_of date as a SQL date literal. Required: models never read the clock. -#}
{% macro as_of_date() -%}
    {%- set as_of = var('as_of', none) -%}
    {%- if as_of is none -%}
        {{ exceptions.raise_compiler_error("var 'as_of' is required, e.g. --vars '{as_of: 2026-01-31}'") }}
    {%- endif -%}
    cast('{{ as_of }}' as date)
{%- endmacro %}
