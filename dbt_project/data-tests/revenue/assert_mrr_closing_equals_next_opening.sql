-- Closing MRR (and customers) of month m equals opening MRR (and customers) of month m + 1.
with monthly as (
    select * from {{ ref('rpt_mrr_monthly') }}
),

paired as (
    select
        this_month.month,
        this_month.closing_mrr,
        next_month.opening_mrr as next_opening_mrr,
        this_month.count_closing_customers,
        next_month.count_opening_customers as next_opening_customers
    from monthly as this_month
    inner join monthly as next_month
        on next_month.month = {{ add_months('this_month.month', 1) }}
)

select * from paired
where closing_mrr <> next_opening_mrr
    or count_closing_customers <> next_opening_customers
