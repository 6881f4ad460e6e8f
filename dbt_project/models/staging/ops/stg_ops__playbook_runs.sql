-- Playbook runs and held-out episodes as the playbook reconciler left them.
select
    run_id,
    playbook,
    account_id,
    episode_start,
    episode_ended_as_of,
    status,
    trigger_reason,
    owner_id,
    segment,
    health_at_start,
    closed_as_of,
    close_reason,
    shadow,
    created_at
from {{ source('ops', 'playbook_runs') }}
