-- The product's accounts or workspaces (Segment group calls), one per id: the crosswalk's product side.
select product_account_id, name, email, domain
from (
    select
        cast(product_account_id as {{ dbt.type_string() }}) as product_account_id,
        cast(name as {{ dbt.type_string() }}) as name,
        cast(email as {{ dbt.type_string() }}) as email,
        cast(domain as {{ dbt.type_string() }}) as domain,
        row_number() over (
            partition by product_account_id order by _loaded_at desc, _source_file desc, _source_row desc
        ) as version_rank
    from {{ source('product', 'product_accounts') }}
) as typed
where version_rank = 1
