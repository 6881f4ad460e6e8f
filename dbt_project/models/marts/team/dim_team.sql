-- One row per team member (crm.team): the name and email every email and report shows for a
-- user_id, with the paying accounts they own at as_of.
with team as (
    select * from {{ ref('stg_crm__team') }}
),

accounts as (
    select * from {{ ref('dim_accounts') }}
),

books as (
    select owner_csm_id as user_id, count(*) as count_accounts_owned
    from accounts
    where is_paying
    group by owner_csm_id
)

select
    team.user_id,
    -- a person always has something to be called by: name, else the email's local part
    coalesce(nullif(trim(team.name), ''), {{ dbt.split_part('team.email', "'@'", 1) }}, team.user_id) as display_name,
    team.name,
    team.email,
    team.role,
    team.capacity,
    coalesce(team.active, true) as is_active,
    coalesce(books.count_accounts_owned, 0) as count_accounts_owned
from team
left join books on team.user_id = books.user_id
