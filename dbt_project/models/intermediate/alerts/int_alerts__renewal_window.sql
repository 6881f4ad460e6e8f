-- Renewal-window alert candidates: one per subscription inside a configured window, tagged with
-- the smallest window that contains it (90/60/30 by default). The window is part of the subject,
-- so crossing from 60 to 30 days raises a new alert and resolves the old one. Only billing
-- intervals in var renewal_alert_intervals count (monthly plans renew every month).
{%- set windows = var('renewal_alert_windows') | sort %}
with renewals as (
    select * from {{ ref('int_subscriptions__next_renewal') }}
),

accounts as (
    select * from {{ ref('dim_accounts') }}
),

windowed as (
    select
        *,
        case
            {%- for w in windows %}
            when days_to_renewal <= {{ w }} then {{ w }}
            {%- endfor %}
        end as window_days
    from renewals
    where mrr > 0
        and billing_interval in ({% for i in var('renewal_alert_intervals') %}'{{ i }}'{% if not loop.last %}, {% endif %}{% endfor %})
)

select
    'renewal_window' as rule,
    windowed.account_id,
    windowed.subscription_id || '@' || cast(windowed.next_renewal_date as {{ dbt.type_string() }})
        || ':' || cast(windowed.window_days as {{ dbt.type_string() }}) as subject,
    cast(null as {{ dbt.type_string() }}) as owner_id,
    cast(null as {{ dbt.type_string() }}) as owner_email,
    'Renewal in ' || cast(windowed.days_to_renewal as {{ dbt.type_string() }}) || ' days ('
        || cast(windowed.next_renewal_date as {{ dbt.type_string() }}) || ')'
        || case when windowed.is_cancelling then ', set to cancel' else '' end as title,
    windowed.window_days,
    windowed.days_to_renewal,
    windowed.next_renewal_date as renewal_date,
    windowed.mrr * 12 as arr,
    windowed.is_cancelling,
    {{ json_object({
        'window_days': 'windowed.window_days',
        'days_to_renewal': 'windowed.days_to_renewal',
        'renewal_date': 'cast(windowed.next_renewal_date as ' ~ dbt.type_string() ~ ')',
        'arr': 'round(windowed.mrr * 12, 2)',
        'is_cancelling': 'windowed.is_cancelling',
    }) }} as details
from windowed
inner join accounts on windowed.account_id = accounts.account_id
where windowed.window_days is not null
