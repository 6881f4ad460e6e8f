-- Who holds which account in which role, over time (forward-only history).
select
    account_id,
    role,
    user_id,
    assigned_as_of,
    released_as_of,
    reason,
    release_reason,
    created_at
from {{ source('ops', 'assignments') }}
