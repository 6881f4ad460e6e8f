{#- The usage events an incremental usage model must (re)aggregate, deduplicated by event_id.
    Full refresh: every event up to as_of. Incremental: every event of each day that is new
    (after the model's last day) or that a file loaded since the last run touched, so a late or
    replaced partition re-aggregates its whole day. The model needs usage_date and _max_loaded_at. -#}
{% macro usage_events_to_process() -%}
    events_in_range as (
        select *, cast(occurred_at as date) as usage_date
        from {{ ref('stg_product__usage_events') }}
        where cast(occurred_at as date) <= {{ as_of_date() }}
    ),
    {{ usage_days_after_watermark('events_in_range', '_loaded_at') }}
    scoped as (
        select * from events_in_range
        {% if is_incremental() %}
        where usage_date in (select usage_date from days_to_process)
        {% endif %}
    ),
    {{ latest_event_versions('scoped') }}
{%- endmacro %}

{#- CTE `events`: one row per event_id of `rel`, its latest version (loaded last, then the later
    file and row), with a constant-1 `version_rank`. Every version of an id is compared. -#}
{% macro latest_event_versions(rel) -%}
    {{ return(adapter.dispatch('latest_event_versions', 'steward')(rel)) }}
{%- endmacro %}

{#- CTE `ranked`: rows of `rel` (those matching `where`) numbered newest first within their event_id. -#}
{% macro rank_event_versions(rel, where='true') -%}
    ranked as (
        select
            *,
            row_number() over (
                partition by event_id order by _loaded_at desc, _source_file desc, _source_row desc
            ) as version_rank
        from {{ rel }}
        where {{ where }}
    )
{%- endmacro %}

{% macro default__latest_event_versions(rel) -%}
    {{ rank_event_versions(rel) }},
    events as (
        select * from ranked where version_rank = 1
    )
{%- endmacro %}

{#- DuckDB: almost every event id has one version, and sorting all of them by id to find that out
    was the costliest operator at tier M. A grouped (hash) count finds the few ids loaded twice;
    only their rows are ranked. Same rows as default__ (at M: 7.7 s against 17.7 s). -#}
{% macro duckdb__latest_event_versions(rel) -%}
    duplicated as (
        select event_id from {{ rel }} group by event_id having count(*) > 1
    ),
    {{ rank_event_versions(rel, 'event_id in (select event_id from duplicated)') }},
    events as (
        select *, 1 as version_rank
        from {{ rel }}
        where event_id not in (select event_id from duplicated)
        union all by name
        select * from ranked where version_rank = 1
    )
{%- endmacro %}

{#- The config the incremental usage models share: a run replaces whole usage days (the days
    usage_days_after_watermark picks), after dropping the days after as_of. DuckDB and the other
    adapters: delete+insert by usage_date. Spark: the table is partitioned by usage_date and a run
    overwrites the partitions it writes (insert_overwrite, which dbt-spark runs in dynamic
    partition mode), the same rows with no row-level delete. -#}
{% macro usage_day_incremental_config(tags=[]) -%}
    {%- if target.type == 'spark' -%}
    {{ config(materialized='incremental', incremental_strategy='insert_overwrite', partition_by=['usage_date'],
              file_format='parquet', on_schema_change='fail', pre_hook="{{ drop_usage_after_as_of() }}", tags=tags) }}
    {%- else -%}
    {{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='usage_date',
              on_schema_change='fail', pre_hook="{{ drop_usage_after_as_of() }}", tags=tags) }}
    {%- endif -%}
{%- endmacro %}

{#- Incremental usage models drop days after as_of first, so a backfill of a past as_of leaves
    no row after it and the next later run re-aggregates those days. -#}
{% macro drop_usage_after_as_of() -%}
    {{ return(adapter.dispatch('drop_usage_after_as_of', 'steward')()) }}
{%- endmacro %}

{% macro default__drop_usage_after_as_of() -%}
    {% if is_incremental() %}delete from {{ this }} where usage_date > {{ as_of_date() }}{% endif %}
{%- endmacro %}

{#- Spark (plain Parquet tables have no DELETE): the day partitions after as_of are dropped. -#}
{% macro spark__drop_usage_after_as_of() -%}
    {%- if is_incremental() and execute -%}
    {%- set later = run_query("select distinct cast(usage_date as string) from " ~ this
                              ~ " where usage_date > " ~ as_of_date() ~ " order by 1") -%}
    {%- if later.rows | length > 0 -%}
    alter table {{ this }} drop if exists
    {%- for row in later.rows %} partition (usage_date = '{{ row[0] }}'){{ "," if not loop.last }}{% endfor %}
    {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- The rows of `upstream` (int_usage__user_feature_daily) an incremental usage model must
    (re)aggregate: every day after the model's last day, or whose upstream rows were loaded after
    the model's last load (the same days usage_events_to_process picks from the events). -#}
{% macro usage_days_to_process(upstream) -%}
    upstream_in_range as (
        select * from {{ upstream }}
        where usage_date <= {{ as_of_date() }}
    ),
    {{ usage_days_after_watermark('upstream_in_range', '_max_loaded_at') }}
    usage_rows as (
        select * from upstream_in_range
        {% if is_incremental() %}
        where usage_date in (select usage_date from days_to_process)
        {% endif %}
    )
{%- endmacro %}

{#- The shared watermark of the incremental usage models (CTEs `watermark`, `days_to_process`,
    each followed by a comma; nothing on a full refresh): the days of `rows_cte` after the
    model's last day, or holding rows loaded after the model's last load. -#}
{% macro usage_days_after_watermark(rows_cte, loaded_at_column) -%}
    {% if is_incremental() %}
    watermark as (
        select max(usage_date) as max_date, max(_max_loaded_at) as max_loaded_at from {{ this }}
    ),
    days_to_process as (
        select distinct {{ rows_cte }}.usage_date
        from {{ rows_cte }}
        cross join watermark
        where watermark.max_date is null
            or {{ rows_cte }}.usage_date > watermark.max_date
            or {{ rows_cte }}.{{ loaded_at_column }} > watermark.max_loaded_at
    ),
    {% endif %}
{%- endmacro %}
