with source as (
    select * from {{ source('crm', 'team') }}
),

typed as (
    select
        cast(user_id as varchar) as user_id,
        cast(name as varchar) as name,
        cast(email as varchar) as email,
        cast(role as varchar) as role,
        cast(capacity as bigint) as capacity,
        case when active is null then null else cast(lower(cast(active as varchar)) in ('true', 't', '1', 'yes', 'y') as boolean) end as active,
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
