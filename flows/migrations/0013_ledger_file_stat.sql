-- 0013 the size and modification time (ns) of each loaded file, as seen before it was hashed
-- (issue 24: a day with nothing new). Ingest skips hashing a landing file whose path, size and
-- mtime equal its current ledger entry's; null (rows loaded before this migration) means "hash it".
alter table ops.load_ledger add column file_size bigint;
alter table ops.load_ledger add column file_mtime_ns bigint;
