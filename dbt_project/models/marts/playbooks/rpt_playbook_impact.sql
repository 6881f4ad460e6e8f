-- Playbook impact against a control group: episodes that started at least 30 days before as_of,
-- treated (a run) vs held out (holdout_pct), per playbook: health change from the start to 30
-- days later, and the share of accounts that churned (MRR to 0) within 90 days of the start.
-- uplift = treated - held out. Small groups are noisy: read the counts first.
{{ config(materialized='view') }}
with episodes as (
    select
        run_id,
        playbook,
        account_id,
        episode_start,
        status = 'held_out' as is_held_out,
        health_at_start
    from {{ ref('stg_ops__playbook_runs') }}
    where episode_start <= {{ dbt.dateadd('day', -30, as_of_date()) }}
),

health_later as (
    select account_id, health_date, health_score
    from {{ ref('fct_account_health_daily') }}
),

churns as (
    select account_id, month as churn_month
    from {{ ref('fct_mrr') }}
    where movement = 'churn'
),

outcomes as (
    select
        episodes.playbook,
        episodes.is_held_out,
        later.health_score - episodes.health_at_start as health_change_30d,
        exists (
            select 1 from churns
            where churns.account_id = episodes.account_id
                and churns.churn_month > episodes.episode_start
                and churns.churn_month <= {{ dbt.dateadd('day', 90, 'episodes.episode_start') }}
        ) as churned_90d
    from episodes
    left join health_later as later
        on episodes.account_id = later.account_id
        and later.health_date = {{ dbt.dateadd('day', 30, 'episodes.episode_start') }}
),

grouped as (
    select
        playbook,
        count(case when not is_held_out then 1 end) as treated_episodes,
        count(case when is_held_out then 1 end) as held_out_episodes,
        avg(case when not is_held_out then health_change_30d end) as treated_health_change_30d,
        avg(case when is_held_out then health_change_30d end) as held_out_health_change_30d,
        avg(case when not is_held_out then cast(churned_90d as integer) end) as treated_churn_rate_90d,
        avg(case when is_held_out then cast(churned_90d as integer) end) as held_out_churn_rate_90d
    from outcomes
    group by playbook
)

select
    *,
    round(treated_health_change_30d - held_out_health_change_30d, 4) as health_change_uplift,
    round(held_out_churn_rate_90d - treated_churn_rate_90d, 4) as churn_rate_reduction
from grouped
