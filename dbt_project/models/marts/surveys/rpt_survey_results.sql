-- Survey results per month and survey (docs: surveys): invitations sent that month and how many
-- of them were answered by as_of (response rate: recent months are still filling up), answers
-- received that month (invited or not), average score and, for NPS, promoters (9-10), passives
-- (7-8), detractors (0-6) and NPS = % promoters - % detractors (-100..100). A view.
{{ config(materialized='view') }}
with sent as (
    select
        cast(sent_month as date) as month,
        survey,
        count(*) as invitations_sent,
        count(case when is_answered then 1 end) as invitations_answered
    from {{ ref('fct_survey_invitations') }}
    group by 1, 2
),

answered as (
    select
        cast(response_month as date) as month,
        survey_name as survey,
        count(*) as responses,
        count(case when is_invited then 1 end) as responses_to_invitations,
        avg(score) as avg_score,
        count(case when nps_category = 'promoter' then 1 end) as promoters,
        count(case when nps_category = 'passive' then 1 end) as passives,
        count(case when nps_category = 'detractor' then 1 end) as detractors
    from {{ ref('fct_survey_responses') }}
    group by 1, 2
),

joined as (
    select
        coalesce(sent.month, answered.month) as month,
        coalesce(sent.survey, answered.survey) as survey,
        coalesce(sent.invitations_sent, 0) as invitations_sent,
        coalesce(sent.invitations_answered, 0) as invitations_answered,
        coalesce(answered.responses, 0) as responses,
        coalesce(answered.responses_to_invitations, 0) as responses_to_invitations,
        answered.avg_score,
        coalesce(answered.promoters, 0) as promoters,
        coalesce(answered.passives, 0) as passives,
        coalesce(answered.detractors, 0) as detractors
    from sent
    full outer join answered on sent.month = answered.month and sent.survey = answered.survey
)

select
    month,
    survey,
    invitations_sent,
    invitations_answered,
    round(cast(invitations_answered as double) / nullif(invitations_sent, 0), 4) as response_rate,
    responses,
    responses_to_invitations,
    round(avg_score, 2) as avg_score,
    promoters,
    passives,
    detractors,
    case when survey = 'nps' and responses > 0
        then round(100.0 * (promoters - detractors) / responses, 1) end as nps
from joined
