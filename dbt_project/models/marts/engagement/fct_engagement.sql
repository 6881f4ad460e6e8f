-- Per account at as_of: touchpoint recency against the agreed cadence, cadence breaches and
-- sentiment trend; support load, trend and CSAT; latest NPS and category; champion status.
-- The cadence is health.cadence_days for the segment, unless health.cadence_days_by_phase sets
-- one for the journey phase the previous run recorded (ops.account_phase_history): today's
-- target phase depends on health, which depends on engagement, so it cannot be used here.
with accounts as (
    select * from {{ ref('stg_crm__accounts') }}
    where cast(created_at as date) <= {{ as_of_date() }}
),

touchpoints as (
    select account_id, cast(occurred_at as date) as touch_date, sentiment
    from {{ ref('stg_crm__touchpoints') }}
    where cast(occurred_at as date) <= {{ as_of_date() }}
),

tickets as (
    select * from {{ ref('stg_support__support_tickets') }}
    where cast(opened_at as date) <= {{ as_of_date() }}
),

nps as (
    select account_id, cast(responded_at as date) as response_date, score
    from {{ ref('stg_surveys__survey_responses') }}
    where survey = 'nps' and cast(responded_at as date) <= {{ as_of_date() }}
),

contacts as (
    select * from {{ ref('stg_crm__contacts') }}
),

segment_cadence as (
    {% for seg, days in var('health_cadence_days').items() %}
    select '{{ seg }}' as segment, {{ days }} as cadence_days{% if not loop.last %} union all{% endif %}
    {% endfor %}
),

phase_cadence as (
    {% set rows = [] %}
    {% for phase, by_segment in var('health_cadence_days_by_phase').items() %}
        {% for seg, days in by_segment.items() %}
            {% do rows.append("select '" ~ phase ~ "' as phase, '" ~ seg ~ "' as segment, " ~ days ~ " as cadence_days") %}
        {% endfor %}
    {% endfor %}
    {% if rows %}{{ rows | join(' union all ') }}
    {% else %}select cast(null as {{ dbt.type_string() }}) as phase, cast(null as {{ dbt.type_string() }}) as segment,
        cast(null as integer) as cadence_days where false{% endif %}
),

-- the stay in force when as_of began: entered before it, not left before it
recorded_phase as (
    select account_id, phase
    from {{ ref('stg_ops__account_phase_history') }}
    where entered_as_of < {{ as_of_date() }}
        and (exited_as_of is null or exited_as_of >= {{ as_of_date() }})
),

cadence as (
    select
        accounts.account_id,
        recorded_phase.phase as journey_phase,
        coalesce(phase_cadence.cadence_days, segment_cadence.cadence_days) as cadence_days,
        case when phase_cadence.cadence_days is not null then recorded_phase.phase end as cadence_phase
    from accounts
    left join segment_cadence on accounts.segment = segment_cadence.segment
    left join recorded_phase on accounts.account_id = recorded_phase.account_id
    left join phase_cadence
        on recorded_phase.phase = phase_cadence.phase and accounts.segment = phase_cadence.segment
),

-- gaps between consecutive touchpoints in the last year (and from the last one to as_of)
touch_gaps as (
    select
        account_id,
        touch_date,
        {{ dbt.datediff('touch_date',
            'coalesce(lead(touch_date) over (partition by account_id order by touch_date), ' ~ as_of_date() ~ ')',
            'day') }} as gap_days
    from touchpoints
),

touch_facts as (
    select
        touchpoints.account_id,
        max(touch_date) as last_touchpoint_date,
        count(case when touch_date > {{ dbt.dateadd('day', -90, as_of_date()) }} then 1 end) as touchpoints_90d,
        avg(case when touch_date > {{ dbt.dateadd('day', -90, as_of_date()) }} then sentiment end) as sentiment_90d,
        avg(case when touch_date <= {{ dbt.dateadd('day', -90, as_of_date()) }}
                  and touch_date > {{ dbt.dateadd('day', -180, as_of_date()) }} then sentiment end)
            as sentiment_prior_90d
    from touchpoints
    group by touchpoints.account_id
),

