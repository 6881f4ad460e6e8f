-- Steward's own tasks (pooled reach-outs, playbook steps) as the reconcilers left them.
select
    task_id,
    account_id,
    owner_id,
    title,
    source,
    source_ref,
    created_as_of,
    due_date,
    completed_as_of,
    status,
    shadow,
    created_at
from {{ source('ops', 'tasks') }}
