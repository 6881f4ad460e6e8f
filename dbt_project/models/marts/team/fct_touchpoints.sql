-- One row per CRM touchpoint up to as_of, with the team member's name: what an account page and
-- `steward serve` show, read from the analyst copy (which holds marts, never staging).
with touchpoints as (
    select * from {{ ref('stg_crm__touchpoints') }}
),

team as (
    select * from {{ ref('dim_team') }}
)

select
    touchpoints.touchpoint_id,
    touchpoints.account_id,
    touchpoints.user_id,
    team.display_name as user_name,
    touchpoints.occurred_at,
    touchpoints.channel,
    touchpoints.sentiment
from touchpoints
left join team on touchpoints.user_id = team.user_id
where cast(touchpoints.occurred_at as date) <= {{ as_of_date() }}
