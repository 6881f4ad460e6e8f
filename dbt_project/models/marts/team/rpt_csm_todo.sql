-- One row per thing a team member has to do at as_of, for the daily to-do digest: open tasks
-- (CRM and Steward's) overdue or due within 7 days, and accounts past their touchpoint cadence.
-- Alerts are not here: their state (acknowledged, snoozed) is ops.alerts after today's reconcile.
with tasks as (
    select * from {{ ref('int_tasks__all') }}
    where is_open_at_as_of and due_date <= {{ dbt.dateadd('day', 7, as_of_date()) }}
),

accounts as (
    select * from {{ ref('dim_accounts') }}
),

engagement as (
    select * from {{ ref('fct_engagement') }}
    where is_cadence_breached
),

team as (
    select * from {{ ref('dim_team') }}
),

task_items as (
    select
        'task' as item_kind,
        tasks.task_id as item_id,
        coalesce(tasks.owner_id, accounts.owner_csm_id) as owner_id,
        tasks.account_id,
        tasks.title,
        tasks.source,
        tasks.due_date,
        case when tasks.due_date < {{ as_of_date() }} then 'overdue'
             when tasks.due_date = {{ as_of_date() }} then 'due_today'
             else 'due_soon' end as status,
        {{ dbt.datediff('tasks.due_date', as_of_date(), 'day') }} as days_overdue,
        cast(null as integer) as days_since_last_touchpoint,
        cast(null as integer) as cadence_days
    from tasks
    left join accounts on tasks.account_id = accounts.account_id
),

touchpoint_items as (
    select
        'touchpoint' as item_kind,
        engagement.account_id as item_id,
        accounts.owner_csm_id as owner_id,
        engagement.account_id,
        'Get in touch with ' || accounts.account_name as title,
        'cadence' as source,
        cast(null as date) as due_date,
        'touchpoint_due' as status,
        cast(null as integer) as days_overdue,
        engagement.days_since_last_touchpoint,
        engagement.cadence_days
    from engagement
    inner join accounts on engagement.account_id = accounts.account_id
    where accounts.is_paying
),

items as (
    select * from task_items
    union all
    select * from touchpoint_items
)

select
    items.item_kind,
    items.item_id,
    items.owner_id,
    team.display_name as owner_name,
    team.email as owner_email,
    items.account_id,
    accounts.account_name,
    accounts.health_score,
    accounts.health_band,
    items.title,
    items.source,
    items.due_date,
    items.status,
    items.days_overdue,
    items.days_since_last_touchpoint,
    items.cadence_days
from items
left join team on items.owner_id = team.user_id
left join accounts on items.account_id = accounts.account_id
where items.owner_id is not null
