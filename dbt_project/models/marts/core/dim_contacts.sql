-- One row per customer contact (crm.contacts) with the account's name and owning CSM, so
-- customer email can come from (and reply to) the CSM, and reports never show a bare id.
with contacts as (
    select * from {{ ref('stg_crm__contacts') }}
),

accounts as (
    select * from {{ ref('dim_accounts') }}
),

-- The one place "may Steward write to this contact at as_of" is decided (campaigns, playbook
-- emails, surveys all read it): not once they left the account, nor once they unsubscribed, on
-- the day itself included; a change dated after as_of is unknown today. Left wins over unsubscribed.
reachability as (
    select
        contact_id,
        case
            when cast(left_at as date) <= {{ as_of_date() }} then 'left'
            when cast(unsubscribed_at as date) <= {{ as_of_date() }} then 'unsubscribed'
        end as unreachable_reason
    from contacts
)

select
    contacts.contact_id,
    contacts.account_id,
    accounts.account_name,
    contacts.name as contact_name,
    contacts.email,
    contacts.role,
    contacts.is_champion,
    contacts.is_primary,
    contacts.left_at,
    contacts.unsubscribed_at,
    reachability.unreachable_reason,
    reachability.unreachable_reason is null as is_reachable,
    accounts.owner_csm_id,
    accounts.owner_name,
    accounts.owner_email
from contacts
inner join reachability on contacts.contact_id = reachability.contact_id
inner join accounts on contacts.account_id = accounts.account_id
