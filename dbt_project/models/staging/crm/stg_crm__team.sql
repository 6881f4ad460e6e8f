with source as (
    select * from {{ source('crm', 'team') }}
),

typed as (
    select
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        cast(name as {{ dbt.type_string() }}) as name,
        cast(email as {{ dbt.type_string() }}) as email,
        cast(role as {{ dbt.type_string() }}) as role,
        cast(capacity as bigint) as capacity,
        case when active is null then null else cast(lower(cast(active as {{ dbt.type_string() }})) in ('true', 't', '1', 'yes', 'y') as boolean) end as active,
        _source_file,
        _source_row,
        _loaded_at,
        -- a key landed twice (two files, or a re-exported row): the latest load wins
        row_number() over (
            partition by user_id order by _loaded_at desc, _source_file desc, _source_row desc
        ) as version_rank
    from source
)

select
    user_id,
    name,
    email,
    role,
    capacity,
    active,
    _source_file,
    _source_row,
    _loaded_at
from typed
where version_rank = 1
