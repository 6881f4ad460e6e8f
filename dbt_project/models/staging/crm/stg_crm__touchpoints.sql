with source as (
    select * from {{ source('crm', 'touchpoints') }}
),

typed as (
    select
        cast(touchpoint_id as {{ dbt.type_string() }}) as touchpoint_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        cast(occurred_at as timestamp) as occurred_at,
        cast(channel as {{ dbt.type_string() }}) as channel,
        cast(sentiment as double) as sentiment,
        _source_file,
        _source_row,
        _loaded_at,
        -- a key landed twice (two files, or a re-exported row): the latest load wins
        row_number() over (
            partition by touchpoint_id order by _loaded_at desc, _source_file desc, _source_row desc
        ) as version_rank
    from source
)

select
    touchpoint_id,
    account_id,
    user_id,
    occurred_at,
    channel,
    sentiment,
    _source_file,
    _source_row,
    _loaded_at
from typed
where version_rank = 1
