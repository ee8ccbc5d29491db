-- 003_events_by_seq: as SQLite's 042_events_by_seq.sql, the retention sweep
-- finds old events by seq, and events_created goes.
DROP INDEX events_created;
