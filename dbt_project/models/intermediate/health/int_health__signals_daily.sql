-- Per paying account and day of the history: the non-usage facts health scores read, each
-- known on that day (touchpoints, NPS, tickets, overdue invoices, champion).
{{ config(materialized='table') }}

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

-- touches before the spine fold onto its first day (keeping their real date)
touch_days as (
    select
        account_id,
        greatest(touch_date, {{ health_spine_start() }}) as date_day,
        max(touch_date) as last_touch_date,
        sum(case when touch_date >= {{ health_spine_start() }} then sentiment end) as sentiment_sum,
        count(case when touch_date >= {{ health_spine_start() }} then sentiment end) as sentiment_n
    from touchpoints
    group by 1, 2
),

nps_days as (
    select account_id, greatest(response_date, {{ health_spine_start() }}) as date_day,
           max(response_date) as last_nps_date
    from nps
    group by 1, 2
),

ticket_deltas as (
    select account_id, greatest(opened_date, {{ health_spine_start() }}) as date_day,
           case when opened_date >= {{ health_spine_start() }} then load else 0 end as opened_load,
           case when is_high then 1 else 0 end as open_high_delta
    from tickets
    union all
    select account_id, greatest(closed_date, {{ health_spine_start() }}), 0, -1
    from tickets
    where is_high and closed_date is not null
),

ticket_days as (
    select account_id, date_day, sum(opened_load) as opened_load, sum(open_high_delta) as open_high_delta
    from ticket_deltas
    group by 1, 2
),

overdue as (
    select
        spine.account_id,
        spine.date_day,
        count(*) as overdue_invoices,
        max({{ dbt.datediff('invoices.due_at', 'spine.date_day', 'day') }}) as max_days_overdue
    from spine
    inner join invoices
        on spine.account_id = invoices.account_id
        and {{ invoice_is_overdue('spine.date_day', 'invoices') }}
    where spine.is_customer and spine.is_in_history
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
        spine.account_id,
        spine.date_day,
        spine.is_customer,
        spine.is_in_history,
        max(touch_days.last_touch_date) over w_to_date as last_touch_date,
        sum(touch_days.sentiment_sum) over w_90d as sentiment_sum_90d,
        sum(touch_days.sentiment_n) over w_90d as sentiment_n_90d,
        max(nps_days.last_nps_date) over w_to_date as last_nps_date,
        coalesce(sum(ticket_days.opened_load) over w_30d, 0) as ticket_load_30d,
        coalesce(sum(ticket_days.open_high_delta) over w_to_date, 0) as open_high_tickets
    from spine
    left join touch_days on spine.account_id = touch_days.account_id and spine.date_day = touch_days.date_day
    left join nps_days on spine.account_id = nps_days.account_id and spine.date_day = nps_days.date_day
    left join ticket_days on spine.account_id = ticket_days.account_id and spine.date_day = ticket_days.date_day
    window
        w_to_date as (partition by spine.account_id order by spine.date_day rows unbounded preceding),
        w_30d as (partition by spine.account_id order by spine.date_day rows between 29 preceding and current row),
        w_90d as (partition by spine.account_id order by spine.date_day rows between 89 preceding and current row)
)

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
    end as champion_status
from rolled
left join accounts on rolled.account_id = accounts.account_id
left join nps on rolled.account_id = nps.account_id and rolled.last_nps_date = nps.response_date
left join overdue on rolled.account_id = overdue.account_id and rolled.date_day = overdue.date_day
left join champions on rolled.account_id = champions.account_id
where rolled.is_customer and rolled.is_in_history
