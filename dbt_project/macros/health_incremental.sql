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
        'min_history_days': var('health_min_history_days'), 'min_known_weight': var('health_min_known_weight'),
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
    models that score. The pieces are in macros/health_recompute_scope.sql, in CTE order. -#}
{% macro health_recompute_scope(usage=false, dated=false, components_cte=none, day_column='date_day',
                                keep_from=none, lookback_days=90) -%}
    {%- set keep_from = keep_from or health_history_start() -%}
    {{ health_scope_accounts(components_cte) }},
    {% if usage %}{{ health_usage_day_loads() }},{% endif %}
    {% if is_incremental() %}
    {{ health_prior_rows(day_column, dated) }},
    {{ health_recompute_start(day_column, usage) }},
    {{ health_scope_start_incremental(dated) }},
    {% else %}
    {{ health_scope_start_full() }},
    {% endif %}
    {{ health_scope(lookback_days) }}
    {% if is_incremental() %},
    {{ health_stale_keys(day_column, keep_from) }}
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

{#- The rows an incremental health model writes, from its CTE `rows_cte` of computed rows.
    DuckDB (and the default): those rows plus placeholders for the stale keys; delete+insert on
    (account_id, day) replaces or removes the prior rows, and a post-hook drops the placeholders. -#}
{% macro health_rows(rows_cte, day_column='date_day') -%}
    {{ return(adapter.dispatch('health_rows', 'steward')(rows_cte, day_column)) }}
{%- endmacro %}

{% macro default__health_rows(rows_cte, day_column) -%}
select * from {{ rows_cte }}
{{ health_stale_placeholders(day_column) }}
{%- endmacro %}

{#- Spark (plain Parquet: no row-level delete): the whole table in one insert_overwrite, as the
    computed rows plus the prior rows that are neither stale nor recomputed (a computed row wins
    its key). Only the accounts and days in scope are computed, as on DuckDB; the prior rows are
    read from a snapshot (health_prior_relation) because Spark cannot overwrite a table while the
    statement reads it. -#}
{% macro spark__health_rows(rows_cte, day_column) -%}
{%- if is_incremental() -%}
{%- set cols = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
select {{ cols | join(', ') }}
from (
    select *, row_number() over (partition by account_id, {{ day_column }} order by _is_prior) as _key_rank
    from (
        select {{ cols | join(', ') }}, 0 as _is_prior
        from {{ rows_cte }}
        union all
        select {% for c in cols %}prior_rows.{{ c }}, {% endfor %}1 as _is_prior
        from prior_rows
        left anti join stale_keys
            on prior_rows.account_id = stale_keys.account_id
            and prior_rows.{{ day_column }} = stale_keys.{{ day_column }}
    ) as candidates
) as ranked
where _key_rank = 1
{%- else -%}
select * from {{ rows_cte }}
{%- endif -%}
{%- endmacro %}

{#- Where an incremental health model reads its own prior rows: itself, or on Spark the snapshot
    its pre-hook takes (health_prior_snapshot) and its post-hook drops. -#}
{% macro health_prior_relation() -%}
    {%- if target.type == 'spark' -%}
    {{ return(this.incorporate(path={"identifier": this.identifier ~ "__prior"})) }}
    {%- endif -%}
    {{ return(this) }}
{%- endmacro %}

{% macro health_prior_snapshot(step) -%}
    {%- if is_incremental() -%}
    {%- if step == 'create' -%}
    create table {{ health_prior_relation() }} using parquet as select * from {{ this }}
    {%- else -%}
    drop table if exists {{ health_prior_relation() }}
    {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- The config every model of the incremental daily chain shares: rows keyed by account and day,
    replaced for the accounts and days a run recomputes (health_recompute_scope); a changed column
    list fails the run (the error says `steward run --full-refresh`) rather than guessing.
    DuckDB: delete+insert on the key. Spark: insert_overwrite of the table (spark__health_rows). -#}
{% macro health_incremental_config(day_column='date_day') -%}
    {%- if target.type == 'spark' -%}
    {{ config(
        materialized='incremental',
        incremental_strategy='insert_overwrite',
        file_format='parquet',
        on_schema_change='fail',
        pre_hook=["{{ health_prior_snapshot('drop') }}", "{{ health_prior_snapshot('create') }}"],
        post_hook="{{ health_prior_snapshot('drop') }}",
    ) }}
    {%- else -%}
    {{ config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['account_id', day_column],
        on_schema_change='fail',
        post_hook="{{ health_drop_placeholders() }}",
    ) }}
    {%- endif -%}
{%- endmacro %}
