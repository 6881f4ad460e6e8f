-- 0001 baseline: the ops schema of the release before migrations were versioned.
-- Every statement is idempotent (if not exists), so a warehouse built by that release (or by any
-- earlier one, which only had some of these columns) is brought to this shape in place and then
-- recorded as version 1. Migrations after this one are plain DDL and run exactly once each.

create schema if not exists raw;
create schema if not exists ops;

create table if not exists ops.load_ledger (
    batch_id        varchar not null,
    table_name      varchar not null,
    path            varchar not null,      -- relative to the landing folder
    content_hash    varchar not null,
    rows            bigint not null,
    loaded_at       timestamp not null,
    superseded_at   timestamp              -- set when a changed file replaced these rows
);

create table if not exists ops.runs (
    run_id          varchar primary key,
    as_of           date not null,
    started_at      timestamp not null,
    finished_at     timestamp,
    status          varchar not null,
    summary         json
);

create table if not exists ops.dbt_builds (
    as_of           date not null,             -- what the marts describe after this build
    finished_at     timestamp not null,
    models          integer not null,
    tests           integer not null
);

create table if not exists ops.alerts (
    alert_id        varchar primary key,
    fingerprint     varchar not null unique,   -- stable per (rule, account, subject)
    rule            varchar not null,
    account_id      varchar,
    subject         varchar not null,
    severity        varchar not null,
    owner_id        varchar,
    recipient       varchar not null,
    title           varchar not null,
    details         json,
    status          varchar not null,          -- open | acknowledged | snoozed | resolved
    first_as_of     date not null,
    last_seen_as_of date not null,
    resolved_as_of  date,
    notified_at     timestamp,
    created_at      timestamp not null
);

create table if not exists ops.account_phase_history (
    account_id      varchar not null,
    phase           varchar not null,          -- onboarding | adoption | risk | renewal | advocacy | churned
    entered_as_of   date not null,
    exited_as_of    date,                      -- null while current
    reason          varchar not null,          -- why the account entered this phase
    created_at      timestamp not null
);

create table if not exists ops.assignments (
    account_id      varchar not null,
    role            varchar not null,          -- csm | onboarding_specialist | renewal_manager | pool
    user_id         varchar not null,          -- a team user_id, or pool:<name> for pooled accounts
    assigned_as_of  date not null,
    released_as_of  date,                      -- null while current
    reason          varchar not null,
    created_at      timestamp not null
);
-- why a holding ended; `reason` keeps why it began (a row is never changed except to release it)
alter table ops.assignments add column if not exists release_reason varchar;

create table if not exists ops.tasks (
    task_id         varchar primary key,
    account_id      varchar,
    owner_id        varchar,                   -- team user_id or pool:<name>
    title           varchar not null,
    source          varchar not null,          -- pooled_contact | playbook:<name> | ...
    source_ref      varchar,                   -- what created it (playbook run id, episode)
    created_as_of   date not null,
    due_date        date not null,
    completed_as_of date,
    status          varchar not null,          -- open | done | cancelled
    created_at      timestamp not null
);

create table if not exists ops.playbook_runs (
    run_id              varchar primary key,
    playbook            varchar not null,
    account_id          varchar not null,
    episode_start       date not null,         -- first day of the trigger episode
    episode_ended_as_of date,                  -- the trigger stopped holding (null: still holds)
    status              varchar not null,      -- active | held_out | completed | exited | expired
    trigger_reason      varchar,
    owner_id            varchar,               -- the account's CSM when the run started
    segment             varchar,
    health_at_start     double,
    closed_as_of        date,
    close_reason        varchar,
    created_at          timestamp not null
);

create table if not exists ops.outbox (
    message_id          varchar primary key,
    idempotency_key     varchar not null unique,
    kind                varchar not null,      -- transactional | marketing
    category            varchar not null,      -- alert_digest | report | campaign | ...
    to_email            varchar not null,
    to_name             varchar,
    subject             varchar not null,
    text_body           varchar not null,
    html_body           varchar not null,
    attachments         json,                  -- [{filename, mime_type, content_id, content(base64)}]
    as_of               date,
    created_at          timestamp not null,
    status              varchar not null,      -- queued | sending | sent | failed | suppressed | unconfirmed
    attempts            integer not null default 0,
    transport           varchar,
    provider_message_id varchar,
    last_error          varchar,
    sent_at             timestamp
);

alter table ops.alerts add column if not exists cc_recipient varchar;
alter table ops.alerts add column if not exists snoozed_until date;
alter table ops.alerts add column if not exists acknowledged_at timestamp;
alter table ops.alerts add column if not exists changed_by varchar;
alter table ops.alerts add column if not exists manual_resolved boolean default false;
alter table ops.alerts add column if not exists last_notified_as_of date;
alter table ops.alerts add column if not exists notify_count integer default 0;

create table if not exists ops.campaign_sends (
    campaign        varchar not null,          -- welcome | onboarding_sequence | pooled_reach_out | <bulk name>
    step            varchar not null,          -- once | day_<n> (sequence) | as_of opening a reach-out period
    contact_id      varchar not null,
    email           varchar not null,          -- lower-cased: one address gets a campaign step once
    account_id      varchar,
    to_name         varchar,
    reason          varchar,                   -- why it was due (fct_campaign_targets.reason or the audience)
    due_as_of       date not null,             -- the day it was scheduled
    status          varchar not null,          -- pending | queued | cancelled
    idempotency_key varchar not null unique,   -- its outbox key: campaign:<campaign>:<step>:<contact_id>
    queued_as_of    date,
    note            varchar,                   -- why it was cancelled
    created_at      timestamp not null,
    primary key (campaign, step, contact_id),
    unique (campaign, step, email)
);

create table if not exists ops.suppressions (
    email       varchar primary key,           -- lower-cased
    reason      varchar not null,              -- unsubscribe | bounce | spam_report | manual
    source      varchar not null,
    created_at  timestamp not null
);

-- Surveys (flows/actions/surveys.py): one invitation per (survey, contact, period). The token is
-- the secret in the response link; invitation_id is the public id (marts, the outbox key, and the
-- response_id an imported answer gets). Responses are matched back by dbt (int_surveys__matches).
create table if not exists ops.survey_invitations (
    invitation_id   varchar primary key,       -- si_<hash of survey, contact, period>
    token           varchar not null unique,   -- secrets.token_urlsafe: never in marts, logs or keys
    survey          varchar not null,          -- nps | onboarding | <ad-hoc survey name>
    kind            varchar not null,          -- the contract's survey value answers carry: nps | onboarding | csat
    contact_id      varchar not null,
    account_id      varchar not null,
    email           varchar not null,
    period          varchar not null,          -- nps/ad-hoc: day sent; onboarding: day its stay began; once
    scale_min       integer not null,
    scale_max       integer not null,
    sent_as_of      date not null,
    reason          varchar not null,
    message_key     varchar not null,          -- ops.outbox idempotency key
    response_id     varchar,                   -- set once an answer is matched (landed or imported)
    responded_at    timestamp,
    score           double,
    created_at      timestamp not null,
    unique (survey, contact_id, period)
);
