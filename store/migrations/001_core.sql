-- 001_core: the core nouns. Times are INTEGER unix microseconds UTC; money is
-- INTEGER minor units plus a currency code. Every tenant-scoped key and index
-- leads with tenant_id so that no query of one tenant scans another's rows.
--
-- Every B-tree a write touches costs a page in the WAL at commit, which is most
-- of a write's cost; so the hot tables are WITHOUT ROWID, keyed by
-- (tenant_id, id), and carry only the indexes a query needs.

CREATE TABLE tenants (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	locked     INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE api_keys (
	id         TEXT PRIMARY KEY,
	tenant_id  TEXT NOT NULL REFERENCES tenants (id),
	hash       BLOB NOT NULL UNIQUE,
	prefix     TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	revoked_at INTEGER
) STRICT;

CREATE INDEX api_keys_tenant ON api_keys (tenant_id);

-- The CHECK is the last line of defence behind the Service's own funds check: a
-- guarded account's available balance never goes below zero, whatever the code
-- above does.
CREATE TABLE accounts (
	tenant_id           TEXT NOT NULL REFERENCES tenants (id),
	id                  TEXT NOT NULL,
	kind                TEXT NOT NULL,
	currency            TEXT NOT NULL,
	code                TEXT NOT NULL DEFAULT '',
	name                TEXT NOT NULL DEFAULT '',
	business_account_id TEXT NOT NULL DEFAULT '',
	user_identity_id    TEXT NOT NULL DEFAULT '',
	external_storage    TEXT NOT NULL DEFAULT '',
	debits_pending      INTEGER NOT NULL DEFAULT 0,
	debits_posted       INTEGER NOT NULL DEFAULT 0,
	credits_pending     INTEGER NOT NULL DEFAULT 0,
	credits_posted      INTEGER NOT NULL DEFAULT 0,
	created_at          INTEGER NOT NULL,
	updated_at          INTEGER NOT NULL,
	CHECK (kind = 'external' OR credits_posted - debits_posted - debits_pending >= 0),
	PRIMARY KEY (tenant_id, id)
) STRICT, WITHOUT ROWID;

CREATE UNIQUE INDEX accounts_code ON accounts (tenant_id, code, currency) WHERE code <> '';
CREATE INDEX accounts_business ON accounts (tenant_id, business_account_id, id);
CREATE INDEX accounts_user ON accounts (tenant_id, user_identity_id, id);

CREATE TABLE transfers (
	tenant_id         TEXT NOT NULL REFERENCES tenants (id),
	id                TEXT NOT NULL,
	debit_account_id  TEXT NOT NULL,
	credit_account_id TEXT NOT NULL,
	amount            INTEGER NOT NULL,
	currency          TEXT NOT NULL,
	status            TEXT NOT NULL,
	kind              TEXT NOT NULL DEFAULT '',
	ref               TEXT NOT NULL DEFAULT '',
	created_at        INTEGER NOT NULL,
	updated_at        INTEGER NOT NULL,
	PRIMARY KEY (tenant_id, id),
	FOREIGN KEY (tenant_id, debit_account_id) REFERENCES accounts (tenant_id, id),
	FOREIGN KEY (tenant_id, credit_account_id) REFERENCES accounts (tenant_id, id)
) STRICT, WITHOUT ROWID;

CREATE TABLE events (
	-- The outbox order. Events are never deleted, so a plain rowid never
	-- repeats and needs no AUTOINCREMENT bookkeeping.
	seq        INTEGER PRIMARY KEY,
	id         TEXT NOT NULL UNIQUE,
	tenant_id  TEXT NOT NULL REFERENCES tenants (id),
	type       TEXT NOT NULL,
	subject_id TEXT NOT NULL DEFAULT '',
	data       TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL
) STRICT;

CREATE INDEX events_tenant ON events (tenant_id, seq);
CREATE INDEX events_subject ON events (tenant_id, subject_id, seq);

CREATE TABLE idempotency (
	tenant_id   TEXT NOT NULL REFERENCES tenants (id),
	key         TEXT NOT NULL,
	operation   TEXT NOT NULL,
	fingerprint BLOB NOT NULL,
	result      TEXT,
	err_code    TEXT NOT NULL DEFAULT '',
	err_message TEXT NOT NULL DEFAULT '',
	err_fields  TEXT,
	created_at  INTEGER NOT NULL,
	expires_at  INTEGER NOT NULL,
	PRIMARY KEY (tenant_id, key)
) STRICT;

CREATE INDEX idempotency_expiry ON idempotency (expires_at);

CREATE TABLE tokens (
	tenant_id         TEXT NOT NULL REFERENCES tenants (id),
	id                TEXT NOT NULL,
	token             TEXT NOT NULL,
	source_account_id TEXT NOT NULL DEFAULT '',
	amount_minor      INTEGER NOT NULL,
	currency          TEXT NOT NULL,
	memo              TEXT NOT NULL DEFAULT '',
	status            TEXT NOT NULL,
	expires_at        INTEGER NOT NULL,
	reservation_id    TEXT NOT NULL DEFAULT '',
	payment_id        TEXT NOT NULL DEFAULT '',
	accepted_at       INTEGER,
	created_at        INTEGER NOT NULL,
	updated_at        INTEGER NOT NULL,
	PRIMARY KEY (tenant_id, id)
) STRICT, WITHOUT ROWID;

CREATE UNIQUE INDEX tokens_token ON tokens (tenant_id, token);
-- The expiry sweep, across tenants, oldest expiry first. Only live, unaccepted
-- tokens are in it, so it stays small however many tokens have ended.
CREATE INDEX tokens_expiry ON tokens (expires_at, id)
	WHERE status = 'active' AND payment_id = '';

CREATE TABLE payments (
	tenant_id                      TEXT NOT NULL REFERENCES tenants (id),
	id                             TEXT NOT NULL,
	type                           TEXT NOT NULL,
	status                         TEXT NOT NULL,
	amount_minor                   INTEGER NOT NULL,
	currency                       TEXT NOT NULL,
	source_account_id              TEXT NOT NULL DEFAULT '',
	source_business_account_id     TEXT NOT NULL DEFAULT '',
	source_user_identity_id        TEXT NOT NULL DEFAULT '',
	source_external_storage        TEXT NOT NULL DEFAULT '',
	destination_account_id         TEXT NOT NULL DEFAULT '',
	destination_business_account_id TEXT NOT NULL DEFAULT '',
	destination_user_identity_id   TEXT NOT NULL DEFAULT '',
	destination_external_storage   TEXT NOT NULL DEFAULT '',
	payment_token_id               TEXT NOT NULL DEFAULT '',
	transfer_id                    TEXT NOT NULL DEFAULT '',
	rail_reference                 TEXT NOT NULL DEFAULT '',
	failure_reason                 TEXT NOT NULL DEFAULT '',
	submitted_at                   INTEGER,
	lease_until                    INTEGER,
	created_at                     INTEGER NOT NULL,
	updated_at                     INTEGER NOT NULL,
	PRIMARY KEY (tenant_id, id)
) STRICT, WITHOUT ROWID;

-- Keyset pagination: one index per sort order and per selective filter, each
-- ending in the sort key and id so a page is a range scan. A status or type
-- filter walks the sort order's index.
CREATE INDEX payments_created ON payments (tenant_id, created_at, id);
CREATE INDEX payments_amount ON payments (tenant_id, amount_minor, id);
CREATE INDEX payments_token ON payments (tenant_id, payment_token_id, created_at, id)
	WHERE payment_token_id <> '';
CREATE INDEX payments_source ON payments (tenant_id, source_account_id, created_at, id);
CREATE INDEX payments_destination ON payments (tenant_id, destination_account_id, created_at, id);
-- ClaimPaymentsToSubmit: only unsubmitted live payments are in it, so it stays
-- small however many payments have completed.
CREATE INDEX payments_due ON payments (created_at, id)
	WHERE submitted_at IS NULL AND status IN ('pending', 'processing');
