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
