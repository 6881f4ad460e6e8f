with source as (
    select * from {{ source('support', 'support_tickets') }}
),

typed as (
    select
        cast(ticket_id as {{ dbt.type_string() }}) as ticket_id,
        -- a support desk's organization id resolves onto its CRM account (stg_identity__crosswalk)
        {{ resolved_account_id('support', 'cast(source.account_id as ' ~ dbt.type_string() ~ ')') }} as account_id,
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
-- tickets of unmatched or ambiguous organizations are held out and counted in the run summary
where version_rank = 1 and account_id is not null
