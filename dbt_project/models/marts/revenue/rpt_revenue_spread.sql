-- One row per slice value (segment, plan, region, owner CSM) at as_of: MRR, ARR, accounts and
-- share of the total. Plan is per subscription; the other slices per account.
with subscriptions as (
    select * from {{ ref('int_subscriptions__normalised') }}
    where mrr > 0
        and start_date <= {{ as_of_date() }}
        and (mrr_end_date is null or mrr_end_date > {{ as_of_date() }})
),

accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

sliced as (
    select 'segment' as slice, coalesce(accounts.segment, 'unknown') as slice_value, subscriptions.account_id, subscriptions.mrr
    from subscriptions inner join accounts on subscriptions.account_id = accounts.account_id
    union all
    select 'plan', subscriptions.plan, subscriptions.account_id, subscriptions.mrr
    from subscriptions
    union all
    select 'region', coalesce(accounts.region, 'unknown'), subscriptions.account_id, subscriptions.mrr
    from subscriptions inner join accounts on subscriptions.account_id = accounts.account_id
    union all
    select 'owner_csm', coalesce(accounts.owner_csm_id, 'unassigned'), subscriptions.account_id, subscriptions.mrr
    from subscriptions inner join accounts on subscriptions.account_id = accounts.account_id
),

aggregated as (
    select
        slice,
        slice_value,
        cast(sum(mrr) as decimal(18, 4)) as mrr,
        cast(sum(mrr) * 12 as decimal(18, 4)) as arr,
        count(distinct account_id) as count_accounts
    from sliced
    group by slice, slice_value
)

select
    {{ as_of_date() }} as as_of_date,
    slice,
    slice_value,
    mrr,
    arr,
    count_accounts,
    cast(mrr as double) / cast(sum(mrr) over (partition by slice) as double) as share_of_mrr
from aggregated
