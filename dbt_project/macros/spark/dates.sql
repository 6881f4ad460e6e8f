{#- Date arithmetic on Spark with DuckDB's meaning (dbt-duckdb's dateadd/datediff), overriding
    dbt-spark's versions, which add through unix seconds (wrong across month ends with timestamps
    without time zone) and count whole months where DuckDB counts month boundaries. -#}

{#- A date plus n units is a timestamp (as `date + interval` is on DuckDB); month ends clamp. -#}
{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) -%}
    {%- set unit = datepart | lower -%}
    {%- if unit == 'quarter' -%}
        timestampadd(MONTH, cast({{ interval }} as bigint) * 3, {{ from_date_or_timestamp }})
    {%- elif unit == 'week' -%}
        timestampadd(DAY, cast({{ interval }} as bigint) * 7, {{ from_date_or_timestamp }})
    {%- else -%}
        timestampadd({{ unit | upper }}, cast({{ interval }} as bigint), {{ from_date_or_timestamp }})
    {%- endif -%}
{%- endmacro %}

{#- Boundaries crossed between the two (DuckDB's date_diff): Jan 31 -> Feb 1 is one month. -#}
{% macro spark__datediff(first_date, second_date, datepart) -%}
    {%- set unit = datepart | lower -%}
    {%- if unit == 'day' -%}
        datediff(cast({{ second_date }} as date), cast({{ first_date }} as date))
    {%- elif unit == 'month' -%}
        ((year({{ second_date }}) * 12 + month({{ second_date }})) - (year({{ first_date }}) * 12 + month({{ first_date }})))
    {%- elif unit == 'year' -%}
        (year({{ second_date }}) - year({{ first_date }}))
    {%- elif unit == 'quarter' -%}
        ((year({{ second_date }}) * 4 + quarter({{ second_date }})) - (year({{ first_date }}) * 4 + quarter({{ first_date }})))
    {%- else -%}
        {{ dbt_spark.spark__datediff(first_date, second_date, datepart) }}
    {%- endif -%}
{%- endmacro %}
