-- Desired state for playbooks: one row per (playbook, account) whose trigger holds at as_of
-- (every condition of the trigger, ANDed; var playbooks from steward.yml). flows/actions/playbooks.py
-- turns a new stretch of eligibility into one run per trigger episode and closes runs whose
-- condition cleared. Churned accounts only match a playbook that asks for phase churned.
{%- set playbooks = var('playbooks') %}
with accounts as (
    select
        accounts.account_id,
        accounts.segment,
        accounts.current_arr,
        accounts.health_band,
        accounts.utilisation,
        phase.phase
    from {{ ref('dim_accounts') }} as accounts
    inner join {{ ref('fct_account_phase_target') }} as phase on accounts.account_id = phase.account_id
),

renewal as (
    select account_id, min(days_to_renewal) as days_to_renewal
    from {{ ref('int_subscriptions__next_renewal') }}
    where mrr > 0 and billing_interval in {{ sql_list(var('revenue_renewal_intervals')) }}
    group by account_id
),

alerts as (
    select distinct rule, account_id
    from {{ ref('fct_alert_candidates') }}
    where account_id is not null
),

facts as (
    select accounts.*, renewal.days_to_renewal
    from accounts
    left join renewal on accounts.account_id = renewal.account_id
)

{%- if playbooks | length == 0 %}
select
    cast(null as {{ dbt.type_string() }}) as playbook,
    cast(null as {{ dbt.type_string() }}) as account_id,
    cast(null as {{ dbt.type_string() }}) as trigger_reason
where false
{%- else %}
{%- for pb in playbooks %}
{%- set t = pb['trigger'] %}
{{ "union all" if not loop.first }}
select
    '{{ pb["name"] }}' as playbook,
    facts.account_id,
    concat_ws('; '
        {%- if t['phase'] %}, 'phase ' || facts.phase{% endif %}
        {%- if t['health_band'] %}, 'health ' || facts.health_band{% endif %}
        {%- if t['renewal_within_days'] is not none %}, 'renewal in ' || cast(facts.days_to_renewal as {{ dbt.type_string() }}) || ' days'{% endif %}
        {%- if t['utilisation_below'] is not none or t['utilisation_above'] is not none %}, 'utilisation ' || cast(round(facts.utilisation, 2) as {{ dbt.type_string() }}){% endif %}
        {%- if t['alert_rule'] %}, 'alert {{ t["alert_rule"] }}'{% endif %}
    ) as trigger_reason
from facts
where true
    {%- if t['phase'] %}
    and facts.phase = '{{ t["phase"] }}'
    {%- else %}
    and facts.phase <> 'churned'
    {%- endif %}
    {%- if t['health_band'] %}
    and facts.health_band = '{{ t["health_band"] }}'
    {%- endif %}
    {%- if t['renewal_within_days'] is not none %}
    and facts.days_to_renewal <= {{ t['renewal_within_days'] }}
    {%- endif %}
    {%- if t['utilisation_below'] is not none %}
    and facts.utilisation < {{ t['utilisation_below'] }}
    {%- endif %}
    {%- if t['utilisation_above'] is not none %}
    and facts.utilisation > {{ t['utilisation_above'] }}
    {%- endif %}
    {%- if t['alert_rule'] %}
    and exists (select 1 from alerts where alerts.account_id = facts.account_id and alerts.rule = '{{ t["alert_rule"] }}')
    {%- endif %}
    {%- if t['segments'] %}
    and facts.segment in {{ sql_list(t['segments']) }}
    {%- endif %}
    {%- if t['min_arr'] is not none %}
    and facts.current_arr >= {{ t['min_arr'] }}
    {%- endif %}
{%- endfor %}
{%- endif %}
