-- One row per account created by as_of: its invoices overdue on as_of (same rule as the
-- payment alert: macro invoice_is_overdue), their amount and age.
with accounts as (
    select * from {{ ref('stg_crm__accounts') }}
    where cast(created_at as date) <= {{ as_of_date() }}
),

invoices as (
    select * from {{ ref('stg_billing__invoices') }}
    where issued_at <= {{ as_of_date() }}
),

per_account as (
    select
        account_id,
        count(*) as count_invoices_issued,
        count(case when {{ invoice_is_overdue(as_of_date()) }} then 1 end) as count_overdue_invoices,
        sum(case when {{ invoice_is_overdue(as_of_date()) }} then amount else 0 end) as overdue_amount,
        min(case when {{ invoice_is_overdue(as_of_date()) }} then due_at end) as oldest_overdue_due_at
    from invoices
    group by account_id
)

select
    accounts.account_id,
    coalesce(per_account.count_invoices_issued, 0) as count_invoices_issued,
    coalesce(per_account.count_overdue_invoices, 0) as count_overdue_invoices,
    cast(coalesce(per_account.overdue_amount, 0) as decimal(18, 2)) as overdue_amount,
    per_account.oldest_overdue_due_at,
    coalesce({{ dbt.datediff('per_account.oldest_overdue_due_at', as_of_date(), 'day') }}, 0) as max_days_overdue,
    coalesce(per_account.count_overdue_invoices, 0) > 0 as has_overdue_invoices
from accounts
left join per_account on accounts.account_id = per_account.account_id
