-- Landed rows held out of staging because their account id resolves to no CRM account (an
-- unmatched or ambiguous billing customer, product account or support organization): one row per system and table,
-- for the run summary and `steward check` (docs/identity.md). The rule is resolved_account_id,
-- the same macro staging drops the rows with; every landed version of a row counts.
{%- set held_tables = [('billing', 'subscriptions'), ('billing', 'invoices'), ('product', 'usage_events'),
                        ('support', 'support_tickets')] %}
{% for system, table in held_tables %}
select
    '{{ system }}' as system,
    '{{ table }}' as source_table,
    count(*) as count_rows_held_out
from {{ source(system, table) }} as source
where source.account_id is not null
    and {{ resolved_account_id(system, 'cast(source.account_id as ' ~ dbt.type_string() ~ ')') }} is null
{% if not loop.last %}union all{% endif %}
{%- endfor %}
