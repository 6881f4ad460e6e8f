{#- One setting of an alert rule from var alert_rules (flows/config/alerts.py Alerts), e.g.
    alert_setting('health_dip', 'points'). -#}
{% macro alert_setting(rule, key) -%}
    {{ return(var('alert_rules')[rule][key]) }}
{%- endmacro %}

{#- The rule models fct_alert_candidates unions, in catalogue order. -#}
{% macro alert_rule_names() -%}
    {{ return(['health_dip', 'health_trend', 'renewal_window', 'touchpoint_trend', 'champion_lost',
               'mrr_dip', 'churn_tolerance', 'feature_dip', 'task_due', 'task_overdue',
               'csm_late_tasks', 'payment_overdue', 'churn_risk']) }}
{%- endmacro %}

{#- task_due / task_overdue: open tasks (int_tasks__all) matching `where`, one alert per owner and
    due date, so a cohort of tasks falling due together is one line in the owner's digest, not one
    alert per task. Subject `<owner_id> <due date>`; no account (a group spans accounts). A task
    without an owner is grouped under its account's CRM owner. `when_sql` renders the due date for
    the title ("due today", "overdue since 2026-11-19"), over `grouped` (owner_id, due_date). -#}
{% macro task_alert_groups(rule, where, when_sql, extra_details={}) -%}
{%- set details = {'due_date': 'cast(grouped.due_date as ' ~ dbt.type_string() ~ ')', 'count': 'count_tasks', 'tasks': 'task_list'} %}
{%- do details.update(extra_details) %}
{%- do details.update({'task_ids': 'task_ids'}) %}
with tasks as (
    select
        tasks.task_id,
        tasks.title,
        tasks.due_date,
        tasks.source,
        coalesce(tasks.owner_id, accounts.owner_csm_id) as owner_id,
        coalesce(accounts.account_name, tasks.account_id) as account_name
    from {{ ref('int_tasks__all') }} as tasks
    left join {{ ref('dim_accounts') }} as accounts on tasks.account_id = accounts.account_id
    where tasks.is_open_at_as_of and ({{ where }})
),

grouped as (
    select
        owner_id,
        due_date,
        count(*) as count_tasks,
        min(title || ' (' || coalesce(account_name, 'no account') || ')') as first_task,
        {{ string_agg_ordered("title || ' (' || coalesce(account_name, 'no account') || ')'", "'; '",
                              ['account_name', 'title', 'task_id']) }} as task_list,
        {{ list_sorted('task_id') }} as task_ids
    from tasks
    group by owner_id, due_date
),

team as (
    select * from {{ ref('stg_crm__team') }}
)

select
    '{{ rule }}' as rule,
    cast(null as {{ dbt.type_string() }}) as account_id,
    coalesce(grouped.owner_id, 'unowned') || ' ' || cast(grouped.due_date as {{ dbt.type_string() }}) as subject,
    grouped.owner_id,
    team.email as owner_email,
    case when count_tasks = 1 then 'Task ' || {{ when_sql }} || ': ' || first_task
         else cast(count_tasks as {{ dbt.type_string() }}) || ' tasks ' || {{ when_sql }} end as title,
    {{ json_object(details) }} as details
from grouped
left join team on grouped.owner_id = team.user_id
{%- endmacro %}
