{#- On Spark, the sources (raw.* landed rows and the ops state dbt reads back) are tables over
    the workspace's Parquet lake (flows/lake.py writes it after the quality gate). Run as an
    on-run-start hook; on DuckDB the sources are the warehouse's own tables and this does nothing. -#}
{% macro register_lake_sources() -%}
    {{ return(adapter.dispatch('register_lake_sources', 'steward')()) }}
{%- endmacro %}

{% macro default__register_lake_sources() -%}
    select 1
{%- endmacro %}

{% macro spark__register_lake_sources() -%}
    {%- if execute and flags.WHICH in ('build', 'run', 'test', 'seed', 'snapshot') -%}
    {%- set lake = env_var('STEWARD_LAKE_URI', '../.steward/lake') -%}
    {%- set tables = {} -%}
    {%- for source in graph.sources.values() if source.schema in ('raw', 'ops') -%}
        {%- do tables.update({source.schema ~ '.' ~ source.identifier: source}) -%}
    {%- endfor -%}
    {%- for schema in ['raw', 'ops'] -%}
        {%- do run_query('create database if not exists ' ~ schema) -%}
    {%- endfor -%}
    {#- recreated every run: a landed file may have added a column; partitions are new batches -#}
    {%- for rel, source in tables.items() | sort -%}
        {%- do run_query('drop table if exists ' ~ rel) -%}
        {%- do run_query('create table ' ~ rel ~ " using parquet location '" ~ lake ~ '/' ~ source.schema ~ '/' ~ source.identifier ~ "'") -%}
        {%- if source.schema == 'raw' -%}{%- do run_query('alter table ' ~ rel ~ ' recover partitions') -%}{%- endif -%}
    {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}
