-- The big table: no per-key dedupe window here (it would sort every event on every query).
-- The load ledger already keeps a file from landing twice; event-level dedupe happens on
-- new partitions only, in the incremental usage model.
-- A product account id (a Segment groupId) resolves onto its CRM account through stg_identity__crosswalk;
-- events of unmatched or ambiguous product accounts are held out and counted in the run summary.
select
    -- ids are text: string event ids load, numeric-looking ones keep leading zeros
    cast(e.event_id as {{ dbt.type_string() }}) as event_id,
    coalesce(a.account_id, x.account_id) as account_id,
    cast(e.user_id as {{ dbt.type_string() }}) as user_id,
    cast(e.feature as {{ dbt.type_string() }}) as feature,
    cast(e.occurred_at as timestamp) as occurred_at,
    cast(e.quantity as double) as quantity,
    e._source_file,
    e._source_row,
    e._loaded_at
from {{ source('product', 'usage_events') }} as e
left join {{ ref('stg_crm__accounts') }} as a on a.account_id = cast(e.account_id as {{ dbt.type_string() }})
left join {{ ref('stg_identity__crosswalk') }} as x
    on x.system = 'product' and x.source_id = cast(e.account_id as {{ dbt.type_string() }}) and a.account_id is null
where coalesce(a.account_id, x.account_id) is not null
