-- Placeholder so issue 20e's 0005 applies on this branch (numbers must have no gaps).
-- The lead deletes this file when merging: 0002 belongs to another issue.
select 1;
