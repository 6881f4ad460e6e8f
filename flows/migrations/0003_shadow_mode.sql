-- 0003 shadow mode (issue 17): decisions a shadow run made are kept as state (so switching to
-- live does not replay them) but flagged, and their emails are never sent (outbox status 'shadow').
alter table ops.alerts add column if not exists shadow boolean default false;
alter table ops.playbook_runs add column if not exists shadow boolean default false;
alter table ops.tasks add column if not exists shadow boolean default false;
alter table ops.campaign_sends add column if not exists shadow boolean default false;
alter table ops.survey_invitations add column if not exists shadow boolean default false;
