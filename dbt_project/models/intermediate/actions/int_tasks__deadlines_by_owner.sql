-- One row per task owner: how they kept deadlines at as_of, over every task they have to do
-- (int_tasks__all: CRM and Steward's own). The csm_late_tasks alert and the team leaderboard
-- (rpt_team_performance) both read this model, so the two can never disagree.
with tasks as (
    select * from {{ ref('int_tasks__all') }}
    where owner_id is not null
),

window_tasks as (
    -- due in the last alerts.csm_late_tasks.window_days, before today
    select * from tasks
    where due_date < {{ as_of_date() }}
        and due_date >= {{ dbt.dateadd('day', -alert_setting('csm_late_tasks', 'window_days'), as_of_date()) }}
),

windowed as (
    select
        owner_id,
        count(*) as count_tasks_due_window,
        count(case when is_open_at_as_of or completed_date > due_date then 1 end) as count_tasks_late_window
    from window_tasks
    group by owner_id
),

-- the last complete Monday-to-Sunday week before as_of, the week before it, and the same week a
-- year earlier (52 weeks back): what the weekly team report compares
weeks as (
    select
        cast({{ dbt.dateadd('day', -7, dbt.date_trunc('week', as_of_date())) }} as date) as week_start,
        cast({{ dbt.dateadd('day', -1, dbt.date_trunc('week', as_of_date())) }} as date) as week_end
),

recent as (
    select
        owner_id,
        count(case when completed_date between week_start and week_end then 1 end) as count_tasks_completed_week,
        count(case when completed_date between week_start and week_end and completed_date <= due_date then 1 end)
            as count_tasks_on_time_week,
        count(case when completed_date between {{ dbt.dateadd('day', -7, 'week_start') }}
                    and {{ dbt.dateadd('day', -7, 'week_end') }} then 1 end) as count_tasks_completed_prior_week,
        count(case when completed_date between {{ dbt.dateadd('day', -364, 'week_start') }}
                    and {{ dbt.dateadd('day', -364, 'week_end') }} then 1 end) as count_tasks_completed_year_ago_week,
        count(case when is_open_at_as_of and due_date < {{ as_of_date() }} then 1 end) as count_tasks_overdue,
        count(case when is_open_at_as_of and due_date >= {{ as_of_date() }}
                    and due_date <= {{ dbt.dateadd('day', 7, as_of_date()) }} then 1 end) as count_tasks_due_7d
    from tasks
    cross join weeks
    group by owner_id
)

select
    recent.owner_id,
    recent.count_tasks_completed_week,
    recent.count_tasks_on_time_week,
    recent.count_tasks_completed_prior_week,
    recent.count_tasks_completed_year_ago_week,
    recent.count_tasks_overdue,
    recent.count_tasks_due_7d,
    coalesce(windowed.count_tasks_due_window, 0) as count_tasks_due_window,
    coalesce(windowed.count_tasks_late_window, 0) as count_tasks_late_window,
    coalesce(windowed.count_tasks_due_window, 0) >= {{ alert_setting('csm_late_tasks', 'min_tasks') }}
        and coalesce(windowed.count_tasks_late_window, 0)
            >= coalesce(windowed.count_tasks_due_window, 0) * {{ alert_setting('csm_late_tasks', 'late_share') }}
        as is_missing_deadlines
from recent
left join windowed on recent.owner_id = windowed.owner_id
