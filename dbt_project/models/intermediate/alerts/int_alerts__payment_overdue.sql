-- Payment overdue: the account's oldest unpaid invoice is at least
-- alerts.payment_overdue.min_days_overdue past due (fct_payment_health, macro invoice_is_overdue).
-- Its due date is the subject: paying it and falling behind again later is a new alert.
select
    'payment_overdue' as rule,
    account_id,
    cast(cast(oldest_overdue_due_at as date) as {{ dbt.type_string() }}) as subject,
    cast(null as {{ dbt.type_string() }}) as owner_id,
    cast(null as {{ dbt.type_string() }}) as owner_email,
    cast(count_overdue_invoices as {{ dbt.type_string() }}) || ' invoice' || case when count_overdue_invoices > 1 then 's' else '' end
        || ' overdue (' || cast(overdue_amount as {{ dbt.type_string() }}) || '), oldest '
        || cast(max_days_overdue as {{ dbt.type_string() }}) || ' days' as title,
    {{ json_object({
        'overdue_invoices': 'count_overdue_invoices',
        'overdue_amount': 'overdue_amount',
        'days_overdue': 'max_days_overdue',
        'oldest_due_date': 'cast(cast(oldest_overdue_due_at as date) as ' ~ dbt.type_string() ~ ')',
    }) }} as details
from {{ ref('fct_payment_health') }}
where max_days_overdue >= {{ alert_setting('payment_overdue', 'min_days_overdue') }}
