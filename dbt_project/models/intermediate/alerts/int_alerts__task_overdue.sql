-- Tasks overdue: open tasks whose due date has passed, for up to alerts.task_overdue.max_age_days
-- (older ones are left to the CSM-late-tasks rule and the to-do digest), one alert per owner and
-- due date (macro task_alert_groups). Goes to the task owner.
{{ task_alert_groups(
    'task_overdue',
    where="tasks.due_date < " ~ as_of_date() ~ " and tasks.due_date >= "
          ~ dbt.dateadd('day', -alert_setting('task_overdue', 'max_age_days'), as_of_date()),
    when_sql="'overdue since ' || cast(grouped.due_date as " ~ dbt.type_string() ~ ")",
    extra_details={'days_overdue': dbt.datediff('grouped.due_date', as_of_date(), 'day')},
) }}
