{#- Like relationships, but only when the referenced table has rows: an id pointing into an
    optional table the landing did not provide (owner_csm_id without a team table) is
    information, not an error. When the table is there, every id must resolve. -#}
{% test relationships_if_present(model, column_name, to, field) %}
select child.{{ column_name }}
from {{ model }} as child
where child.{{ column_name }} is not null
    and exists (select 1 from {{ to }})
    and not exists (select 1 from {{ to }} as parent where parent.{{ field }} = child.{{ column_name }})
{% endtest %}
