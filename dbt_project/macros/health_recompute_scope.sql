{#- The pieces of macro health_recompute_scope (macros/health_incremental.sql), one CTE group
    each, in the order it writes them. Each returns CTEs without a trailing comma. -#}

{#- health_facts, health_paid_subscriptions, history_accounts (the accounts paying on some day
    of the history: the ones daily health has rows for) and account_hashes (each account's
    undated facts + the health config [+ the skipped components], as _account_hash). -#}
{% macro health_scope_accounts(components_cte=none) -%}
    health_facts as (
        select * from {{ ref('int_health__input_facts') }}
    ),

    health_paid_subscriptions as (
        select * from {{ ref('int_subscriptions__normalised') }}
        where mrr > 0
    ),

    -- the accounts paying on some day of the history: the ones daily health has rows for
    history_accounts as (
        select distinct account_id
        from health_paid_subscriptions
        where end_date is null or end_date > {{ health_history_start() }}
    ),

    account_hashes as (
        select
            account_id,
            sum(fact_hash) + {{ health_config_hash() }}
            {% if components_cte %} + {{ health_components_hash(components_cte) }}{% endif %}
            as account_hash
        from health_facts
        where effective_date is null
        group by account_id
    )
{%- endmacro %}

{#- usage_day_loads: the latest load time of each usage day up to as_of. -#}
{% macro health_usage_day_loads() -%}
    -- latest load time of each usage day's rows
    usage_day_loads as (
        select usage_date, max(_max_loaded_at) as loaded_at
        from {{ ref('int_usage__feature_day_loads') }}
        where usage_date <= {{ as_of_date() }}
        group by usage_date
    )
{%- endmacro %}

{#- prior_rows (this model's rows), prior_last_days and prior_last_rows (each account's last row
    up to as_of) and, with dated=true, dated_hashes_now (the dated inputs up to that row, now). -#}
{% macro health_prior_rows(day_column, dated) -%}
    prior_rows as (
        select * from {{ health_prior_relation() }}
    ),

    prior_last_days as (
        select account_id, max({{ day_column }}) as last_day
        from prior_rows
        where {{ day_column }} <= {{ as_of_date() }}
        group by account_id
    ),

    prior_last_rows as (
        select prior_rows.*
        from prior_rows
        inner join prior_last_days
            on prior_rows.account_id = prior_last_days.account_id
            and prior_rows.{{ day_column }} = prior_last_days.last_day
    )
    {% if dated %},
    -- the dated inputs up to each account's last row, as they are now
    dated_hashes_now as (
        select prior_last_days.account_id, sum(health_facts.fact_hash) as dated_hash
        from prior_last_days
        inner join health_facts
            on prior_last_days.account_id = health_facts.account_id
            and health_facts.effective_date <= prior_last_days.last_day
        group by prior_last_days.account_id
    )
    {% endif %}
{%- endmacro %}

{#- recompute_start: the first day not computed yet, or (usage=true) the earliest usage day
    loaded after the rows were written; the history start after a backfill or on no rows. -#}
{% macro health_recompute_start(day_column, usage) -%}
    recompute_start as (
        select
            case
                when max({{ day_column }}) is null or max({{ day_column }}) > {{ as_of_date() }}
                    then {{ health_history_start() }}
                {# least() of one argument is an error on Spark: only with usage is there a second #}
                else greatest({{ health_history_start() }},
                    {% if usage %}least({% endif %}
                    cast({{ dbt.dateadd('day', 1, 'max(' ~ day_column ~ ')') }} as date)
                    {% if usage %}
                    , coalesce((select min(usage_date) from usage_day_loads
                                where loaded_at > (select coalesce(max(_usage_loaded_at), cast('1900-01-01' as timestamp))
                                                   from prior_rows)),
                               {{ as_of_date() }}))
                    {% endif %}
                )
            end as start_day
        from prior_rows
    )
{%- endmacro %}

{#- scope_start, incremental: each history account from recompute_start, or from the history
    start when it has no rows or its _account_hash (or, dated=true, _dated_hash) changed. -#}
{% macro health_scope_start_incremental(dated) -%}
    scope_start as (
        select
            history_accounts.account_id,
            case
                when prior_last_rows.account_id is null
                    or prior_last_rows._account_hash <> account_hashes.account_hash
                    {% if dated %}
                    or prior_last_rows._dated_hash <> coalesce(dated_hashes_now.dated_hash, 0)
                    {% endif %}
                    then {{ health_history_start() }}
                else recompute_start.start_day
            end as compute_from
        from history_accounts
        cross join recompute_start
        left join account_hashes on history_accounts.account_id = account_hashes.account_id
        left join prior_last_rows on history_accounts.account_id = prior_last_rows.account_id
        {% if dated %}
        left join dated_hashes_now on history_accounts.account_id = dated_hashes_now.account_id
        {% endif %}
    )
{%- endmacro %}

{#- scope_start, full refresh: every history account from the history start. -#}
{% macro health_scope_start_full() -%}
    scope_start as (
        select account_id, {{ health_history_start() }} as compute_from
        from history_accounts
    )
{%- endmacro %}

{#- scope: the accounts to compute up to as_of, with the first day their inputs are read from. -#}
{% macro health_scope(lookback_days) -%}
    scope as (
        select
            account_id,
            compute_from,
            cast({{ dbt.dateadd('day', -lookback_days, 'compute_from') }} as date) as spine_start
        from scope_start
        where compute_from <= {{ as_of_date() }}
    )
{%- endmacro %}

{#- stale_keys: existing rows this run replaces (from compute_from) or removes (accounts out of
    scope, days after as_of or before keep_from). -#}
{% macro health_stale_keys(day_column, keep_from) -%}
    stale_keys as (
        select prior_rows.account_id, prior_rows.{{ day_column }}
        from prior_rows
        left join scope_start on prior_rows.account_id = scope_start.account_id
        where scope_start.account_id is null
            or prior_rows.{{ day_column }} > {{ as_of_date() }}
            or prior_rows.{{ day_column }} < {{ keep_from }}
            or prior_rows.{{ day_column }} >= scope_start.compute_from
    )
{%- endmacro %}
