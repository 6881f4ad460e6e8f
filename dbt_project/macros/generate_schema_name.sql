{#- Use the folder's schema name as is (staging, marts, ...) rather than dbt's
    default "<target>_<custom>" prefixing: analysts query marts.dim_accounts. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
