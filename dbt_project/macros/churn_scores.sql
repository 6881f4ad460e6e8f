{#- Whether marts.fct_churn_risk exists (the daily run's model step creates it once a model was
    trained); var churn_risk_scores_exist overrides, for unit tests. Models reading the scores add
    `-- depends_on: {{ source('model', 'fct_churn_risk') }}` so the dependency is known at parse time. -#}
{% macro churn_scores_exist() -%}
    {%- set forced = var('churn_risk_scores_exist', none) -%}
    {%- if forced is not none -%}
        {{ return(forced) }}
    {%- endif -%}
    {%- if not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {{ return(adapter.get_relation(database=target.database, schema='marts', identifier='fct_churn_risk') is not none) }}
{%- endmacro %}

{#- CTE body: each account's latest churn score on or in the 7 days before as_of. -#}
{% macro latest_churn_scores() -%}
    select *
    from (
        select *, row_number() over (partition by account_id order by as_of desc) as recency
        from {{ source('model', 'fct_churn_risk') }}
        where as_of <= {{ as_of_date() }}
            and as_of > {{ dbt.dateadd('day', -7, as_of_date()) }}
    ) as ranked
    where recency = 1
{%- endmacro %}
