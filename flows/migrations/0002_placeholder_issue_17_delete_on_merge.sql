-- Placeholder so issue 17's 0003 applies on this branch (numbers must have no gaps).
-- The lead deletes this file when merging: 0002 belongs to another issue.
select 1;
