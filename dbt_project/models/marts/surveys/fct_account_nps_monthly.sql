-- NPS per account over time (docs: surveys): one row per account and month from its first NPS
-- answer's month to as_of's, with that month's answers and the trailing 12 months' (the
-- month and the 11 before): promoters, detractors, NPS = % promoters - % detractors, average
-- score. Months without answers carry the trailing figures, so trends plot without gaps.
with answers as (
    select
        account_id,
        cast({{ dbt.date_trunc('month', 'responded_at') }} as date) as month,
        score
    from {{ ref('stg_surveys__survey_responses') }}
    where survey = 'nps' and cast(responded_at as date) <= {{ as_of_date() }}
),

per_month as (
    select
        account_id,
        month,
        count(*) as responses,
        count(case when score >= 9 then 1 end) as promoters,
        count(case when score <= 6 then 1 end) as detractors,
        sum(score) as score_sum
    from answers
    group by account_id, month
),

spine as (
    {{ date_spine('month', '(select min(month) from answers)', as_of_date()) }}
),

account_months as (
    select firsts.account_id, spine.date_month as month
    from (select account_id, min(month) as first_month from per_month group by account_id) as firsts
    inner join spine on spine.date_month >= firsts.first_month
),

dense as (
    select
        account_months.account_id,
        account_months.month,
        coalesce(per_month.responses, 0) as responses,
        coalesce(per_month.promoters, 0) as promoters,
        coalesce(per_month.detractors, 0) as detractors,
        coalesce(per_month.score_sum, 0) as score_sum
    from account_months
    left join per_month on account_months.account_id = per_month.account_id and account_months.month = per_month.month
),

rolled as (
    select
        *,
        sum(responses) over w12 as responses_12m,
        sum(promoters) over w12 as promoters_12m,
        sum(detractors) over w12 as detractors_12m,
        sum(score_sum) over w12 as score_sum_12m
    from dense
    window w12 as (partition by account_id order by month rows between 11 preceding and current row)
)

select
    account_id,
    month,
    responses,
    promoters,
    detractors,
    case when responses > 0 then round(100.0 * (promoters - detractors) / responses, 1) end as nps,
    case when responses > 0 then round(score_sum / responses, 2) end as avg_score,
    responses_12m,
    case when responses_12m > 0 then round(100.0 * (promoters_12m - detractors_12m) / responses_12m, 1) end as nps_12m,
    case when responses_12m > 0 then round(score_sum_12m / responses_12m, 2) end as avg_score_12m
from rolled
