-- One row per survey invitation sent by as_of, with its answer once one is matched
-- (int_surveys__matches). A view over ops.survey_invitations, so it includes invitations
-- created after the last build. The token (the link's secret) is not selected.
{{ config(materialized='view') }}
with invitations as (
    select * from {{ ref('stg_ops__survey_invitations') }}
),

matches as (
    select * from {{ ref('int_surveys__matches') }}
),

responses as (
    select response_id, score, comment from {{ ref('stg_surveys__survey_responses') }}
)

select
    invitations.invitation_id,
    invitations.survey,
    invitations.kind,
    invitations.contact_id,
    invitations.account_id,
    invitations.sent_as_of,
    {{ dbt.date_trunc('month', 'invitations.sent_as_of') }} as sent_month,
    invitations.reason,
    invitations.scale_min,
    invitations.scale_max,
    matches.response_id,
    matches.responded_at,
    matches.is_token_match,
    responses.score,
    responses.comment,
    matches.response_id is not null as is_answered,
    {{ dbt.datediff('invitations.sent_as_of', 'cast(matches.responded_at as date)', 'day') }} as days_to_answer,
    case
        when invitations.kind <> 'nps' or responses.score is null then null
        when responses.score >= 9 then 'promoter'
        when responses.score >= 7 then 'passive'
        else 'detractor'
    end as nps_category
from invitations
left join matches on invitations.invitation_id = matches.invitation_id
left join responses on matches.response_id = responses.response_id
