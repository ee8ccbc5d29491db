-- 040_portable: what the Store contract needed to hold on more than one database.
--
-- Fan-out claims events instead of following a cursor (see FindEventsToFanOut):
-- on a database where transactions commit out of sequence order, a cursor
-- could pass an event that became visible after it. An event is done when it
-- has a fanned_out_at; the events before the old cursor are done.
ALTER TABLE events ADD COLUMN fanned_out_at INTEGER;
UPDATE events SET fanned_out_at = created_at WHERE seq <= (SELECT seq FROM webhook_cursor WHERE id = 1);
CREATE INDEX events_to_fan_out ON events (seq) WHERE fanned_out_at IS NULL;
DROP TABLE webhook_cursor;

-- Search and case-insensitive matches compare text folded by the Store's one
-- rule (fold.go), stored beside the text, so that every database matches
-- alike: SQLite's lower() and LIKE fold ASCII only, PostgreSQL's depend on
-- the server's locale. A search column holds the searched fields, folded and
-- joined by newlines.
ALTER TABLE clients ADD COLUMN search TEXT NOT NULL DEFAULT '';
UPDATE clients SET search = paykit_fold(name || char(10) || legal_name || char(10) || email || char(10) || rfc);

ALTER TABLE employees ADD COLUMN search TEXT NOT NULL DEFAULT '';
ALTER TABLE employees ADD COLUMN email_fold TEXT NOT NULL DEFAULT '';
UPDATE employees SET search = paykit_fold(name || char(10) || email || char(10) || cellphone_number),
	email_fold = paykit_fold(email);
DROP INDEX employees_email;
CREATE INDEX employees_email ON employees (tenant_id, email_fold) WHERE email <> '';

ALTER TABLE payouts ADD COLUMN search TEXT NOT NULL DEFAULT '';
UPDATE payouts SET search = paykit_fold(description);
