-- Desired state for the automatic campaigns (docs: campaigns): one row per (campaign, step,
-- contact) that is due at as_of. welcome: accounts created or first paid within within_days;
-- onboarding_sequence: the latest step whose day has come (at most max_late_days late) while the
-- account is in onboarding and has not left it since its onboarding began (ops.account_phase_history);
-- pooled_reach_out: paying pooled accounts (segment, or a current `pool` assignment) past onboarding,
-- not touched within every_days (step = the as_of that opens a period).
-- Consent (unsubscribed, departed, suppressed) and "already sent" are applied by
-- flows/actions/campaigns.py when it schedules, so counts and exclusions are reported together.
{%- set c = var('campaigns') %}
{%- set welcome = c['welcome'] %}
{%- set seq = c['onboarding_sequence'] %}
{%- set pooled = c['pooled_reach_out'] %}
{#- a disabled campaign's CTE: no rows, same columns -#}
{%- set disabled = "select cast(null as " ~ dbt.type_string() ~ ") as campaign, cast(null as " ~ dbt.type_string() ~ ") as step, "
                   ~ "cast(null as " ~ dbt.type_string() ~ ") as account_id, cast(null as " ~ dbt.type_string() ~ ") as reason where false" %}
{%- set recipient_filter = {'primary_contact': 'contacts.is_primary', 'champion': 'contacts.is_champion',
                            'all_contacts': 'true'} %}
with accounts as (
    select
        accounts.account_id,
        accounts.segment,
        accounts.is_paying,
        accounts.journey_phase,
        cast(accounts.created_at as date) as created_date,
        accounts.first_paid_date,
        phase.streak_start_date,
        phase.days_in_streak
    from {{ ref('dim_accounts') }} as accounts
    left join {{ ref('fct_account_phase_target') }} as phase on accounts.account_id = phase.account_id
),

contacts as (
    select contact_id, account_id, coalesce(is_primary, false) as is_primary,
           coalesce(is_champion, false) as is_champion
    from {{ ref('stg_crm__contacts') }}
),

-- phases recorded up to as_of (written by earlier runs; today's phase is journey_phase)
history as (
    select account_id, phase, entered_as_of
    from {{ ref('stg_ops__account_phase_history') }}
    where entered_as_of <= {{ as_of_date() }}
),

pool_assignments as (
    select account_id, min(user_id) as pool
    from {{ ref('stg_ops__assignments') }}
    where role = 'pool'
        and assigned_as_of <= {{ as_of_date() }}
        and (released_as_of is null or released_as_of > {{ as_of_date() }})
    group by account_id
),

engagement as (
    select account_id, days_since_last_touchpoint
    from {{ ref('fct_engagement') }}
),

welcome as (
    {%- if welcome['enabled'] %}
    select
        'welcome' as campaign,
        'once' as step,
        account_id,
        case when created_date >= {{ dbt.dateadd('day', -welcome['within_days'], as_of_date()) }}
            then 'account created ' || cast(created_date as {{ dbt.type_string() }})
            else 'first paid ' || cast(first_paid_date as {{ dbt.type_string() }})
        end as reason
    from accounts
    where journey_phase <> 'churned'
        and (
            created_date between {{ dbt.dateadd('day', -welcome['within_days'], as_of_date()) }} and {{ as_of_date() }}
            or first_paid_date between {{ dbt.dateadd('day', -welcome['within_days'], as_of_date()) }} and {{ as_of_date() }}
        )
    {%- else %}
    {{ disabled }}
    {%- endif %}
),

{%- if seq['enabled'] %}
sequence_days as (
    {%- for day in seq['days'] %}
    select {{ day }} as step_day{% if not loop.last %} union all{% endif %}
    {%- endfor %}
),

-- accounts that were in another phase at some point since their onboarding began: the sequence stopped
left_onboarding as (
    select distinct history.account_id
    from history
    inner join accounts on history.account_id = accounts.account_id
    where history.phase <> 'onboarding'
        and history.entered_as_of >= accounts.streak_start_date
),

sequence_due as (
    select
        accounts.account_id,
        accounts.days_in_streak,
        sequence_days.step_day,
        row_number() over (partition by accounts.account_id order by sequence_days.step_day desc) as latest
    from accounts
    cross join sequence_days
    where accounts.journey_phase = 'onboarding'
        and accounts.days_in_streak between sequence_days.step_day
            and sequence_days.step_day + {{ seq['max_late_days'] }}
        and accounts.account_id not in (select account_id from left_onboarding)
),
{%- endif %}

onboarding_sequence as (
    {%- if seq['enabled'] %}
    select
        'onboarding_sequence' as campaign,
        'day_' || cast(step_day as {{ dbt.type_string() }}) as step,
        account_id,
        'onboarding day ' || cast(days_in_streak as {{ dbt.type_string() }}) as reason
    from sequence_due
    where latest = 1
    {%- else %}
    {{ disabled }}
    {%- endif %}
),

pooled_reach_out as (
    {%- if pooled['enabled'] %}
    select
        'pooled_reach_out' as campaign,
        cast({{ as_of_date() }} as {{ dbt.type_string() }}) as step,
        accounts.account_id,
        case when pool_assignments.pool is not null then 'pooled (' || pool_assignments.pool || ')'
            else 'pooled segment ' || accounts.segment
        end as reason
    from accounts
    left join pool_assignments on accounts.account_id = pool_assignments.account_id
    left join engagement on accounts.account_id = engagement.account_id
    where accounts.is_paying
        and accounts.journey_phase not in ('onboarding', 'churned')
        -- "it has been a while since we last spoke" needs a while: paying for at least
        -- health.min_history_days and one reach-out period
        and {{ dbt.datediff('accounts.first_paid_date', as_of_date(), 'day') }}
            >= {{ [var('health_min_history_days'), pooled['every_days']] | max }}
        and (accounts.segment in {{ sql_list(pooled['segments']) if pooled['segments'] else "('')" }}
             or pool_assignments.pool is not null)
        {%- if pooled['touchpoint_resets'] %}
        and (engagement.days_since_last_touchpoint is null
             or engagement.days_since_last_touchpoint >= {{ pooled['every_days'] }})
        {%- endif %}
    {%- else %}
    {{ disabled }}
    {%- endif %}
),

targets as (
    select *, '{{ welcome["to"] }}' as recipients from welcome
    union all
    select *, '{{ seq["to"] }}' as recipients from onboarding_sequence
    union all
    select *, '{{ pooled["to"] }}' as recipients from pooled_reach_out
)

select
    targets.campaign,
    targets.step,
    targets.account_id,
    contacts.contact_id,
    targets.reason
from targets
inner join contacts on targets.account_id = contacts.account_id
where
    {%- for to, condition in recipient_filter.items() %}
    (targets.recipients = '{{ to }}' and {{ condition }}){% if not loop.last %} or{% endif %}
    {%- endfor %}
