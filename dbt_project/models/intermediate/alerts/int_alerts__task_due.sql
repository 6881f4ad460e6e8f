-- Tasks due soon: open tasks (CRM or Steward's) due today or within alerts.task_due.within_days,
-- one alert per owner and due date (macro task_alert_groups). Goes to the task owner.
{{ task_alert_groups(
    'task_due',
    where="tasks.due_date >= " ~ as_of_date() ~ " and tasks.due_date <= "
          ~ dbt.dateadd('day', alert_setting('task_due', 'within_days'), as_of_date()),
    when_sql="case when grouped.due_date = " ~ as_of_date() ~ " then 'due today' "
             ~ "else 'due on ' || cast(grouped.due_date as " ~ dbt.type_string() ~ ") end",
) }}
