with source as (
    select * from {{ source('support', 'support_tickets') }}
),

typed as (
    select
        cast(ticket_id as {{ dbt.type_string() }}) as ticket_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(opened_at as timestamp) as opened_at,
        cast(closed_at as timestamp) as closed_at,
        cast(priority as {{ dbt.type_string() }}) as priority,
        cast(csat as double) as csat,
        _source_file,
        _source_row,
        _loaded_at,
        -- a key landed twice (two files, or a re-exported row): the latest load wins
        row_number() over (
            partition by ticket_id order by _loaded_at desc, _source_file desc, _source_row desc
        ) as version_rank
    from source
)

select
    ticket_id,
    account_id,
    opened_at,
    closed_at,
    priority,
    csat,
    _source_file,
    _source_row,
    _loaded_at
from typed
where version_rank = 1
