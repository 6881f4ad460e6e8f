-- Per paying account and day: active users, utilisation, breadth, sticky adoption and usage
-- trend. The rows are built incrementally in int_usage__account_daily (with the health chain,
-- which reads them there); this mart is a view over it, so publishing adds no second copy to
-- build. The analyst copy stores it as a table.
{{ config(materialized='view') }}

select * from {{ ref('int_usage__account_daily') }}
