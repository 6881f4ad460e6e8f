-- A CSM constantly missing task deadlines: of the tasks due in the last
-- alerts.csm_late_tasks.window_days (at least min_tasks), the share finished after the due date
-- or still open past it is at least late_share. One alert per CSM while it holds; to the CS leader.
with tasks as (
    select * from {{ ref('int_tasks__all') }}
    where due_date < {{ as_of_date() }}
        and due_date >= {{ dbt.dateadd('day', -alert_setting('csm_late_tasks', 'window_days'), as_of_date()) }}
),

team as (
    select * from {{ ref('stg_crm__team') }}
),

per_owner as (
    select
        owner_id,
        count(*) as count_tasks_due,
        count(case when is_open_at_as_of or completed_date > due_date then 1 end) as count_late
    from tasks
    where owner_id is not null
    group by owner_id
)

select
    'csm_late_tasks' as rule,
    cast(null as varchar) as account_id,
    per_owner.owner_id as subject,
    per_owner.owner_id,
    team.email as owner_email,
    coalesce(team.name, per_owner.owner_id) || ' missed ' || cast(count_late as varchar) || ' of '
        || cast(count_tasks_due as varchar) || ' task deadlines in the last '
        || '{{ alert_setting("csm_late_tasks", "window_days") }} days' as title,
    {{ json_object({
        'csm': 'coalesce(team.name, per_owner.owner_id)',
        'tasks_due': 'count_tasks_due',
        'late_or_open': 'count_late',
        'late_pct': 'round(100.0 * count_late / count_tasks_due, 1)',
    }) }} as details
from per_owner
left join team on per_owner.owner_id = team.user_id
where count_tasks_due >= {{ alert_setting('csm_late_tasks', 'min_tasks') }}
    and count_late >= count_tasks_due * {{ alert_setting('csm_late_tasks', 'late_share') }}
