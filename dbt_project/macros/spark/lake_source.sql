{#- On Spark, the landed rows (raw) and the ops state dbt reads back (ops) are the workspace's
    Parquet lake, written by flows/lake.py after the quality gate: a source renders as a direct
    read of its folder (parquet.`<lake>/raw/accounts`, load-batch partitions discovered), so no
    metastore has to know them. Everywhere else, and for other sources, dbt's own source(). -#}
{% macro source(source_name, table_name) -%}
    {%- set rel = builtins.source(source_name, table_name) -%}
    {%- if target.type == 'spark' and rel.schema in ('raw', 'ops') -%}
        {%- do return("parquet.`" ~ var('lake_uri') ~ '/' ~ rel.schema ~ '/'
                      ~ rel.identifier ~ "`") -%}
    {%- endif -%}
    {%- do return(rel) -%}
{%- endmacro %}

{#- The materialization of the incremental usage and health chains: incremental on DuckDB; on
    Spark a full rebuild each run, because their hooks delete rows (drop_usage_after_as_of,
    health_drop_placeholders) and their delete+insert keys (account and day) have no equivalent
    on plain Parquet tables (insert_overwrite replaces whole partitions). -#}
{% macro incremental_unless_spark() -%}
    {{ return('table' if target.type == 'spark' else 'incremental') }}
{%- endmacro %}
