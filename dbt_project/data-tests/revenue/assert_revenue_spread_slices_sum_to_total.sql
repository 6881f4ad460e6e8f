-- Every slice of rpt_revenue_spread adds up to the same total MRR, and that total is the
-- as_of month's closing MRR in rpt_mrr_monthly.
with spread as (
    select * from {{ ref('rpt_revenue_spread') }}
),

monthly as (
    select * from {{ ref('rpt_mrr_monthly') }}
),

totals as (
    select slice, sum(mrr) as total_mrr from spread group by slice
),

closing as (
    select closing_mrr from monthly
    where month = {{ dbt.date_trunc('month', as_of_date()) }}
)

select totals.slice, totals.total_mrr, closing.closing_mrr
from totals
cross join closing
where totals.total_mrr <> closing.closing_mrr
