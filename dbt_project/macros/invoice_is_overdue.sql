{#- True when an invoice is overdue on `on_date`: issued, past its due date, not paid by then,
    and not voided. One definition for payment health and the payment-overdue alert. -#}
{% macro invoice_is_overdue(on_date, alias=none) -%}
    {%- set p = (alias ~ '.') if alias else '' -%}
    ({{ p }}status <> 'void'
        and {{ p }}issued_at <= {{ on_date }}
        and {{ p }}due_at < {{ on_date }}
        and ({{ p }}paid_at is null or {{ p }}paid_at > {{ on_date }}))
{%- endmacro %}
