-- Task overdue: an open task whose due date has passed, for up to alerts.task_overdue.max_age_days
-- (older ones are left to the CSM-late-tasks rule and the to-do digest). Goes to the task's owner.
with tasks as (
    select * from {{ ref('int_tasks__all') }}
),

team as (
    select * from {{ ref('stg_crm__team') }}
)

select
    'task_overdue' as rule,
    tasks.account_id,
    tasks.task_id as subject,
    tasks.owner_id,
    team.email as owner_email,
    'Task overdue since ' || cast(tasks.due_date as varchar) || ': ' || tasks.title as title,
    {{ json_object({
        'task_id': 'tasks.task_id',
        'task': 'tasks.title',
        'due_date': 'cast(tasks.due_date as varchar)',
        'days_overdue': dbt.datediff('tasks.due_date', as_of_date(), 'day'),
        'source': 'tasks.source',
    }) }} as details
from tasks
left join team on tasks.owner_id = team.user_id
where tasks.is_open_at_as_of
    and tasks.due_date < {{ as_of_date() }}
    and tasks.due_date >= {{ dbt.dateadd('day', -alert_setting('task_overdue', 'max_age_days'), as_of_date()) }}
