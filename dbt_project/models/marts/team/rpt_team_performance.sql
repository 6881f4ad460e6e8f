-- One row per active team member who owns accounts or tasks (CS leaders excluded): the weekly
-- team report's leaderboard. Book of business and health mix at as_of, tasks done in the last
-- complete week (and the week before, and a year earlier), deadlines kept (the same int_tasks__deadlines_by_owner the csm_late_tasks
-- alert reads), alerts resolved, and retention of the book in the last complete month.
with team as (
    select * from {{ ref('dim_team') }}
    where is_active and role <> 'csl'
),

accounts as (
    select * from {{ ref('dim_accounts') }}
    where is_paying
),

deadlines as (
    select * from {{ ref('int_tasks__deadlines_by_owner') }}
),

retention as (
    select * from {{ ref('rpt_revenue_retention') }}
    where slice = 'owner_csm'
        and month = cast({{ dbt.dateadd('month', -1, dbt.date_trunc('month', as_of_date())) }} as date)
),

alerts as (
    select * from {{ ref('stg_ops__alerts') }}
),

books as (
    select
        owner_csm_id as user_id,
        count(*) as count_accounts,
        sum(current_arr) as total_arr,
        count(case when health_band = 'red' then 1 end) as count_red_accounts,
        count(case when health_band = 'amber' then 1 end) as count_amber_accounts,
        count(case when health_band = 'green' then 1 end) as count_green_accounts,
        -- no band yet: no health data, or too little known or too new to judge (insufficient_data)
        count(case when health_band is null or health_band = 'insufficient_data' then 1 end) as count_accounts_without_health
    from accounts
    group by owner_csm_id
),

-- resolved in the last complete Monday-to-Sunday week (earlier runs' state: it is before as_of)
resolved as (
    select owner_id as user_id, count(*) as count_alerts_resolved_week
    from alerts
    where resolved_as_of >= cast({{ dbt.dateadd('day', -7, dbt.date_trunc('week', as_of_date())) }} as date)
        and resolved_as_of < cast({{ dbt.date_trunc('week', as_of_date()) }} as date)
    group by owner_id
)

select
    team.user_id,
    team.display_name as member_name,
    team.email,
    team.role,
    coalesce(books.count_accounts, 0) as count_accounts,
    coalesce(books.total_arr, 0) as total_arr,
    coalesce(books.count_red_accounts, 0) as count_red_accounts,
    coalesce(books.count_amber_accounts, 0) as count_amber_accounts,
    coalesce(books.count_green_accounts, 0) as count_green_accounts,
    coalesce(books.count_accounts_without_health, 0) as count_accounts_without_health,
    coalesce(deadlines.count_tasks_completed_week, 0) as count_tasks_completed_week,
    coalesce(deadlines.count_tasks_on_time_week, 0) as count_tasks_on_time_week,
    coalesce(deadlines.count_tasks_completed_prior_week, 0) as count_tasks_completed_prior_week,
    coalesce(deadlines.count_tasks_completed_year_ago_week, 0) as count_tasks_completed_year_ago_week,
    coalesce(deadlines.count_tasks_overdue, 0) as count_tasks_overdue,
    coalesce(deadlines.count_tasks_due_7d, 0) as count_tasks_due_7d,
    coalesce(deadlines.count_tasks_due_window, 0) as count_tasks_due_window,
    coalesce(deadlines.count_tasks_late_window, 0) as count_tasks_late_window,
    coalesce(deadlines.is_missing_deadlines, false) as is_missing_deadlines,
    coalesce(resolved.count_alerts_resolved_week, 0) as count_alerts_resolved_week,
    retention.month as retention_month,
    retention.monthly_nrr,
    retention.t12_nrr,
    retention.logo_churn_rate,
    retention.revenue_churn_rate
from team
left join books on team.user_id = books.user_id
left join deadlines on team.user_id = deadlines.owner_id
left join resolved on team.user_id = resolved.user_id
left join retention on team.user_id = retention.slice_value
where books.user_id is not null or deadlines.owner_id is not null or team.role = 'csm'
