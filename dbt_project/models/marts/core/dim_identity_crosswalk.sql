-- The identity crosswalk, published for analysts, the run summary and `steward check`: every billing
-- customer and product account, the CRM account it resolves to, the rule and confidence
-- (built in staging: stg_identity__crosswalk; docs/identity.md).
with crosswalk as (
    select * from {{ ref('stg_identity__crosswalk') }}
)

select * from crosswalk
