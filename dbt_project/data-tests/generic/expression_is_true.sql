{#- Fails on every row where the boolean SQL expression is not true. On a column, the
    expression continues the column (e.g. ">= 0"); on a model, it stands alone. -#}
{% test expression_is_true(model, expression, column_name=none, where_clause=none) %}
select * from {{ model }}
where not coalesce(({% if column_name %}{{ column_name }} {% endif %}{{ expression }}), false)
{% if where_clause %}and ({{ where_clause }}){% endif %}
{% endtest %}
