-- 002_webhooks: webhook endpoints, the fan-out cursor, deliveries and their
-- attempts.

-- Endpoint IDs may be chosen by the client, so they are unique per tenant only.
CREATE TABLE webhook_endpoints (
	tenant_id       TEXT NOT NULL REFERENCES tenants (id),
	id              TEXT NOT NULL,
	url             TEXT NOT NULL,
	events          TEXT NOT NULL DEFAULT '[]', -- JSON array of event types; [] is all
	scheme          TEXT NOT NULL,
	secret          TEXT NOT NULL,
	standard_secret TEXT NOT NULL DEFAULT '',
	enabled         INTEGER NOT NULL,
	disabled_reason TEXT NOT NULL DEFAULT '',
	description     TEXT NOT NULL DEFAULT '',
	headers         TEXT NOT NULL DEFAULT '{}', -- JSON object
	metadata        TEXT,                       -- JSON object, or NULL
	failing_since   INTEGER,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL,
	from_seq        INTEGER NOT NULL DEFAULT 0, -- the endpoint gets the events after it
	PRIMARY KEY (tenant_id, id)
) STRICT;

CREATE INDEX webhook_endpoints_created ON webhook_endpoints (tenant_id, created_at, from_seq, id);

-- One row: the seq of the last event fanned out into deliveries. It moves in
-- the same transaction as the deliveries it created, so an event is fanned out
-- exactly once.
CREATE TABLE webhook_cursor (
	id  INTEGER PRIMARY KEY CHECK (id = 1),
	seq INTEGER NOT NULL
) STRICT;

INSERT INTO webhook_cursor (id, seq) VALUES (1, 0);

-- A delivery goes to an endpoint (endpoint_id set; renaming or deleting the
-- endpoint cascades) or is a callback (endpoint_id NULL, url its target). Lanes
-- group deliveries by receiver: the endpoint, or the callback URL's host.
CREATE TABLE webhook_deliveries (
	id               TEXT PRIMARY KEY,
	tenant_id        TEXT NOT NULL REFERENCES tenants (id),
	event_id         TEXT NOT NULL REFERENCES events (id),
	event_type       TEXT NOT NULL,
	endpoint_id      TEXT,
	url              TEXT NOT NULL,
	host             TEXT NOT NULL,
	scheme           TEXT NOT NULL,
	secret           TEXT NOT NULL DEFAULT '',
	body             TEXT NOT NULL,
	status           TEXT NOT NULL,
	attempts         INTEGER NOT NULL DEFAULT 0,
	tries            INTEGER NOT NULL DEFAULT 0,
	next_attempt_at  INTEGER,
	last_attempt_at  INTEGER,
	last_status_code INTEGER NOT NULL DEFAULT 0,
	last_error       TEXT NOT NULL DEFAULT '',
	lease_until      INTEGER,
	created_at       INTEGER NOT NULL,
	updated_at       INTEGER NOT NULL,
	lane             TEXT NOT NULL GENERATED ALWAYS AS (coalesce('endpoint:' || endpoint_id, 'host:' || host)) VIRTUAL,
	FOREIGN KEY (tenant_id, endpoint_id) REFERENCES webhook_endpoints (tenant_id, id)
		ON UPDATE CASCADE ON DELETE CASCADE
) STRICT;

-- One delivery per (event, endpoint); it also serves the foreign key's cascades.
CREATE UNIQUE INDEX webhook_deliveries_endpoint_event ON webhook_deliveries (tenant_id, endpoint_id, event_id)
	WHERE endpoint_id IS NOT NULL;
CREATE INDEX webhook_deliveries_tenant ON webhook_deliveries (tenant_id, id);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (tenant_id, endpoint_id, id);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (tenant_id, event_id, id);
CREATE INDEX webhook_deliveries_status ON webhook_deliveries (tenant_id, status, id);
-- FindDueDeliveryLanes and ClaimDeliveries: only pending deliveries are in
-- these, so they stay small however many have finished.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
-- It ends with id, so that a claim reads its lane in order and stops at its
-- limit, and with lease_until, so that it skips leased rows in the index.
CREATE INDEX webhook_deliveries_lane ON webhook_deliveries (tenant_id, lane, next_attempt_at, id, lease_until)
	WHERE status = 'pending';

CREATE TABLE webhook_attempts (
	delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
	n           INTEGER NOT NULL,
	tenant_id   TEXT NOT NULL,
	url         TEXT NOT NULL,
	at          INTEGER NOT NULL,
	status_code INTEGER NOT NULL DEFAULT 0,
	response    TEXT NOT NULL DEFAULT '',
	error       TEXT NOT NULL DEFAULT '',
	duration_us INTEGER NOT NULL DEFAULT 0,
	succeeded   INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (delivery_id, n)
) STRICT, WITHOUT ROWID;
