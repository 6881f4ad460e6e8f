-- Per paying account and day of the history: the non-usage facts health scores read, each
-- known on that day (touchpoints, NPS, tickets, overdue invoices, champion). Incremental: a run
-- computes only the accounts and days macro health_recompute_scope selects.
{{ health_incremental_config() }}

with spine as (
    select * from {{ ref('int_health__account_days') }}
),

accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

touchpoints as (
    select account_id, cast(occurred_at as date) as touch_date, sentiment
    from {{ ref('stg_crm__touchpoints') }}
    where cast(occurred_at as date) <= {{ as_of_date() }}
),

nps as (
    select account_id, cast(responded_at as date) as response_date, avg(score) as score
    from {{ ref('stg_surveys__survey_responses') }}
    where survey = 'nps' and cast(responded_at as date) <= {{ as_of_date() }}
    group by 1, 2
),

tickets as (
    select
        account_id,
        cast(opened_at as date) as opened_date,
        cast(closed_at as date) as closed_date,
        case priority when 'urgent' then 4 when 'high' then 2 when 'normal' then 1 else 0.5 end as load,
        priority in ('high', 'urgent') as is_high
    from {{ ref('stg_support__support_tickets') }}
    where cast(opened_at as date) <= {{ as_of_date() }}
),

invoices as (
    select * from {{ ref('stg_billing__invoices') }}
),

contacts as (
    select * from {{ ref('stg_crm__contacts') }}
),

{{ health_recompute_scope(dated=true) }},

-- the spine of each account it recomputes, from 90 days before its first recomputed day
account_days as (
    select spine.account_id, spine.date_day, scope.compute_from, spine.seats, spine.is_customer
    from spine
    inner join scope on spine.account_id = scope.account_id and spine.date_day >= scope.spine_start
),

-- touches before an account's spine fold onto its first day (keeping their real date)
touch_days as (
    select
        touchpoints.account_id,
        greatest(touchpoints.touch_date, scope.spine_start) as date_day,
        max(touchpoints.touch_date) as last_touch_date,
        sum(case when touchpoints.touch_date >= scope.spine_start then touchpoints.sentiment end) as sentiment_sum,
        count(case when touchpoints.touch_date >= scope.spine_start then touchpoints.sentiment end) as sentiment_n
    from touchpoints
    inner join scope on touchpoints.account_id = scope.account_id
    group by 1, 2
),

nps_days as (
    select nps.account_id, greatest(nps.response_date, scope.spine_start) as date_day,
           max(nps.response_date) as last_nps_date
    from nps
    inner join scope on nps.account_id = scope.account_id
    group by 1, 2
),

scoped_tickets as (
    select tickets.*, scope.spine_start
    from tickets
    inner join scope on tickets.account_id = scope.account_id
),

ticket_deltas as (
    select account_id, greatest(opened_date, spine_start) as date_day,
           case when opened_date >= spine_start then load else 0 end as opened_load,
           case when is_high then 1 else 0 end as open_high_delta
    from scoped_tickets
    union all
    select account_id, greatest(closed_date, spine_start), 0, -1
    from scoped_tickets
    where is_high and closed_date is not null
),

ticket_days as (
    select account_id, date_day, sum(opened_load) as opened_load, sum(open_high_delta) as open_high_delta
    from ticket_deltas
    group by 1, 2
),

-- dated input hashes, folded like the touches: their running sum is the row's _dated_hash
fact_days as (
    select
        health_facts.account_id,
        greatest(health_facts.effective_date, scope.spine_start) as date_day,
        sum(health_facts.fact_hash) as fact_hash
    from health_facts
    inner join scope on health_facts.account_id = scope.account_id
    where health_facts.effective_date is not null
    group by 1, 2
),

overdue as (
    select
        account_days.account_id,
        account_days.date_day,
        count(*) as overdue_invoices,
        max({{ dbt.datediff('invoices.due_at', 'account_days.date_day', 'day') }}) as max_days_overdue
    from account_days
    inner join invoices
        on account_days.account_id = invoices.account_id
        and {{ invoice_is_overdue('account_days.date_day', 'invoices') }}
    where account_days.is_customer and account_days.date_day >= account_days.compute_from
    group by 1, 2
),

champions as (
    select
        account_id,
        count(*) as champions_ever,
        -- the day the last champion left; null while one remains
        case when count(left_at) = count(*) then max(cast(left_at as date)) end as all_champions_left_date
    from contacts
    where is_champion
    group by account_id
),

rolled as (
    select
        account_days.account_id,
        account_days.date_day,
        account_days.compute_from,
        account_days.is_customer,
        max(touch_days.last_touch_date) over w_to_date as last_touch_date,
        sum(touch_days.sentiment_sum) over w_90d as sentiment_sum_90d,
        sum(touch_days.sentiment_n) over w_90d as sentiment_n_90d,
        max(nps_days.last_nps_date) over w_to_date as last_nps_date,
        coalesce(sum(ticket_days.opened_load) over w_30d, 0) as ticket_load_30d,
        coalesce(sum(ticket_days.open_high_delta) over w_to_date, 0) as open_high_tickets,
        sum(coalesce(fact_days.fact_hash, 0)) over w_to_date as dated_hash
    from account_days
    left join touch_days
        on account_days.account_id = touch_days.account_id and account_days.date_day = touch_days.date_day
    left join nps_days
        on account_days.account_id = nps_days.account_id and account_days.date_day = nps_days.date_day
    left join ticket_days
        on account_days.account_id = ticket_days.account_id and account_days.date_day = ticket_days.date_day
    left join fact_days
        on account_days.account_id = fact_days.account_id and account_days.date_day = fact_days.date_day
    window
        w_to_date as (partition by account_days.account_id order by account_days.date_day rows unbounded preceding),
        w_30d as (partition by account_days.account_id order by account_days.date_day rows between 29 preceding and current row),
        w_90d as (partition by account_days.account_id order by account_days.date_day rows between 89 preceding and current row)
),

computed as (
    select
        rolled.account_id,
        rolled.date_day,
        accounts.segment,
        rolled.last_touch_date,
        {{ dbt.datediff('rolled.last_touch_date', 'rolled.date_day', 'day') }} as days_since_touch,
        case when rolled.sentiment_n_90d > 0
            then rolled.sentiment_sum_90d / rolled.sentiment_n_90d end as touch_sentiment_90d,
        rolled.last_nps_date,
        nps.score as last_nps_score,
        rolled.ticket_load_30d,
        rolled.open_high_tickets,
        coalesce(overdue.overdue_invoices, 0) as overdue_invoices,
        coalesce(overdue.max_days_overdue, 0) as max_days_overdue,
        coalesce(champions.champions_ever, 0) as champions_ever,
        case
            when coalesce(champions.champions_ever, 0) = 0 then 'none'
            when champions.all_champions_left_date <= rolled.date_day then 'lost'
            else 'present'
        end as champion_status,
        account_hashes.account_hash as _account_hash,
        rolled.dated_hash as _dated_hash
    from rolled
    inner join account_hashes on rolled.account_id = account_hashes.account_id
    left join accounts on rolled.account_id = accounts.account_id
    left join nps on rolled.account_id = nps.account_id and rolled.last_nps_date = nps.response_date
    left join overdue on rolled.account_id = overdue.account_id and rolled.date_day = overdue.date_day
    left join champions on rolled.account_id = champions.account_id
    where rolled.is_customer and rolled.date_day >= rolled.compute_from
)

{{ health_rows('computed') }}
