{{ config(store_failures=true) }}
-- A subscription_id landed twice in one load (one file, or two files of the same batch) is
-- ambiguous: staging would keep one row by file order and MRR could silently be wrong.
-- Across loads the latest load wins by design (stg_billing__subscriptions).
with landed as (
    select * from {{ source('billing', 'subscriptions') }}
)

select
    subscription_id,
    _batch_id,
    count(*) as count_rows,
    min(_source_file) as first_source_file,
    min(_source_row) as first_source_row,
    max(_source_row) as last_source_row
from landed
group by subscription_id, _batch_id
having count(*) > 1
