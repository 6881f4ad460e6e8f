-- One row per month and slice (portfolio, each segment, each owner CSM): monthly and
-- trailing-12-month cohort NRR/GRR, logo and revenue churn rates against the configured
-- tolerance (docs: nrr, grr, churn_rates). Slices use the account's segment and owner at as_of.
with mrr as (
    select * from {{ ref('fct_mrr') }}
),

account_months as (
    select * from {{ ref('int_accounts__mrr_monthly') }}
),

accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

spine as (
    {{ date_spine('month', '(select min(month) from mrr)', as_of_date()) }}
),

account_slices as (
    select account_id, 'portfolio' as slice, 'all' as slice_value from accounts
    union all
    select account_id, 'segment', segment from accounts
    union all
    select account_id, 'owner_csm', coalesce(owner_csm_id, 'unassigned') from accounts
),

monthly as (
    select
        account_slices.slice,
        account_slices.slice_value,
        mrr.month,
        sum(mrr.previous_mrr) as opening_mrr,
        sum(case when mrr.movement = 'expansion' then mrr.mrr_change else 0 end) as expansion_mrr,
        -sum(case when mrr.movement = 'contraction' then mrr.mrr_change else 0 end) as contraction_mrr,
        -sum(case when mrr.movement = 'churn' then mrr.mrr_change else 0 end) as churned_mrr,
        count(case when mrr.previous_mrr > 0 then 1 end) as count_opening_customers,
        count(case when mrr.movement = 'churn' then 1 end) as count_churned_customers
    from mrr
    inner join account_slices on mrr.account_id = account_slices.account_id
    group by account_slices.slice, account_slices.slice_value, mrr.month
),

-- cohort: accounts with MRR 12 months before `month`, and what they pay in `month`
cohort as (
    select
        account_slices.slice,
        account_slices.slice_value,
        {{ add_months('starting.date_month', 12) }} as month,
        sum(starting.mrr) as t12_starting_mrr,
        sum(coalesce(ending.mrr, 0)) as t12_ending_mrr,
        sum(case when coalesce(ending.mrr, 0) < starting.mrr then coalesce(ending.mrr, 0)
                 else starting.mrr end) as t12_retained_mrr_capped
    from account_months as starting
    inner join account_slices on starting.account_id = account_slices.account_id
    left join account_months as ending
        on ending.account_id = starting.account_id
        and ending.date_month = {{ add_months('starting.date_month', 12) }}
    group by account_slices.slice, account_slices.slice_value, {{ add_months('starting.date_month', 12) }}
),

slices_with_revenue as (
    select distinct account_slices.slice, account_slices.slice_value
    from account_slices
    inner join (select distinct account_id from mrr) as paying
        on paying.account_id = account_slices.account_id
),

slice_months as (
    select slices_with_revenue.slice, slices_with_revenue.slice_value, spine.date_month as month
    from slices_with_revenue
    cross join spine
),

combined as (
    select
        slice_months.month,
        slice_months.slice,
        slice_months.slice_value,
        cast(coalesce(monthly.opening_mrr, 0) as decimal(18, 4)) as opening_mrr,
        cast(coalesce(monthly.expansion_mrr, 0) as decimal(18, 4)) as expansion_mrr,
        cast(coalesce(monthly.contraction_mrr, 0) as decimal(18, 4)) as contraction_mrr,
        cast(coalesce(monthly.churned_mrr, 0) as decimal(18, 4)) as churned_mrr,
        coalesce(monthly.count_opening_customers, 0) as count_opening_customers,
        coalesce(monthly.count_churned_customers, 0) as count_churned_customers,
        cast(cohort.t12_starting_mrr as decimal(18, 4)) as t12_starting_mrr,
        cast(cohort.t12_ending_mrr as decimal(18, 4)) as t12_ending_mrr,
        cast(cohort.t12_retained_mrr_capped as decimal(18, 4)) as t12_retained_mrr_capped
    from slice_months
    left join monthly
        on monthly.slice = slice_months.slice
        and monthly.slice_value = slice_months.slice_value
        and monthly.month = slice_months.month
    left join cohort
        on cohort.slice = slice_months.slice
        and cohort.slice_value = slice_months.slice_value
        and cohort.month = slice_months.month
),

rates as (
    select
        *,
        {% set f = 'cast(%s as double)' -%}
        -- ratios rounded to 6 places (a ten-thousandth of a percent): stable across engines
        round(case when opening_mrr > 0 then
            {{ f % '(opening_mrr + expansion_mrr - contraction_mrr - churned_mrr)' }} / {{ f % 'opening_mrr' }}
        end, 6) as monthly_nrr,
        round(case when opening_mrr > 0 then
            {{ f % '(opening_mrr - contraction_mrr - churned_mrr)' }} / {{ f % 'opening_mrr' }}
        end, 6) as monthly_grr,
        round(case when t12_starting_mrr > 0 then {{ f % 't12_ending_mrr' }} / {{ f % 't12_starting_mrr' }} end, 6) as t12_nrr,
        round(case when t12_starting_mrr > 0 then {{ f % 't12_retained_mrr_capped' }} / {{ f % 't12_starting_mrr' }} end, 6) as t12_grr,
        round(case when count_opening_customers > 0 then
            {{ f % 'count_churned_customers' }} / {{ f % 'count_opening_customers' }}
        end, 6) as logo_churn_rate,
        round(case when opening_mrr > 0 then
            {{ f % '(contraction_mrr + churned_mrr)' }} / {{ f % 'opening_mrr' }}
        end, 6) as revenue_churn_rate,
        cast({{ var('revenue_churn_tolerance_logo_pct') }} as double) / 100 as logo_churn_tolerance,
        cast({{ var('revenue_churn_tolerance_revenue_pct') }} as double) / 100 as revenue_churn_tolerance
    from combined
)

select
    {{ surrogate_key(['month', 'slice', 'slice_value']) }} as retention_id,
    *,
    coalesce(logo_churn_rate > logo_churn_tolerance, false) as is_logo_churn_over_tolerance,
    coalesce(revenue_churn_rate > revenue_churn_tolerance, false) as is_revenue_churn_over_tolerance
from rates
