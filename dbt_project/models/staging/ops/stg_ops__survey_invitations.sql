-- Survey invitations sent on or before as_of: the one place that applies `sent_as_of <= as_of`
-- (an invitation a later day sent does not exist yet for this as_of, e.g. in a backfill).
-- The token (the response link's secret) is deliberately not selected.
select
    invitation_id,
    survey,
    kind,
    contact_id,
    account_id,
    email,
    period,
    scale_min,
    scale_max,
    sent_as_of,
    reason,
    message_key,
    response_id,
    responded_at,
    score,
    shadow,
    created_at
from {{ source('ops', 'survey_invitations') }}
where sent_as_of <= {{ as_of_date() }}