breaches as (
    select
        touch_gaps.account_id,
        count(case when touch_gaps.gap_days > cadence.cadence_days then 1 end) as cadence_breaches_365d
    from touch_gaps
    inner join cadence on touch_gaps.account_id = cadence.account_id
    where touch_gaps.touch_date > {{ dbt.dateadd('day', -365, as_of_date()) }}
    group by touch_gaps.account_id
),

ticket_facts as (
    select
        account_id,
        count(case when closed_at is null or cast(closed_at as date) > {{ as_of_date() }} then 1 end) as open_tickets,
        count(case when (closed_at is null or cast(closed_at as date) > {{ as_of_date() }})
                    and priority in ('high', 'urgent') then 1 end) as open_high_priority_tickets,
        count(case when cast(opened_at as date) > {{ dbt.dateadd('day', -30, as_of_date()) }} then 1 end)
            as tickets_30d,
        count(case when cast(opened_at as date) <= {{ dbt.dateadd('day', -30, as_of_date()) }}
                    and cast(opened_at as date) > {{ dbt.dateadd('day', -60, as_of_date()) }} then 1 end)
            as tickets_prior_30d,
        avg(case when cast(closed_at as date) > {{ dbt.dateadd('day', -90, as_of_date()) }}
                  and cast(closed_at as date) <= {{ as_of_date() }} then csat end) as csat_90d
    from tickets
    group by account_id
),

latest_nps as (
    select account_id, response_date, score,
           row_number() over (partition by account_id order by response_date desc, score) as recency_rank
    from nps
),

champions as (
    select
        account_id,
        count(*) as champions_ever,
        count(case when left_at is null or cast(left_at as date) > {{ as_of_date() }} then 1 end) as champions_present,
        max(case when cast(left_at as date) <= {{ as_of_date() }} then cast(left_at as date) end) as last_champion_left_date
    from contacts
    where is_champion
    group by account_id
)

select
    accounts.account_id,
    accounts.segment,
    touch_facts.last_touchpoint_date,
    {{ dbt.datediff('touch_facts.last_touchpoint_date', as_of_date(), 'day') }} as days_since_last_touchpoint,
    cadence.journey_phase,
    cadence.cadence_days,
    cadence.cadence_phase,
    coalesce({{ dbt.datediff('touch_facts.last_touchpoint_date', as_of_date(), 'day') }} > cadence.cadence_days, true)
        as is_cadence_breached,
    coalesce(breaches.cadence_breaches_365d, 0) as cadence_breaches_365d,
    coalesce(touch_facts.touchpoints_90d, 0) as touchpoints_90d,
    touch_facts.sentiment_90d,
    touch_facts.sentiment_prior_90d,
    touch_facts.sentiment_90d - touch_facts.sentiment_prior_90d as sentiment_trend,
    coalesce(ticket_facts.open_tickets, 0) as open_tickets,
    coalesce(ticket_facts.open_high_priority_tickets, 0) as open_high_priority_tickets,
    coalesce(ticket_facts.tickets_30d, 0) as tickets_30d,
    coalesce(ticket_facts.tickets_prior_30d, 0) as tickets_prior_30d,
    coalesce(ticket_facts.tickets_30d, 0) - coalesce(ticket_facts.tickets_prior_30d, 0) as ticket_volume_trend,
    ticket_facts.csat_90d,
    latest_nps.score as latest_nps_score,
    latest_nps.response_date as latest_nps_date,
    case
        when latest_nps.score >= 9 then 'promoter'
        when latest_nps.score >= 7 then 'passive'
        when latest_nps.score is not null then 'detractor'
    end as nps_category,
    case
        when coalesce(champions.champions_ever, 0) = 0 then 'none'
        when champions.champions_present > 0 then 'present'
        else 'lost'
    end as champion_status,
    case when champions.champions_ever > 0 and champions.champions_present = 0
        then champions.last_champion_left_date end as champion_lost_date
from accounts
left join cadence on accounts.account_id = cadence.account_id
left join touch_facts on accounts.account_id = touch_facts.account_id
left join breaches on accounts.account_id = breaches.account_id
left join ticket_facts on accounts.account_id = ticket_facts.account_id
left join latest_nps on accounts.account_id = latest_nps.account_id and latest_nps.recency_rank = 1
left join champions on accounts.account_id = champions.account_id
