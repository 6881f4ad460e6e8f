with source as (
    select * from {{ source('crm', 'tasks') }}
),

typed as (
    select
        cast(task_id as {{ dbt.type_string() }}) as task_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(owner_id as {{ dbt.type_string() }}) as owner_id,
        cast(title as {{ dbt.type_string() }}) as title,
        cast(due_at as timestamp) as due_at,
        cast(completed_at as timestamp) as completed_at,
        cast(source as {{ dbt.type_string() }}) as source,
        _source_file,
        _source_row,
        _loaded_at,
        -- a key landed twice (two files, or a re-exported row): the latest load wins
        row_number() over (
            partition by task_id order by _loaded_at desc, _source_file desc, _source_row desc
        ) as version_rank
    from source
)

select
    task_id,
    account_id,
    owner_id,
    title,
    due_at,
    completed_at,
    source,
    _source_file,
    _source_row,
    _loaded_at
from typed
where version_rank = 1
