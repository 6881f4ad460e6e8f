-- One row per CRM task (crm.tasks) with its owner's name and its state at as_of. Steward's own
-- tasks live in ops.tasks (their state changes during a run); int_tasks__all unions the two.
with tasks as (
    select * from {{ ref('stg_crm__tasks') }}
),

team as (
    select * from {{ ref('dim_team') }}
)

select
    tasks.task_id,
    tasks.account_id,
    tasks.owner_id,
    team.display_name as owner_name,
    tasks.title,
    cast(tasks.due_at as date) as due_date,
    cast(tasks.completed_at as date) as completed_date,
    -- a task finished after as_of was still open on as_of
    tasks.completed_at is null or cast(tasks.completed_at as date) > {{ as_of_date() }} as is_open_at_as_of
from tasks
left join team on tasks.owner_id = team.user_id
