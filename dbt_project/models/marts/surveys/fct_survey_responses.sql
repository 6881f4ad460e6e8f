-- One row per survey answer received by as_of (landed or imported), with the invitation it
-- answers if any: survey_name is the invitation's survey (nps, onboarding or an ad-hoc name),
-- else the landed survey value. A view, like fct_survey_invitations.
{{ config(materialized='view') }}
with responses as (
    select * from {{ ref('stg_surveys__survey_responses') }}
    where cast(responded_at as date) <= {{ as_of_date() }}
),

matches as (
    select * from {{ ref('int_surveys__matches') }}
),

invitations as (
    select invitation_id, survey, sent_as_of from {{ ref('stg_ops__survey_invitations') }}
)

select
    responses.response_id,
    responses.account_id,
    responses.contact_id,
    responses.survey as kind,
    coalesce(invitations.survey, responses.survey) as survey_name,
    responses.score,
    responses.comment,
    responses.responded_at,
    {{ dbt.date_trunc('month', 'responses.responded_at') }} as response_month,
    matches.invitation_id,
    matches.invitation_id is not null as is_invited,
    case
        when responses.survey <> 'nps' then null
        when responses.score >= 9 then 'promoter'
        when responses.score >= 7 then 'passive'
        else 'detractor'
    end as nps_category
from responses
left join matches on responses.response_id = matches.response_id
left join invitations on matches.invitation_id = invitations.invitation_id
