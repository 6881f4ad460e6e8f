with source as (
    select * from {{ source('crm', 'accounts') }}
),

typed as (
    select
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(name as {{ dbt.type_string() }}) as name,
        cast(segment as {{ dbt.type_string() }}) as segment,
        cast(industry as {{ dbt.type_string() }}) as industry,
        cast(region as {{ dbt.type_string() }}) as region,
        cast(created_at as timestamp) as created_at,
        cast(owner_csm_id as {{ dbt.type_string() }}) as owner_csm_id,
        cast(lifecycle_stage as {{ dbt.type_string() }}) as lifecycle_stage,
        cast(billing_customer_id as {{ dbt.type_string() }}) as billing_customer_id,
        cast(product_account_id as {{ dbt.type_string() }}) as product_account_id,
        cast(domain as {{ dbt.type_string() }}) as domain,
        _source_file,
        _source_row,
        _loaded_at,
        -- a key landed twice (two files, or a re-exported row): the latest load wins
        row_number() over (
            partition by account_id order by _loaded_at desc, _source_file desc, _source_row desc
        ) as version_rank
    from source
)

select
    account_id,
    name,
    segment,
    industry,
    region,
    created_at,
    owner_csm_id,
    lifecycle_stage,
    billing_customer_id,
    product_account_id,
    domain,
    _source_file,
    _source_row,
    _loaded_at
from typed
where version_rank = 1
