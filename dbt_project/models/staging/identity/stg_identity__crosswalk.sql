-- One row per billing customer, product account and support organization: the Steward (CRM) account it
-- is, by which rule, with what confidence. Rules, strongest first: the user's override; the exact id a
-- CRM field stores (accounts.billing_customer_id / product_account_id, or the CRM id a support
-- organization stores); the web or e-mail domain; the normalised company name. A record takes the
-- strongest rule that matches; if that rule points at two or more accounts it is ambiguous and matches
-- none (never merged by a guess), if none matches it is unmatched. Both are reported by the run summary
-- and `steward check`; their rows are held out of the marts.
-- A staging view because the billing, product and support staging models resolve their account ids
-- through it (so `--select staging` builds); marts.dim_identity_crosswalk publishes it.

with crm_accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

billing_customers as (
    select * from {{ ref('stg_billing__customers') }}
),

product_accounts as (
    select * from {{ ref('stg_product__accounts') }}
),

support_organizations as (
    select * from {{ ref('stg_support__organizations') }}
),

overrides as (
    select * from {{ ref('stg_crm__identity_overrides') }}
),

accounts as (
    select
        account_id,
        billing_customer_id,
        product_account_id,
        {{ normalise_domain('domain') }} as domain,
        {{ normalise_company_name('name') }} as company_name
    from crm_accounts
),

listed as (
    select 'billing' as system, customer_id as source_id, name, email, domain,
        cast(null as {{ dbt.type_string() }}) as crm_account_id
    from billing_customers
    union all
    select 'product', product_account_id, name, email, domain, null
    from product_accounts
    union all
    select 'support', organization_id, name, email, domain, crm_account_id
    from support_organizations
),

records as (
    select * from listed
    union all
    -- an override, or an id a CRM record stores, may name an id no customer file lists (its
    -- subscriptions or events still carry it; Amplitude exports no list of its groups)
    select distinct u.system, u.source_id, null, null, null, null
    from (
        select system, source_id from overrides
        union all
        select 'billing', billing_customer_id from crm_accounts where billing_customer_id is not null
        union all
        select 'product', product_account_id from crm_accounts where product_account_id is not null
    ) as u
    where not exists (select 1 from listed as l where l.system = u.system and l.source_id = u.source_id)
),

keyed as (
    select
        system,
        source_id,
        name,
        crm_account_id,
        coalesce({{ normalise_domain('domain') }}, {{ email_domain('email') }}) as domain,
        {{ normalise_company_name('name') }} as company_name
    from records
),

candidates as (
    select k.system, k.source_id, a.account_id, 'exact_id' as match_rule, 1 as strength, 1.0 as confidence
    from keyed as k
    inner join accounts as a
        on (k.system = 'billing' and a.billing_customer_id = k.source_id)
        or (k.system = 'product' and a.product_account_id = k.source_id)
        or (k.system = 'support' and a.account_id = k.crm_account_id)
    union all
    select k.system, k.source_id, a.account_id, 'domain', 2, 0.8
    from keyed as k inner join accounts as a on k.domain = a.domain
    union all
    select k.system, k.source_id, a.account_id, 'company_name', 3, 0.6
    from keyed as k inner join accounts as a on k.company_name = a.company_name
),

strongest as (
    select system, source_id, match_rule, confidence,
        count(distinct account_id) as n_candidates,
        min(account_id) as account_id,
        {{ string_agg_ordered('account_id', "', '", ['account_id'], distinct=true) }} as candidate_accounts
    from (
        select *, min(strength) over (partition by system, source_id) as best
        from candidates
    ) as c
    where strength = best
    group by system, source_id, match_rule, confidence
),

resolved as (
    select
        k.system,
        k.source_id,
        k.name as source_name,
        case when o.account_id is not null then o.account_id
             when s.n_candidates = 1 then s.account_id end as account_id,
        case when o.account_id is not null then 'override' else s.match_rule end as match_rule,
        cast(case when o.account_id is not null then 1.0
                  when s.n_candidates = 1 then s.confidence end as double) as confidence,
        case when o.account_id is not null or s.n_candidates = 1 then 'matched'
             when s.n_candidates > 1 then 'ambiguous'
             else 'unmatched' end as match_status,
        coalesce(s.n_candidates, 0) as n_candidates,
        s.candidate_accounts
    from keyed as k
    left join strongest as s on k.system = s.system and k.source_id = s.source_id
    left join overrides as o on k.system = o.system and k.source_id = o.source_id
)

select * from resolved
