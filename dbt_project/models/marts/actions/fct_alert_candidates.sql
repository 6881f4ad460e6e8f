-- Desired state for ops.alerts: every alert that should be open at as_of, across the rules of
-- the catalogue (one int_alerts__<rule> model each; settings in var alert_rules). Adds severity,
-- routing and the reminder policy; flows/actions/alerts.py opens what is new, keeps what
-- persists, resolves what cleared. Routing: `owner` -> the rule's owner (task owner, CSM) or the
-- account's CSM (assigned, else CRM owner), else recipients.unassigned; `leader` -> recipients.cs_leader; `both` -> owner,
-- with the CS leader in copy.
{%- set rules = var('alert_rules') %}
with unioned as (
    {%- for rule in alert_rule_names() %}
    select rule, account_id, subject, owner_id, owner_email, title, details
    from {{ ref('int_alerts__' ~ rule) }}
    {%- if not rules[rule]['enabled'] %}
    where false  -- disabled in steward.yml (alerts.{{ rule }})
    {%- endif %}
    {{ "union all" if not loop.last }}
    {%- endfor %}
),

settings as (
    {%- for rule in alert_rule_names() %}
    select
        '{{ rule }}' as rule,
        '{{ rules[rule]["severity"] }}' as severity,
        '{{ rules[rule]["route"] }}' as route,
        cast({{ rules[rule]["realert_days"] if rules[rule]["realert_days"] is not none else "null" }} as integer) as realert_days
    {{ "union all" if not loop.last }}
    {%- endfor %}
),

-- the account's CSM: the current csm assignment (ops.assignments, as the last run left it), else
-- the CRM owner; pooled accounts (a pool owns them) fall back to the CRM owner or the catch-all
assigned as (
    select assignments.account_id, assignments.user_id, team.email
    from {{ ref('stg_ops__assignments') }} as assignments
    inner join {{ ref('stg_crm__team') }} as team on assignments.user_id = team.user_id
    where assignments.role = 'csm' and assignments.released_as_of is null
),

accounts as (
    select
        dim.account_id,
        coalesce(assigned.user_id, dim.owner_csm_id) as owner_csm_id,
        coalesce(assigned.email, dim.owner_email) as owner_email
    from {{ ref('dim_accounts') }} as dim
    left join assigned on dim.account_id = assigned.account_id
),

routed as (
    select
        unioned.rule,
        unioned.account_id,
        unioned.subject,
        settings.severity,
        settings.route,
        settings.realert_days,
        coalesce(unioned.owner_id, accounts.owner_csm_id) as owner_id,
        case when settings.route = 'leader' then '{{ var("cs_leader_recipient") }}'
             else coalesce(unioned.owner_email, accounts.owner_email, '{{ var("unassigned_recipient") }}')
        end as recipient,
        case when settings.route = 'both' then '{{ var("cs_leader_recipient") }}' end as cc_recipient,
        unioned.title,
        unioned.details
    from unioned
    inner join settings on unioned.rule = settings.rule
    left join accounts on unioned.account_id = accounts.account_id
)

select
    {{ surrogate_key(['rule', 'account_id', 'subject']) }} as fingerprint,
    *
from routed
