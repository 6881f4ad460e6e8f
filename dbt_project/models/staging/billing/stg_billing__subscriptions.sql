with source as (
    select * from {{ source('billing', 'subscriptions') }}
),

typed as (
    select
        cast(subscription_id as {{ dbt.type_string() }}) as subscription_id,
        -- another system's customer id resolves onto its CRM account (stg_identity__crosswalk)
        {{ resolved_account_id('billing', 'cast(source.account_id as ' ~ dbt.type_string() ~ ')') }} as account_id,
        cast(plan as {{ dbt.type_string() }}) as plan,
        cast(billing_interval as {{ dbt.type_string() }}) as billing_interval,
        cast(amount as decimal(18, 2)) as amount,
        -- ISO 4217 codes, whatever case the export uses (Stripe writes usd)
        upper(cast(currency as {{ dbt.type_string() }})) as currency,
        cast(seats as bigint) as seats,
        cast(start_date as date) as start_date,
        cast(end_date as date) as end_date,
        cast(renewal_date as date) as renewal_date,
        cast(status as {{ dbt.type_string() }}) as status,
        cast(discount_pct as decimal(18, 2)) as discount_pct,
        _source_file,
        _source_row,
        _loaded_at,
        -- a key landed twice (two files, or a re-exported row): the latest load wins
        row_number() over (
            partition by subscription_id order by _loaded_at desc, _source_file desc, _source_row desc
        ) as version_rank
    from source
)

select
    subscription_id,
    account_id,
    plan,
    billing_interval,
    amount,
    currency,
    seats,
    start_date,
    end_date,
    renewal_date,
    status,
    discount_pct,
    _source_file,
    _source_row,
    _loaded_at
from typed
where version_rank = 1
    and account_id is not null  -- unmatched or ambiguous: held out, counted in the run summary
