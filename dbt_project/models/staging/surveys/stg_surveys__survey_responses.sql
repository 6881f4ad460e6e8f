with source as (
    select * from {{ source('surveys', 'survey_responses') }}
),

typed as (
    select
        cast(response_id as {{ dbt.type_string() }}) as response_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(contact_id as {{ dbt.type_string() }}) as contact_id,
        cast(survey as {{ dbt.type_string() }}) as survey,
        cast(score as double) as score,
        cast(comment as {{ dbt.type_string() }}) as comment,
        cast(responded_at as timestamp) as responded_at,
        _source_file,
        _source_row,
        _loaded_at,
        -- a key landed twice (two files, or a re-exported row): the latest load wins
        row_number() over (
            partition by response_id order by _loaded_at desc, _source_file desc, _source_row desc
        ) as version_rank
    from source
)

select
    response_id,
    account_id,
    contact_id,
    survey,
    score,
    comment,
    responded_at,
    _source_file,
    _source_row,
    _loaded_at
from typed
where version_rank = 1
