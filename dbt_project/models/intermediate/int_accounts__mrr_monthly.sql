-- Month-end MRR per account and month (DESIGN.md "Dates"): the sum of the MRR of every
-- subscription active on the month's last day, or on as_of for the current month. Only
-- account-months with MRR > 0 have a row; fct_mrr fills the gaps with zeros.
with subscriptions as (
    select * from {{ ref('int_subscriptions__normalised') }}
    where mrr > 0
),

spine as (
    {{ date_spine('month', '(select min(start_date) from subscriptions)', as_of_date()) }}
),

months as (
    select
        date_month,
        case
            when {{ dbt.dateadd('day', -1, add_months('date_month', 1)) }} < {{ as_of_date() }}
                then cast({{ dbt.dateadd('day', -1, add_months('date_month', 1)) }} as date)
            else {{ as_of_date() }}
        end as snapshot_date
    from spine
),

subscription_months as (
    select
        months.date_month,
        subscriptions.account_id,
        subscriptions.subscription_id,
        subscriptions.mrr
    from subscriptions
    inner join months
        on (
            subscriptions.start_date <= months.snapshot_date
            and (subscriptions.mrr_end_date is null or subscriptions.mrr_end_date > months.snapshot_date)
        )
        {% if var('revenue_same_month_cancellation') == 'count' -%}
        -- policy `count`: a subscription that starts and ends inside one month counts in that month
        or (
            {{ dbt.date_trunc('month', 'subscriptions.start_date') }} = months.date_month
            and subscriptions.mrr_end_date > subscriptions.start_date
            and subscriptions.mrr_end_date <= months.snapshot_date
        )
        {%- endif %}
),

account_months as (
    select
        date_month,
        account_id,
        sum(mrr) as mrr,
        count(*) as count_subscriptions
    from subscription_months
    group by date_month, account_id
)

select * from account_months
