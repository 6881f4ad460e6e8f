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
    ranked as (
        select
            *,
            row_number() over (
                partition by event_id order by _loaded_at desc, _source_file desc, _source_row desc
            ) as version_rank
        from scoped
    ),
    events as (
        select * from ranked where version_rank = 1
    )
{%- endmacro %}

{#- Incremental usage models drop days after as_of first, so a backfill of a past as_of leaves
    no row after it and the next later run re-aggregates those days. -#}
{% macro drop_usage_after_as_of() -%}
    {% if is_incremental() %}delete from {{ this }} where usage_date > {{ as_of_date() }}{% endif %}
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
