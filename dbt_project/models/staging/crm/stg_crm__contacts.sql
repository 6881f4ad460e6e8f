with source as (
    select * from {{ source('crm', 'contacts') }}
),

typed as (
    select
        cast(contact_id as {{ dbt.type_string() }}) as contact_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(email as {{ dbt.type_string() }}) as email,
        cast(name as {{ dbt.type_string() }}) as name,
        cast(role as {{ dbt.type_string() }}) as role,
        case when is_champion is null then null else cast(lower(cast(is_champion as {{ dbt.type_string() }})) in ('true', 't', '1', 'yes', 'y') as boolean) end as is_champion,
        case when is_primary is null then null else cast(lower(cast(is_primary as {{ dbt.type_string() }})) in ('true', 't', '1', 'yes', 'y') as boolean) end as is_primary,
        cast(left_at as timestamp) as left_at,
        cast(unsubscribed_at as timestamp) as unsubscribed_at,
        _source_file,
        _source_row,
        _loaded_at,
        -- a key landed twice (two files, or a re-exported row): the latest load wins
        row_number() over (
            partition by contact_id order by _loaded_at desc, _source_file desc, _source_row desc
        ) as version_rank
    from source
)

select
    contact_id,
    account_id,
    email,
    name,
    role,
    is_champion,
    is_primary,
    left_at,
    unsubscribed_at,
    _source_file,
    _source_row,
    _loaded_at
from typed
where version_rank = 1
