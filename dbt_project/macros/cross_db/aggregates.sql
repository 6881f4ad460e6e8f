{#- Ordered text and list aggregates: DuckDB orders inside the aggregate; Spark collects, sorts
    structs whose first fields are the sort keys, then keeps the value. -#}

{#- string_agg(expr, sep order by order_by...): order_by is a list of SQL expressions. -#}
{% macro string_agg_ordered(expr, sep, order_by, distinct=false) -%}
    {{ return(adapter.dispatch('string_agg_ordered', 'steward')(expr, sep, order_by, distinct)) }}
{%- endmacro %}

{% macro default__string_agg_ordered(expr, sep, order_by, distinct=false) -%}
    string_agg({% if distinct %}distinct {% endif %}{{ expr }}, {{ sep }} order by {{ order_by | join(', ') }})
{%- endmacro %}

{% macro spark__string_agg_ordered(expr, sep, order_by, distinct=false) -%}
    {%- if distinct -%}
    {#- distinct values sorted by themselves (callers order a distinct list by its value) -#}
    array_join(array_sort(collect_set({{ expr }})), {{ sep }})
    {%- else -%}
    array_join(transform(array_sort(collect_list(named_struct(
        {%- for o in order_by %}'k{{ loop.index }}', {{ o }}, {% endfor %}'v', {{ expr }}))), x -> x.v), {{ sep }})
    {%- endif -%}
{%- endmacro %}

{#- list(expr order by expr): the non-null values as a sorted list/array. -#}
{% macro list_sorted(expr) -%}
    {{ return(adapter.dispatch('list_sorted', 'steward')(expr)) }}
{%- endmacro %}

{% macro default__list_sorted(expr) -%}
    list({{ expr }} order by {{ expr }})
{%- endmacro %}

{% macro spark__list_sorted(expr) -%}
    array_sort(collect_list({{ expr }}))
{%- endmacro %}

{#- A date's year and month as 'YYYY-MM' text. -#}
{% macro year_month_text(date_expr) -%}
    {{ return(adapter.dispatch('year_month_text', 'steward')(date_expr)) }}
{%- endmacro %}

{% macro default__year_month_text(date_expr) -%}
    strftime({{ date_expr }}, '%Y-%m')
{%- endmacro %}

{% macro spark__year_month_text(date_expr) -%}
    date_format({{ date_expr }}, 'yyyy-MM')
{%- endmacro %}

{#- text starts with a prefix (a SQL string literal) -#}
{% macro starts_with(expr, prefix) -%}
    {{ return(adapter.dispatch('starts_with', 'steward')(expr, prefix)) }}
{%- endmacro %}

{% macro default__starts_with(expr, prefix) -%}
    starts_with({{ expr }}, {{ prefix }})
{%- endmacro %}

{% macro spark__starts_with(expr, prefix) -%}
    startswith({{ expr }}, {{ prefix }})
{%- endmacro %}
