-- Every account that is not churned at as_of needs exactly one owner role (a CSM or its segment's
-- pool), and a churned account needs none: the reconciler relies on this to keep one owner each.
with owners as (
    select account_id, count(*) as owner_roles
    from {{ ref('fct_account_roles_required') }}
    where role in ('csm', 'pool')
    group by account_id
)

select target.account_id, target.phase, coalesce(owners.owner_roles, 0) as owner_roles
from {{ ref('fct_account_phase_target') }} as target
inner join {{ ref('dim_accounts') }} as accounts on target.account_id = accounts.account_id
left join owners on target.account_id = owners.account_id
where (target.phase = 'churned') <> (coalesce(owners.owner_roles, 0) = 0)
    or coalesce(owners.owner_roles, 0) > 1
