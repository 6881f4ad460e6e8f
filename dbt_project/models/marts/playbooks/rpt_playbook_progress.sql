-- Playbook progress per playbook and slice (all, each owner CSM, each segment): runs by status,
-- tasks done and done on time, open tasks past due. A view over ops state, so it shows the
-- state the reconciler left, whenever it is queried; "past due" is judged at as_of.
{{ config(materialized='view') }}
with runs as (
    select * from {{ ref('stg_ops__playbook_runs') }}
    where status <> 'held_out'
),

tasks as (
    select source_ref as run_id, status, due_date, completed_as_of
    from {{ ref('stg_ops__tasks') }}
    where {{ starts_with('source', "'playbook:'") }}
),

per_run as (
    select
        runs.run_id,
        runs.playbook,
        runs.status,
        coalesce(runs.owner_id, 'unassigned') as owner_id,
        coalesce(runs.segment, 'unknown') as segment,
        count(tasks.run_id) as tasks,
        count(case when tasks.status = 'done' then 1 end) as tasks_done,
        count(case when tasks.status = 'done' and tasks.completed_as_of <= tasks.due_date then 1 end) as tasks_on_time,
        count(case when tasks.status = 'open' and tasks.due_date < {{ as_of_date() }} then 1 end) as tasks_overdue
    from runs
    left join tasks on runs.run_id = tasks.run_id
    group by all
),

sliced as (
    select 'all' as slice, 'all' as slice_value, * from per_run
    union all
    select 'owner_csm', owner_id, * from per_run
    union all
    select 'segment', segment, * from per_run
)

select
    playbook,
    slice,
    slice_value,
    count(*) as runs,
    count(case when status = 'active' then 1 end) as runs_active,
    count(case when status = 'completed' then 1 end) as runs_completed,
    count(case when status = 'exited' then 1 end) as runs_exited,
    count(case when status = 'expired' then 1 end) as runs_expired,
    sum(tasks) as tasks,
    sum(tasks_done) as tasks_done,
    round(sum(tasks_done) / nullif(sum(tasks), 0), 4) as share_tasks_done,
    round(sum(tasks_on_time) / nullif(sum(tasks_done), 0), 4) as share_done_on_time,
    sum(tasks_overdue) as tasks_overdue
from sliced
group by playbook, slice, slice_value
