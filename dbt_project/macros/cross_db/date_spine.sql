{#- One row per `datepart` from start_date up to and including end_date (both SQL date
    expressions), in a column named date_<datepart>. -#}
{% macro date_spine(datepart, start_date, end_date) -%}
    {{ return(adapter.dispatch('date_spine', 'steward')(datepart, start_date, end_date)) }}
{%- endmacro %}

{% macro default__date_spine(datepart, start_date, end_date) -%}
    {#- A portable recursive CTE; warehouses with a generator get their own body below. -#}
    with recursive spine (date_{{ datepart }}) as (
        select {{ dbt.date_trunc(datepart, start_date) }}
        union all
        select cast({{ dbt.dateadd(datepart, 1, 'date_' ~ datepart) }} as date)
        from spine
        where {{ dbt.dateadd(datepart, 1, 'date_' ~ datepart) }} <= {{ end_date }}
    )
    select cast(date_{{ datepart }} as date) as date_{{ datepart }} from spine
{%- endmacro %}

{% macro duckdb__date_spine(datepart, start_date, end_date) -%}
    select cast(d as date) as date_{{ datepart }}
    from generate_series(
        cast({{ dbt.date_trunc(datepart, start_date) }} as timestamp),
        cast({{ end_date }} as timestamp),
        interval 1 {{ datepart }}
    ) as t(d)
{%- endmacro %}

{% macro spark__date_spine(datepart, start_date, end_date) -%}
    select explode(sequence(
        cast({{ dbt.date_trunc(datepart, start_date) }} as date),
        cast({{ end_date }} as date),
        interval 1 {{ datepart }}
    )) as date_{{ datepart }}
{%- endmacro %}
