{#- Identity resolution helpers (docs/identity.md). Plain string functions DuckDB and Postgres share. -#}

{% macro normalise_domain(expr) -%}
    {#- https://www.Acme.com/pricing -> acme.com; empty -> null -#}
    nullif(regexp_replace(regexp_replace(lower(trim({{ expr }})), '^[a-z]+://', ''), '^www\.|[/:?#].*$', '', 'g'), '')
{%- endmacro %}

{% macro email_domain(expr) -%}
    {#- the domain of an address, unless it is a free-mail provider (one domain, many companies) -#}
    case when {{ normalise_domain("split_part(" ~ expr ~ ", '@', 2)") }} not in (
        'gmail.com', 'googlemail.com', 'yahoo.com', 'hotmail.com', 'outlook.com', 'live.com', 'icloud.com',
        'me.com', 'aol.com', 'proton.me', 'protonmail.com', 'gmx.de', 'gmx.net', 'web.de', 'mail.com')
        then {{ normalise_domain("split_part(" ~ expr ~ ", '@', 2)") }} end
{%- endmacro %}

{% macro normalise_company_name(expr) -%}
    {#- 'ACME, Inc.' and 'Acme Inc' -> 'acme': lower case, punctuation out, legal suffixes dropped -#}
    nullif(trim(regexp_replace(regexp_replace(lower(trim({{ expr }})), '[^a-z0-9 ]', ' ', 'g'),
        '\s+(inc|incorporated|llc|ltd|limited|gmbh|ag|sa|sas|bv|nv|plc|corp|corporation|co|company|oy|ab|pty)\s*$|\s+',
        ' ', 'g')), '')
{%- endmacro %}

{% macro resolved_account_id(system, expr) -%}
    {#- A CRM account id stays; another system's id becomes the account the crosswalk matched it to, or
        null when it is unmatched or ambiguous (those rows are held out and reported, never guessed).
        expr must be qualified by its table (source.account_id): both lookups have an account_id too. -#}
    coalesce(
        (select max(a.account_id) from {{ ref('stg_crm__accounts') }} a where a.account_id = {{ expr }}),
        (select max(x.account_id) from {{ ref('stg_identity__crosswalk') }} x
         where x.system = '{{ system }}' and x.source_id = {{ expr }})
    )
{%- endmacro %}
