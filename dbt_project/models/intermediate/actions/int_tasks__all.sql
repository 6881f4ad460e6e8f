-- Every task a CSM has to do, whatever created it: CRM tasks (crm.tasks) and Steward's own
-- (ops.tasks: pooled-contact reach-outs, playbook steps), with their state at as_of.
with crm as (
    select
        task_id,
        account_id,
        owner_id,
        title,
        cast(due_at as date) as due_date,
        cast(completed_at as date) as completed_date,
        coalesce(source, 'crm') as source
    from {{ ref('stg_crm__tasks') }}
),

steward as (
    select
        task_id,
        account_id,
        owner_id,
        title,
        due_date,
        case when status = 'done' then completed_as_of end as completed_date,
        source
    from {{ ref('stg_ops__tasks') }}
    where status <> 'cancelled'
        -- a shadow run's tasks were never given to anyone: no to-do, no task alert after going live
        and not coalesce(shadow, false)
        -- only what earlier days created: the reconcilers add today's tasks after this build, and
        -- a rerun of the day must see the same state as its first run (no new alerts on a rerun)
        and created_as_of < {{ as_of_date() }}
),

unioned as (
    select * from crm
    union all
    select * from steward
)

select
    *,
    -- a task finished after as_of was still open on as_of (backfills see the past as it was)
    completed_date is null or completed_date > {{ as_of_date() }} as is_open_at_as_of
from unioned
