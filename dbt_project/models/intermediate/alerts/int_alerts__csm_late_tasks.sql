-- A CSM constantly missing task deadlines: of the tasks due in the last
-- alerts.csm_late_tasks.window_days (at least min_tasks), the share finished after the due date
-- or still open past it is at least late_share (int_tasks__deadlines_by_owner, which the team
-- leaderboard reads too). One alert per CSM while it holds; to the CS leader.
with deadlines as (
    select * from {{ ref('int_tasks__deadlines_by_owner') }}
    where is_missing_deadlines
),

team as (
    select * from {{ ref('stg_crm__team') }}
)

select
    'csm_late_tasks' as rule,
    cast(null as {{ dbt.type_string() }}) as account_id,
    deadlines.owner_id as subject,
    deadlines.owner_id,
    team.email as owner_email,
    coalesce(team.name, deadlines.owner_id) || ' missed ' || cast(count_tasks_late_window as {{ dbt.type_string() }}) || ' of '
        || cast(count_tasks_due_window as {{ dbt.type_string() }}) || ' task deadlines in the last '
        || '{{ alert_setting("csm_late_tasks", "window_days") }} days' as title,
    {{ json_object({
        'csm': 'coalesce(team.name, deadlines.owner_id)',
        'tasks_due': 'count_tasks_due_window',
        'late_or_open': 'count_tasks_late_window',
        'late_pct': 'round(100.0 * count_tasks_late_window / count_tasks_due_window, 1)',
        'window_days': alert_setting('csm_late_tasks', 'window_days'),
    }) }} as details
from deadlines
left join team on deadlines.owner_id = team.user_id
