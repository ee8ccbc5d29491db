-- 007_retention: what the retention sweep reads (Service.RunDue purges
-- finished deliveries, with their attempts, and the events no delivery needs
-- any more, once they are older than the retention period).
--
-- Events are deleted from now on, oldest first, but never the newest one: seq
-- is the rowid, and SQLite gives a new row the largest rowid plus one, so the
-- newest row left keeps every later seq above the fan-out cursor.

CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (updated_at) WHERE status <> 'pending';
CREATE INDEX events_created ON events (created_at);
-- Deleting an event makes SQLite look for the deliveries that reference it
-- (the foreign key): without an index led by event_id, a scan of them all.
CREATE INDEX webhook_deliveries_event_fk ON webhook_deliveries (event_id);
