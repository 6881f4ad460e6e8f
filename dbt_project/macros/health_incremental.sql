{#- Incremental daily health. Each daily health table carries three meta columns that say what
    its rows were computed from, so a run can tell which rows are stale (docs: health_incremental):
      _account_hash     inputs that can change any day of an account (paid subscriptions, champions,
                        segment) plus the health config (and for scores, the skipped components)
      _dated_hash       inputs dated on or before the row's day (touchpoints, NPS, tickets, invoices)
      _usage_loaded_at  latest load time of the usage behind the row's day and every day before it
    Hashes are sums of per-fact hashes, so a sum over facts up to a day is a running sum. -#}

{#- A fact's text as a 40-bit integer, so thousands of them sum without overflow. -#}
{% macro health_fact_hash(expr) -%}
    {{ return(adapter.dispatch('health_fact_hash', 'steward')(expr)) }}
{%- endmacro %}

{% macro default__health_fact_hash(expr) -%}
    cast(('x' || substr(md5({{ expr }}), 1, 10))::bit(40) as bigint)
{%- endmacro %}

{% macro spark__health_fact_hash(expr) -%}
    pmod(xxhash64({{ expr }}), 1099511627776)
{%- endmacro %}

{% macro duckdb__health_fact_hash(expr) -%}
    cast(hash({{ expr }}) % 1099511627776 as bigint)
{%- endmacro %}

{#- One text per fact: its columns joined with '|', nulls as empty strings. -#}
{% macro health_fact_text(kind, columns) -%}
    {%- set parts = ["'" ~ kind ~ "'"] -%}
    {%- for c in columns -%}
        {%- do parts.append("'|'") -%}
        {%- do parts.append("coalesce(cast(" ~ c ~ " as " ~ dbt.type_string() ~ "), '')") -%}
    {%- endfor -%}
    {{ dbt.concat(parts) }}
{%- endmacro %}

{#- The health config every daily health row depends on, as one hash. -#}
{% macro health_config_hash() -%}
    {%- set config = {
        'weights': var('health_weights'), 'red_below': var('health_red_below'),
        'green_from': var('health_green_from'), 'key_features': var('health_key_features'),
        'sticky_features': var('health_sticky_features'), 'cadence_days': var('health_cadence_days'),
        'full_utilisation': var('health_full_utilisation'), 'history_days': var('health_history_days'),
        'min_history_days': var('health_min_history_days', 30), 'min_known_weight': var('health_min_known_weight', 0.5),
    } -%}
    {{ health_fact_hash("'" ~ tojson(config, sort_keys=true) | replace("'", "''") ~ "'") }}
{%- endmacro %}

{#- Which components are skipped (CTE of int_health__components rows), as one hash. -#}
{% macro health_components_hash(components_cte) -%}
    (select sum({{ health_fact_hash(health_fact_text('component', ['component', 'is_skipped'])) }})
     from {{ components_cte }})
{%- endmacro %}

{#- CTEs `scope` (account_id, compute_from, spine_start) and, when incremental, `stale_keys`
    (account_id, <day_column>): the accounts whose rows this run computes, each from its
    compute_from to as_of (inputs read from spine_start = compute_from - lookback_days, the
    model's longest window, so every window is full), and the existing rows this run replaces
    or removes.
    Full refresh: every account paying on some day of the history, from the history start.
    Incremental: from the first day not computed yet, or earlier when usage of an earlier day was
    (re)loaded since (usage=true); an account whose _account_hash changed, or that has no rows, from
    the history start; an account whose inputs dated up to its last row changed (dated=true), from
    its history start too. A backfill (as_of before the last day) recomputes everything; rows after
    as_of or before keep_from (default: the history start) are removed. components_cte (the
    int_health__components rows) adds which components are skipped to _account_hash, for the
    models that score. -#}
{% macro health_recompute_scope(usage=false, dated=false, components_cte=none, day_column='date_day',
                                keep_from=none, lookback_days=90) -%}
    {%- set keep_from = keep_from or health_history_start() -%}
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
    ),

    {% if usage %}
    -- latest load time of each usage day's rows
    usage_day_loads as (
        select usage_date, max(_max_loaded_at) as loaded_at
        from {{ ref('fct_usage_daily') }}
        where usage_date <= {{ as_of_date() }}
        group by usage_date
    ),
    {% endif %}

    {% if is_incremental() %}
    prior_rows as (
        select * from {{ this }}
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
    ),

    {% if dated %}
    -- the dated inputs up to each account's last row, as they are now
    dated_hashes_now as (
        select prior_last_days.account_id, sum(health_facts.fact_hash) as dated_hash
        from prior_last_days
        inner join health_facts
            on prior_last_days.account_id = health_facts.account_id
            and health_facts.effective_date <= prior_last_days.last_day
        group by prior_last_days.account_id
    ),
    {% endif %}

    recompute_start as (
        select
            case
                when max({{ day_column }}) is null or max({{ day_column }}) > {{ as_of_date() }}
                    then {{ health_history_start() }}
                else greatest({{ health_history_start() }}, least(
                    cast({{ dbt.dateadd('day', 1, 'max(' ~ day_column ~ ')') }} as date)
                    {% if usage %}
                    , coalesce((select min(usage_date) from usage_day_loads
                                where loaded_at > (select coalesce(max(_usage_loaded_at), cast('1900-01-01' as timestamp))
                                                   from prior_rows)),
                               {{ as_of_date() }})
                    {% endif %}
                ))
            end as start_day
        from prior_rows
    ),

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
    ),
    {% else %}
    scope_start as (
        select account_id, {{ health_history_start() }} as compute_from
        from history_accounts
    ),
    {% endif %}

    scope as (
        select
            account_id,
            compute_from,
            cast({{ dbt.dateadd('day', -lookback_days, 'compute_from') }} as date) as spine_start
        from scope_start
        where compute_from <= {{ as_of_date() }}
    )

    {% if is_incremental() %},
    stale_keys as (
        select prior_rows.account_id, prior_rows.{{ day_column }}
        from prior_rows
        left join scope_start on prior_rows.account_id = scope_start.account_id
        where scope_start.account_id is null
            or prior_rows.{{ day_column }} > {{ as_of_date() }}
            or prior_rows.{{ day_column }} < {{ keep_from }}
            or prior_rows.{{ day_column }} >= scope_start.compute_from
    )
    {% endif %}
{%- endmacro %}

{#- Rows that only carry the key of a stale row: delete+insert on (account_id, day) then deletes
    the stale row, and the post-hook health_drop_placeholders removes the placeholder. -#}
{% macro health_stale_placeholders(day_column='date_day') -%}
    {%- if is_incremental() -%}
    union all
    select
        {% for col in adapter.get_columns_in_relation(this) -%}
        {%- if col.name in ('account_id', day_column) -%}stale_keys.{{ col.name }}{%- else -%}null{%- endif -%}
        {{ "," if not loop.last }}
        {% endfor -%}
    from stale_keys
    {%- endif -%}
{%- endmacro %}

{% macro health_drop_placeholders() -%}
    {% if is_incremental() %}delete from {{ this }} where _account_hash is null{% endif %}
{%- endmacro %}

{#- The config every model of the incremental daily chain shares: rows keyed by account and day,
    replaced for the accounts and days a run recomputes (health_recompute_scope); a changed column
    list fails the run (the error says `steward run --full-refresh`) rather than guessing. -#}
{% macro health_incremental_config(day_column='date_day') -%}
    {{ config(
        materialized=incremental_unless_spark(),
        incremental_strategy='delete+insert',
        unique_key=['account_id', day_column],
        on_schema_change='fail',
        post_hook="{{ health_drop_placeholders() }}",
    ) }}
{%- endmacro %}
