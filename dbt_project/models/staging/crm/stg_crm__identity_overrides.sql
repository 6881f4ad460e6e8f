-- The user's own matching decisions (landing identity_overrides.csv); they win over every rule.
select system, source_id, account_id, note
from (
    select
        cast(system as {{ dbt.type_string() }}) as system,
        cast(source_id as {{ dbt.type_string() }}) as source_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(note as {{ dbt.type_string() }}) as note,
        row_number() over (
            partition by system, source_id order by _loaded_at desc, _source_file desc, _source_row desc
        ) as version_rank
    from {{ source('crm', 'identity_overrides') }}
) as typed
where version_rank = 1
