-- Contacts Steward may ask for feedback at as_of: one row per contact with an email who has not
-- left and not unsubscribed by as_of, at an account that exists by then, with the facts the
-- survey rules read (segment, journey phase, last invitation, last NPS answer). fct_survey_due
-- picks NPS and onboarding invitations from it; `steward survey send` filters it for ad-hoc ones.
-- Addresses on ops.suppressions are dropped when invitations are created (the delivery list).
{{ config(schema='actions') }}
with contacts as (
    -- reachability is dim_contacts' rule (left or unsubscribed by as_of), not repeated here
    select contact_id, account_id, email, contact_name as name, role, is_primary, is_champion
    from {{ ref('dim_contacts') }}
    where email is not null and is_reachable
),

accounts as (
    select account_id, account_name, segment, is_paying, journey_phase
    from {{ ref('dim_accounts') }}
),

invitations as (
    select contact_id, kind, sent_as_of
    from {{ ref('stg_ops__survey_invitations') }}
),

invited as (
    select
        contact_id,
        max(sent_as_of) as last_invited_date,
        max(case when kind = 'nps' then sent_as_of end) as last_nps_invited_date
    from invitations
    group by contact_id
),

nps_answers as (
    select contact_id, max(cast(responded_at as date)) as last_nps_response_date
    from {{ ref('stg_surveys__survey_responses') }}
    where survey = 'nps' and contact_id is not null and cast(responded_at as date) <= {{ as_of_date() }}
    group by contact_id
)

select
    contacts.contact_id,
    contacts.account_id,
    contacts.email,
    contacts.name as contact_name,
    contacts.role,
    coalesce(contacts.is_primary, false) as is_primary,
    coalesce(contacts.is_champion, false) as is_champion,
    accounts.account_name,
    accounts.segment,
    accounts.is_paying,
    accounts.journey_phase,
    invited.last_invited_date,
    invited.last_nps_invited_date,
    nps_answers.last_nps_response_date
from contacts
inner join accounts on contacts.account_id = accounts.account_id
left join invited on contacts.contact_id = invited.contact_id
left join nps_answers on contacts.contact_id = nps_answers.contact_id
