-- Desired state for ops.alerts: every alert that should be open at as_of, across rules.
-- The Python reconciler opens what is new, keeps what persists and resolves what cleared.
with renewal_window as (
    select * from {{ ref('int_alerts__renewal_window') }}
),

unioned as (
    select
        rule, account_id, subject, severity, owner_id, title,
        -- routing: the owner CSM, else the configured catch-all address
        coalesce(owner_email, '{{ var("unassigned_recipient") }}') as recipient,
        {{ json_object({
            'window_days': 'window_days',
            'days_to_renewal': 'days_to_renewal',
            'renewal_date': 'cast(renewal_date as varchar)',
            'arr': 'round(arr, 2)',
            'is_cancelling': 'is_cancelling',
        }) }} as details
    from renewal_window
)

select
    {{ surrogate_key(['rule', 'account_id', 'subject']) }} as fingerprint,
    *
from unioned
