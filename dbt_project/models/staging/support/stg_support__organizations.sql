-- The support desk's organizations (Zendesk), one per id: the crosswalk's support side. crm_account_id is
-- the CRM account id the desk stores on the organization (Zendesk's external_id), when it keeps one.
select organization_id, name, email, domain, crm_account_id
from (
    select
        cast(organization_id as {{ dbt.type_string() }}) as organization_id,
        cast(name as {{ dbt.type_string() }}) as name,
        cast(email as {{ dbt.type_string() }}) as email,
        cast(domain as {{ dbt.type_string() }}) as domain,
        nullif(trim(cast(crm_account_id as {{ dbt.type_string() }})), '') as crm_account_id,
        row_number() over (
            partition by organization_id order by _loaded_at desc, _source_file desc, _source_row desc
        ) as version_rank
    from {{ source('support', 'support_organizations') }}
) as typed
where version_rank = 1
