-- Which ownership roles each account needs at as_of, and why (docs: ownership_rules). Rules, in order:
-- churned accounts need nobody (every role is released); a pooled segment's accounts are owned by
-- the pool `pool:<segment>`; every other account needs a CSM (named_csms restricts who, see
-- fct_ownership_candidates). On top of that owner: an onboarding specialist during the onboarding
-- period and a renewal manager while a term renewal is inside the window. Both follow the phase's
-- defining window, not the winning phase, so a red-health day (phase risk) does not strip an
-- onboarding specialist only to add them back the next day. Who gets a role is decided in Python
-- (flows/actions/assignments.py: CRM owner, stickiness, capacity-aware balancing).
{%- set pooled = var('ownership_pooled_segments') %}
{%- set named = var('ownership_named_csms') %}
{%- set onboarding_days = var('journey_onboarding_days') %}
with target as (
    select * from {{ ref('fct_account_phase_target') }}
),

accounts as (
    select account_id, account_name, segment, owner_csm_id, current_arr, first_paid_date
    from {{ ref('dim_accounts') }}
),

engagement as (
    select account_id, last_touchpoint_date
    from {{ ref('fct_engagement') }}
),

facts as (
    select
        target.account_id,
        accounts.account_name,
        accounts.segment,
        target.phase,
        target.days_in_streak,
        target.days_to_renewal,
        accounts.owner_csm_id,
        coalesce(accounts.current_arr, 0) as current_arr,
        engagement.last_touchpoint_date,
        -- new: inside the onboarding period of its first streak; reactivated: of a later streak
        case
            when target.days_in_streak >= {{ onboarding_days }} then 'existing'
            when target.streak_start_date > accounts.first_paid_date then 'reactivated'
            else 'new'
        end as lifecycle,
        {% if pooled %}accounts.segment in {{ sql_list(pooled) }}{% else %}false{% endif %} as is_pooled,
        {% if named %}accounts.segment in {{ sql_list(named.keys() | list) }}{% else %}false{% endif %} as is_named
    from target
    inner join accounts on target.account_id = accounts.account_id
    left join engagement on target.account_id = engagement.account_id
    where target.phase <> 'churned'
),

required as (
    -- the owner: a pool for pooled segments ...
    select
        account_id, 'pool' as role, 'pooled_segment' as rule,
        'pool:' || segment as assign_to,
        segment || ' accounts are pooled: contact at least every '
            || '{{ var("ownership_pool_contact_days") }}' || ' days' as reason
    from facts
    where is_pooled

    union all

    -- ... else a CSM (only named people for a named segment)
    select
        account_id, 'csm' as role,
        case when is_named then 'named_csms' else 'csm' end as rule,
        cast(null as {{ dbt.type_string() }}) as assign_to,
        case when is_named then segment || ' accounts go to named CSMs' else 'every active account has a CSM' end
            as reason
    from facts
    where not is_pooled

    {% if var('ownership_onboarding_specialist') and var('journey_default_phase') == 'onboarding' %}
    union all

    select
        account_id, 'onboarding_specialist' as role, 'onboarding_period' as rule,
        cast(null as {{ dbt.type_string() }}) as assign_to,
        'onboarding day ' || cast(days_in_streak as {{ dbt.type_string() }}) || ' of {{ onboarding_days }} ('
            || case lifecycle when 'reactivated' then 'reactivated' else 'new account' end || ')' as reason
    from facts
    where days_in_streak < {{ onboarding_days }}
    {% endif %}

    {% if var('ownership_renewal_manager') %}
    union all

    select
        account_id, 'renewal_manager' as role, 'renewal_window' as rule,
        cast(null as {{ dbt.type_string() }}) as assign_to,
        'renewal in ' || cast(days_to_renewal as {{ dbt.type_string() }}) || ' days' as reason
    from facts
    where days_to_renewal <= {{ var('ownership_renewal_window_days') }}
    {% endif %}
)

select
    required.account_id,
    required.role,
    required.rule,
    required.reason,
    required.assign_to,
    facts.account_name,
    facts.segment,
    facts.phase,
    facts.lifecycle,
    case when required.role = 'csm' then facts.owner_csm_id end as crm_owner_id,
    facts.current_arr,
    facts.last_touchpoint_date
from required
inner join facts on required.account_id = facts.account_id
