-- Which response answers which invitation (docs: surveys). An answer imported with
-- `steward survey import` carries its invitation's id as response_id (the token link); an
-- answer landed by another tool counts for the contact's invitation of the same kind when it
-- arrived on or after the day sent, before that contact's next invitation of the kind, and
-- within surveys.response_window_days. Each invitation keeps its first answer; a token answer
-- is never also counted for another invitation.
with invitations as (
    select
        invitation_id,
        kind,
        contact_id,
        sent_as_of,
        lead(sent_as_of) over (partition by contact_id, kind order by sent_as_of, invitation_id) as next_sent_as_of
    from {{ ref('stg_ops__survey_invitations') }}
),

responses as (
    select response_id, contact_id, survey as kind, responded_at, cast(responded_at as date) as response_date
    from {{ ref('stg_surveys__survey_responses') }}
    where cast(responded_at as date) <= {{ as_of_date() }}
),

by_token as (
    select invitations.invitation_id, responses.response_id, responses.responded_at, 0 as match_rank
    from invitations
    inner join responses on responses.response_id = invitations.invitation_id
),

by_contact as (
    select invitations.invitation_id, responses.response_id, responses.responded_at, 1 as match_rank
    from invitations
    inner join responses
        on responses.contact_id = invitations.contact_id
        and responses.kind = invitations.kind
        and responses.response_date >= invitations.sent_as_of
        and (invitations.next_sent_as_of is null or responses.response_date < invitations.next_sent_as_of)
        and responses.response_date <= {{ dbt.dateadd('day', var('surveys_response_window_days'), 'invitations.sent_as_of') }}
    where responses.response_id not in (select response_id from by_token)
),

ranked as (
    select
        *,
        row_number() over (partition by invitation_id order by match_rank, responded_at, response_id) as answer_rank
    from (
        select * from by_token
        union all
        select * from by_contact
    ) as candidates
)

select invitation_id, response_id, responded_at, match_rank = 0 as is_token_match
from ranked
where answer_rank = 1
