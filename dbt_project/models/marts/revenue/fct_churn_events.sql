-- One row per account per day its paid MRR dropped to 0 by as_of: a paying subscription's MRR
-- ends (mrr_end_date, the same end fct_mrr's month-end snapshots use) and no other paying
-- subscription of the account covers that day. fct_mrr says which month churned; this says the
-- day (the health backtest labels churn within 30/60/90 days from it).
with paid as (
    select account_id, start_date, mrr_end_date
    from {{ ref('int_subscriptions__normalised') }}
    where mrr > 0
),

ends as (
    select distinct account_id, mrr_end_date as churn_date
    from paid
    where mrr_end_date is not null
        and mrr_end_date <= {{ as_of_date() }}  -- a scheduled end after as_of is not known churn yet
)

select
    {{ surrogate_key(['ends.account_id', 'ends.churn_date']) }} as churn_event_id,
    ends.account_id,
    ends.churn_date
from ends
where not exists (
    select 1 from paid as other
    where other.account_id = ends.account_id
        and other.start_date <= ends.churn_date
        and (other.mrr_end_date is null or other.mrr_end_date > ends.churn_date)
)
