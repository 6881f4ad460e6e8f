-- The big table: no per-key dedupe window here (it would sort every event on every query).
-- The load ledger already keeps a file from landing twice; event-level dedupe happens on
-- new partitions only, in the incremental usage model.
select
    -- ids are text: string event ids load, numeric-looking ones keep leading zeros
    cast(event_id as varchar) as event_id,
    cast(account_id as varchar) as account_id,
    cast(user_id as varchar) as user_id,
    cast(feature as varchar) as feature,
    cast(occurred_at as timestamp) as occurred_at,
    cast(quantity as double precision) as quantity,
    _source_file,
    _source_row,
    _loaded_at
from {{ source('product', 'usage_events') }}
