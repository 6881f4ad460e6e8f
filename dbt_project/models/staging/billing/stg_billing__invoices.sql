with source as (
    select * from {{ source('billing', 'invoices') }}
),

typed as (
    select
        cast(invoice_id as {{ dbt.type_string() }}) as invoice_id,
        -- another system's customer id resolves onto its CRM account (stg_identity__crosswalk)
        {{ resolved_account_id('billing', 'cast(source.account_id as ' ~ dbt.type_string() ~ ')') }} as account_id,
        cast(issued_at as date) as issued_at,
        cast(due_at as date) as due_at,
        cast(paid_at as date) as paid_at,
        cast(amount as decimal(18, 2)) as amount,
        cast(status as {{ dbt.type_string() }}) as status,
        _source_file,
        _source_row,
        _loaded_at,
        -- a key landed twice (two files, or a re-exported row): the latest load wins
        row_number() over (
            partition by invoice_id order by _loaded_at desc, _source_file desc, _source_row desc
        ) as version_rank
    from source
)

select
    invoice_id,
    account_id,
    issued_at,
    due_at,
    paid_at,
    amount,
    status,
    _source_file,
    _source_row,
    _loaded_at
from typed
where version_rank = 1
    and account_id is not null  -- unmatched or ambiguous: held out, counted in the run summary
