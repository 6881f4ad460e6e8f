-- steward serve (issue 20): the applied-action ledger and per-message email headers.

-- One row per line of the action log (<landing>/steward_actions/*.jsonl) a run has looked at:
-- a line is applied once (action_id), so reading the log again changes nothing.
create table if not exists ops.serve_actions (
    action_id      varchar primary key,
    kind           varchar not null,     -- alert.acknowledge | alert.snooze | alert.resolve | task.done | unsubscribe | survey.answer | webhook.<event>
    target         varchar,              -- alert id, task id, address or invitation id
    token_id       varchar,              -- the link token's id (one-shot links)
    acted_at       timestamp,            -- when the person clicked (UTC, from the log)
    source_file    varchar not null,
    line           integer not null,
    status         varchar not null,     -- applied | unchanged | rejected
    reason         varchar,              -- why rejected or unchanged, in one line
    applied_as_of  date not null,
    applied_at     timestamp not null
);

-- Extra headers of one message as JSON {name: value} (List-Unsubscribe on marketing mail).
alter table ops.outbox add column if not exists headers varchar;
