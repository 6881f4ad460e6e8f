{#- First day of daily health history and the first day of the dense spine behind it
    (90 days earlier, so 30-day, prior-30-day and 90-day windows are full on the first day). -#}
{% macro health_history_start() -%}
    cast({{ dbt.dateadd('day', 1 - var('health_history_days') | int, as_of_date()) }} as date)
{%- endmacro %}

{% macro health_spine_start() -%}
    cast({{ dbt.dateadd('day', -89 - var('health_history_days') | int, as_of_date()) }} as date)
{%- endmacro %}

{#- SQL list literal of strings, e.g. ('api', 'workflows'). -#}
{% macro sql_list(values) -%}
    ({% for v in values %}'{{ v }}'{% if not loop.last %}, {% endif %}{% endfor %})
{%- endmacro %}
