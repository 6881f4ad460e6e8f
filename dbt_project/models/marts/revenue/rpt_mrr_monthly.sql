-- One row per month: the MRR bridge from opening to closing and customer counts.
with mrr as (
    select * from {{ ref('fct_mrr') }}
),

spine as (
    {{ date_spine('month', '(select min(month) from mrr)', as_of_date()) }}
),

monthly as (
    select
        month,
        sum(previous_mrr) as opening_mrr,
        sum(case when movement = 'new' then mrr_change else 0 end) as new_mrr,
        sum(case when movement = 'expansion' then mrr_change else 0 end) as expansion_mrr,
        -sum(case when movement = 'contraction' then mrr_change else 0 end) as contraction_mrr,
        -sum(case when movement = 'churn' then mrr_change else 0 end) as churned_mrr,
        sum(case when movement = 'reactivation' then mrr_change else 0 end) as reactivation_mrr,
        sum(mrr) as closing_mrr,
        count(case when previous_mrr > 0 then 1 end) as count_opening_customers,
        count(case when movement = 'new' then 1 end) as count_new_customers,
        count(case when movement = 'churn' then 1 end) as count_churned_customers,
        count(case when movement = 'reactivation' then 1 end) as count_reactivated_customers,
        count(case when mrr > 0 then 1 end) as count_closing_customers
    from mrr
    group by month
),

filled as (
    select
        spine.date_month as month,
        {% for col in ['opening_mrr', 'new_mrr', 'expansion_mrr', 'contraction_mrr', 'churned_mrr',
                       'reactivation_mrr', 'closing_mrr'] -%}
        cast(coalesce(monthly.{{ col }}, 0) as decimal(18, 4)) as {{ col }},
        {% endfor -%}
        {% for col in ['count_opening_customers', 'count_new_customers', 'count_churned_customers',
                       'count_reactivated_customers', 'count_closing_customers'] -%}
        coalesce(monthly.{{ col }}, 0) as {{ col }}{{ ',' if not loop.last }}
        {% endfor %}
    from spine
    left join monthly on spine.date_month = monthly.month
)

select
    *,
    -- quick ratio: MRR gained over MRR lost; null when nothing was lost
    case
        when contraction_mrr + churned_mrr > 0
            then round(cast((new_mrr + expansion_mrr + reactivation_mrr) as double)
                / cast((contraction_mrr + churned_mrr) as double), 6)
    end as quick_ratio
from filled
