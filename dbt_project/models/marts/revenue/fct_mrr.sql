-- One row per account per month from its first MRR month through churn, with the month's
-- movement (docs: mrr_movement). Months at 0 after a churn month are omitted until the
-- account reactivates; the previous month is always computed over the full history.
with account_months as (
    select * from {{ ref('int_accounts__mrr_monthly') }}
),

spine as (
    {{ date_spine('month', '(select min(date_month) from account_months)', as_of_date()) }}
),

first_months as (
    select account_id, min(date_month) as first_mrr_month
    from account_months
    group by account_id
),

-- every month from the account's first MRR month to as_of, zero where it had no MRR
account_grid as (
    select
        spine.date_month,
        first_months.account_id,
        first_months.first_mrr_month,
        cast(coalesce(account_months.mrr, 0) as decimal(18, 4)) as mrr,
        coalesce(account_months.count_subscriptions, 0) as count_subscriptions
    from first_months
    inner join spine on spine.date_month >= first_months.first_mrr_month
    left join account_months
        on account_months.account_id = first_months.account_id
        and account_months.date_month = spine.date_month
),

with_previous as (
    select
        *,
        cast(coalesce(
            lag(mrr) over (partition by account_id order by date_month), 0
        ) as decimal(18, 4)) as previous_mrr
    from account_grid
),

-- precedence new > reactivation > churn > expansion > contraction (DESIGN.md "Metrics")
classified as (
    select
        date_month as month,
        account_id,
        mrr,
        previous_mrr,
        mrr - previous_mrr as mrr_change,
        case
            when date_month = first_mrr_month then 'new'
            when previous_mrr = 0 and mrr > 0 then 'reactivation'
            when previous_mrr > 0 and mrr = 0 then 'churn'
            when mrr > previous_mrr then 'expansion'
            when mrr < previous_mrr then 'contraction'
            else 'none'
        end as movement,
        count_subscriptions,
        first_mrr_month
    from with_previous
),

reported as (
    select * from classified
    -- dormant months (0 after 0) carry nothing; history_start trims old months, not their lag
    where not (mrr = 0 and previous_mrr = 0)
    {% if var('revenue_history_start') is not none -%}
    and month >= {{ dbt.date_trunc('month', "cast('" ~ var('revenue_history_start') ~ "' as date)") }}
    {%- endif %}
)

select
    {{ surrogate_key(['account_id', 'month']) }} as account_month_id,
    month,
    account_id,
    mrr,
    previous_mrr,
    mrr_change,
    movement,
    count_subscriptions,
    first_mrr_month
from reported
