-- Unknown is not zero: a playbook whose trigger reads utilisation needs a measured utilisation
-- (usage with user ids), one that reads a health band needs a band (not insufficient_data), one
-- that starts on the risk phase needs that phase to come from a red band.
{%- set checks = [] %}
{%- for pb in var('playbooks') %}
{%- set t = pb['trigger'] %}
{%- if t['utilisation_below'] is not none or t['utilisation_above'] is not none %}
{%- do checks.append("select playbook, account_id, 'utilisation unknown' as why from eligible where playbook = '"
                     ~ pb['name'] ~ "' and utilisation is null") %}
{%- endif %}
{%- if t['health_band'] or t['phase'] in ('risk', 'advocacy') %}
{%- do checks.append("select playbook, account_id, 'health band withheld' as why from eligible where playbook = '"
                     ~ pb['name'] ~ "' and coalesce(health_band, 'insufficient_data') not in ('red', 'amber', 'green')") %}
{%- endif %}
{%- endfor %}
with eligible as (
    select eligibility.playbook, eligibility.account_id, accounts.utilisation, accounts.health_band
    from {{ ref('fct_playbook_eligibility') }} as eligibility
    left join {{ ref('dim_accounts') }} as accounts on eligibility.account_id = accounts.account_id
)

{% if checks %}{{ checks | join('\nunion all\n') }}{% else %}select playbook, account_id, 'none' as why from eligible where false{% endif %}
