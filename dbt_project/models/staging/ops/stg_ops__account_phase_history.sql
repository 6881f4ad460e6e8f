-- Journey phase stays per account (forward-only history written by the journey reconciler).
select
    account_id,
    phase,
    entered_as_of,
    exited_as_of,
    reason,
    created_at
from {{ source('ops', 'account_phase_history') }}
