-- The billing system's customer records (Stripe customers), one per id: the crosswalk's billing side.
select customer_id, name, email, domain
from (
    select
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(name as {{ dbt.type_string() }}) as name,
        cast(email as {{ dbt.type_string() }}) as email,
        cast(domain as {{ dbt.type_string() }}) as domain,
        row_number() over (
            partition by customer_id order by _loaded_at desc, _source_file desc, _source_row desc
        ) as version_rank
    from {{ source('billing', 'billing_customers') }}
) as typed
where version_rank = 1
