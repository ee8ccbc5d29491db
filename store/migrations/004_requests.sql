-- 004_requests: Memento payment requests, the payers they are sent to and the
-- merchants' settings. Times are INTEGER unix microseconds UTC; money is INTEGER
-- minor units plus a currency code.

-- One row per tenant that configured itself as a Memento merchant.
-- signing_key keys the HMAC of notify_url callbacks, so it is kept in the clear;
-- request_limits is a JSON object of currency code to minor units.
CREATE TABLE merchants (
	tenant_id            TEXT PRIMARY KEY REFERENCES tenants (id),
	signing_key          TEXT NOT NULL DEFAULT '',
	default_country_code TEXT NOT NULL,
	request_limits       TEXT NOT NULL DEFAULT '{}',
	created_at           INTEGER NOT NULL,
	updated_at           INTEGER NOT NULL
) STRICT;

CREATE TABLE payers (
	id         TEXT PRIMARY KEY,
	tenant_id  TEXT NOT NULL REFERENCES tenants (id),
	username   TEXT NOT NULL DEFAULT '', -- lower case
	phone      TEXT NOT NULL DEFAULT '', -- E.164
	merchant   INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX payers_username ON payers (tenant_id, username) WHERE username <> '';
CREATE UNIQUE INDEX payers_phone ON payers (tenant_id, phone) WHERE phone <> '';

CREATE TABLE requests (
	id             TEXT PRIMARY KEY,
	tenant_id      TEXT NOT NULL REFERENCES tenants (id),
	payer_id       TEXT NOT NULL REFERENCES payers (id),
	recipient      TEXT NOT NULL,
	amount_minor   INTEGER NOT NULL,
	currency       TEXT NOT NULL,
	description    TEXT NOT NULL DEFAULT '',
	image_url      TEXT NOT NULL DEFAULT '',
	order_ref      TEXT NOT NULL DEFAULT '',
	terminal       INTEGER,
	notify_url     TEXT NOT NULL DEFAULT '',
	status         TEXT NOT NULL,
	reason         TEXT NOT NULL DEFAULT '',
	transaction_id TEXT NOT NULL DEFAULT '',
	expires_at     INTEGER NOT NULL,
	completed_at   INTEGER,
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER NOT NULL
) STRICT;

CREATE INDEX requests_tenant ON requests (tenant_id, id);
CREATE INDEX requests_payer ON requests (tenant_id, payer_id, id);
-- The expiry sweep, across tenants, oldest expiry first; only pending requests
-- are in it, so it stays small however many requests have ended.
CREATE INDEX requests_expiry ON requests (expires_at, id) WHERE status = 'pending';
