{#- A JSON object string from key -> SQL expression pairs: json_object({'arr': 'arr', ...}).
    Used for rule-specific alert details so every rule fits one candidates table. -#}
{% macro json_object(pairs) -%}
    {{ return(adapter.dispatch('json_object', 'steward')(pairs)) }}
{%- endmacro %}

{% macro duckdb__json_object(pairs) -%}
    cast(json_object(
        {%- for key, expr in pairs.items() %}'{{ key }}', {{ expr }}{% if not loop.last %}, {% endif %}{% endfor -%}
    ) as {{ dbt.type_string() }})
{%- endmacro %}

{% macro postgres__json_object(pairs) -%}
    cast(json_build_object(
        {%- for key, expr in pairs.items() %}'{{ key }}', {{ expr }}{% if not loop.last %}, {% endif %}{% endfor -%}
    ) as {{ dbt.type_string() }})
{%- endmacro %}

{% macro spark__json_object(pairs) -%}
    {#- to_json drops null fields unless told: keep them, as DuckDB's json_object does -#}
    to_json(named_struct(
        {%- for key, expr in pairs.items() %}'{{ key }}', {{ expr }}{% if not loop.last %}, {% endif %}{% endfor -%}
    ), map('ignoreNullFields', 'false'))
{%- endmacro %}
