{#- A JSON object string from key -> SQL expression pairs: json_object({'arr': 'arr', ...}).
    Used for rule-specific alert details so every rule fits one candidates table. -#}
{% macro json_object(pairs) -%}
    {{ return(adapter.dispatch('json_object', 'steward')(pairs)) }}
{%- endmacro %}

{% macro duckdb__json_object(pairs) -%}
    cast(json_object(
        {%- for key, expr in pairs.items() %}'{{ key }}', {{ expr }}{% if not loop.last %}, {% endif %}{% endfor -%}
    ) as varchar)
{%- endmacro %}

{% macro postgres__json_object(pairs) -%}
    cast(json_build_object(
        {%- for key, expr in pairs.items() %}'{{ key }}', {{ expr }}{% if not loop.last %}, {% endif %}{% endfor -%}
    ) as varchar)
{%- endmacro %}
