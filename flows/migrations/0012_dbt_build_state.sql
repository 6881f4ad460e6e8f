-- 0012 what each run's dbt build was built from (issue 24: a daily run that costs what changed).
-- The next run compares against the latest row: models downstream of what changed since are
-- rebuilt, the rest is skipped (flows/build_plan.py).
create table if not exists ops.dbt_build_state (
    built_at         timestamp not null,
    as_of            date not null,
    code_hash        varchar not null,   -- dbt project files and the vars from config (as_of aside)
    ledger_mark      timestamp,          -- latest load or supersession in ops.load_ledger at build time
    ops_fingerprint  varchar,            -- the ops sources dbt reads, at the end of the run; null until then
    full_build       boolean not null,
    selected         varchar             -- dbt --select of a partial build; null for a whole build
);
