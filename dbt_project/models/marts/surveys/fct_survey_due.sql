-- Desired state for surveys: one row per (survey, contact) that should be invited at as_of
-- (docs: surveys). flows/actions/surveys.py creates one invitation per (survey, contact,
-- period) from it, taking NPS rows in `priority` order up to surveys.nps.max_per_run.
--   nps: a contact of a paying account outside surveys.nps.exclude_phases, not invited to NPS
--     and not answering NPS within every_days, and not invited to any survey within
--     min_days_between_surveys. Longest-unsurveyed first, then champions, primary contacts.
--   onboarding: the primary contact of an account whose onboarding stay ended (today, per
--     fct_account_phase_target, or within within_days, per ops.account_phase_history) into a
--     phase other than churned; at most one per account within onboarding.every_days. Event
--     driven, so the gap between surveys does not hold it back.
{{ config(schema='actions') }}
with audience as (
    select * from {{ ref('fct_survey_audience') }}
),

nps_facts as (
    select
        *,
        -- the later of the last NPS invitation and the last NPS answer (either may be missing)
        case when last_nps_invited_date is null or last_nps_response_date > last_nps_invited_date
            then last_nps_response_date else last_nps_invited_date end as last_nps_date
    from audience
),

nps as (
    select
        'nps' as survey,
        contact_id,
        account_id,
        cast({{ as_of_date() }} as {{ dbt.type_string() }}) as period,
        case when last_nps_date is null then 'first NPS survey'
            else 'last NPS ' || cast(last_nps_date as {{ dbt.type_string() }}) end as reason,
        row_number() over (
            order by
                last_nps_date nulls first,
                case when is_champion then 0 else 1 end,
                case when is_primary then 0 else 1 end,
                {{ dbt.hash('contact_id') }}
        ) as priority
    from nps_facts
    where {{ 'true' if var('surveys_nps_enabled') else 'false' }}
        and is_paying
        and coalesce(journey_phase, 'unknown') not in {{ sql_list(var('surveys_nps_exclude_phases') + ['__none__']) }}
        and (last_nps_date is null
             or last_nps_date <= {{ dbt.dateadd('day', -var('surveys_nps_every_days'), as_of_date()) }})
        and (last_invited_date is null
             or last_invited_date <= {{ dbt.dateadd('day', -var('surveys_min_days_between'), as_of_date()) }})
),

stays as (
    select account_id, phase, entered_as_of, exited_as_of
    from {{ ref('stg_ops__account_phase_history') }}
    where entered_as_of <= {{ as_of_date() }}
),

target as (
    select account_id, phase from {{ ref('fct_account_phase_target') }}
),

onboarding_ended as (
    -- recorded: the stay ended within within_days and the next one is not churned
    select onboarding.account_id, onboarding.entered_as_of as onboarding_start, onboarding.exited_as_of as ended_on
    from stays as onboarding
    inner join stays as next_stay
        on onboarding.account_id = next_stay.account_id and next_stay.entered_as_of = onboarding.exited_as_of
    where onboarding.phase = 'onboarding'
        and onboarding.exited_as_of <= {{ as_of_date() }}
        and onboarding.exited_as_of >= {{ dbt.dateadd('day', -var('surveys_onboarding_within_days'), as_of_date()) }}
        and next_stay.phase <> 'churned'
    union all
    -- ending today: the target moved on; flows/actions/journey.py records it after this build
    select stays.account_id, stays.entered_as_of, {{ as_of_date() }}
    from stays
    inner join target on stays.account_id = target.account_id
    where stays.phase = 'onboarding'
        and (stays.exited_as_of is null or stays.exited_as_of > {{ as_of_date() }})
        and target.phase not in ('onboarding', 'churned')
),

recent_onboarding_surveys as (
    select distinct account_id
    from {{ ref('stg_ops__survey_invitations') }}
    where survey = 'onboarding'
        and sent_as_of > {{ dbt.dateadd('day', -var('surveys_onboarding_every_days'), as_of_date()) }}
),

onboarding as (
    select
        'onboarding' as survey,
        audience.contact_id,
        audience.account_id,
        cast(max(onboarding_ended.onboarding_start) as {{ dbt.type_string() }}) as period,
        'onboarding ended ' || cast(max(onboarding_ended.ended_on) as {{ dbt.type_string() }}) as reason,
        cast(0 as bigint) as priority
    from onboarding_ended
    inner join audience on onboarding_ended.account_id = audience.account_id and audience.is_primary
    inner join target on onboarding_ended.account_id = target.account_id
    where {{ 'true' if var('surveys_onboarding_enabled') else 'false' }}
        and target.phase <> 'churned'
        and onboarding_ended.account_id not in (select account_id from recent_onboarding_surveys)
    group by audience.contact_id, audience.account_id
)

select
    due.survey,
    due.contact_id,
    due.account_id,
    audience.email,
    audience.contact_name,
    audience.account_name,
    due.period,
    due.reason,
    due.priority
from (
    select * from nps
    union all
    select * from onboarding
) as due
inner join audience on due.contact_id = audience.contact_id
