-- Task due soon: an open task (CRM or Steward's) due today or within alerts.task_due.within_days.
-- Goes to the task's owner.
with tasks as (
    select * from {{ ref('int_tasks__all') }}
),

team as (
    select * from {{ ref('stg_crm__team') }}
)

select
    'task_due' as rule,
    tasks.account_id,
    tasks.task_id as subject,
    tasks.owner_id,
    team.email as owner_email,
    'Task due ' || case when tasks.due_date = {{ as_of_date() }} then 'today'
                        else 'on ' || cast(tasks.due_date as varchar) end || ': ' || tasks.title as title,
    {{ json_object({
        'task_id': 'tasks.task_id',
        'task': 'tasks.title',
        'due_date': 'cast(tasks.due_date as varchar)',
        'source': 'tasks.source',
    }) }} as details
from tasks
left join team on tasks.owner_id = team.user_id
where tasks.is_open_at_as_of
    and tasks.due_date >= {{ as_of_date() }}
    and tasks.due_date <= {{ dbt.dateadd('day', alert_setting('task_due', 'within_days'), as_of_date()) }}
