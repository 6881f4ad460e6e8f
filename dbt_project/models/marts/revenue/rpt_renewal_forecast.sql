-- One row per month from the as_of month to 12 months ahead: ARR up for renewal, how many
-- renewals, and the expected ARR weighted by the documented renewal probability, or, for a
-- renewal within the churn model's 90-day horizon with a fresh score, by 1 - its churn
-- probability (count_model_weighted says how many renewals of the month used the model).
-- depends_on: {{ source('model', 'fct_churn_risk') }}
with renewals_rule as (
    select * from {{ ref('fct_renewals') }}
    where days_to_renewal > 0
),

{% if churn_scores_exist() %}
churn_scores as (
    {{ latest_churn_scores() }}
),

renewals as (
    select
        renewals_rule.*,
        renewals_rule.days_to_renewal <= 90 and churn_scores.churn_probability is not null as is_model_weighted,
        case when renewals_rule.days_to_renewal <= 90 and churn_scores.churn_probability is not null
            then 1 - churn_scores.churn_probability
            else renewals_rule.renewal_probability
        end as weight_probability
    from renewals_rule
    left join churn_scores on renewals_rule.account_id = churn_scores.account_id
),
{% else %}
renewals as (
    select *, false as is_model_weighted, renewal_probability as weight_probability
    from renewals_rule
),
{% endif %}

months_ahead as (
    {{ date_spine('month', as_of_date(), add_months(dbt.date_trunc('month', as_of_date()), 12)) }}
),

per_month as (
    select
        {{ dbt.date_trunc('month', 'renewal_date') }} as month,
        sum(arr) as arr_up_for_renewal,
        count(*) as count_renewals,
        sum(arr * weight_probability) as expected_arr,
        count(case when is_model_weighted then 1 end) as count_model_weighted,
        count(case when is_cancelling then 1 end) as count_cancelling
    from renewals
    group by {{ dbt.date_trunc('month', 'renewal_date') }}
)

select
    months_ahead.date_month as month,
    {{ dbt.datediff(dbt.date_trunc('month', as_of_date()), 'months_ahead.date_month', 'month') }} as months_ahead,
    cast(coalesce(per_month.arr_up_for_renewal, 0) as decimal(18, 4)) as arr_up_for_renewal,
    coalesce(per_month.count_renewals, 0) as count_renewals,
    cast(coalesce(per_month.expected_arr, 0) as decimal(18, 4)) as expected_arr,
    coalesce(per_month.count_cancelling, 0) as count_cancelling,
    coalesce(per_month.count_model_weighted, 0) as count_model_weighted
from months_ahead
left join per_month on months_ahead.date_month = per_month.month
