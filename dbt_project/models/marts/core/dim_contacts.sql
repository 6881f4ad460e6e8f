-- One row per customer contact (crm.contacts) with the account's name and owning CSM, so
-- customer email can come from (and reply to) the CSM, and reports never show a bare id.
with contacts as (
    select * from {{ ref('stg_crm__contacts') }}
),

accounts as (
    select * from {{ ref('dim_accounts') }}
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
    -- reachable at as_of: still at the account and not unsubscribed (a later change is unknown today)
    (contacts.left_at is null or cast(contacts.left_at as date) > {{ as_of_date() }})
        and (contacts.unsubscribed_at is null or cast(contacts.unsubscribed_at as date) > {{ as_of_date() }})
        as is_reachable,
    accounts.owner_csm_id,
    accounts.owner_name,
    accounts.owner_email
from contacts
inner join accounts on contacts.account_id = accounts.account_id
