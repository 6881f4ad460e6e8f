-- Who may hold each ownership role for each segment's accounts (docs: ownership_rules): active team
-- members with the role; for a segment in ownership.named_csms only the people named there (any
-- active team member, usually CSMs). Pools need no candidates: the rule names the pool.
-- Capacity is the team table's; flows/actions/assignments.py balances new accounts on load ÷ capacity.
{%- set named_pairs = [] %}
{%- for seg, users in var('ownership_named_csms').items() %}
    {%- for user_id in users %}{% do named_pairs.append((seg, user_id)) %}{% endfor %}
{%- endfor %}
{%- set pooled = var('ownership_pooled_segments') %}
with team as (
    select user_id, name, role, capacity
    from {{ ref('stg_crm__team') }}
    where active
),

segments as (
    select distinct segment
    from {{ ref('stg_crm__accounts') }}
    where segment is not null
),

named as (
    {% for seg, user_id in named_pairs %}
    select '{{ seg }}' as segment, '{{ user_id }}' as user_id{% if not loop.last %} union all{% endif %}
    {% else %}
    select cast(null as {{ dbt.type_string() }}) as segment, cast(null as {{ dbt.type_string() }}) as user_id where 1 = 0
    {% endfor %}
),

csm as (
    select segments.segment, 'csm' as role, team.user_id, team.name, team.capacity,
           case when named_segments.segment is not null then 'named' else 'role' end as basis
    from segments
    cross join team
    left join (select distinct segment from named) as named_segments on segments.segment = named_segments.segment
    left join named on segments.segment = named.segment and team.user_id = named.user_id
    where (named_segments.segment is null and team.role = 'csm')
        or named.user_id is not null
),

specialists as (
    select segments.segment, team.role, team.user_id, team.name, team.capacity, 'role' as basis
    from segments
    cross join team
    where team.role in ('onboarding_specialist', 'renewal_manager')
)

select * from csm
{% if pooled %}where segment not in {{ sql_list(pooled) }}{% endif %}
union all
select * from specialists
