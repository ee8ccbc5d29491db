-- 010_gigstack: teams and billing accounts, clients, products, and the charge
-- side of payments. Times are INTEGER unix microseconds UTC; money is INTEGER
-- minor units plus a currency code. (Numbered 010 to stay clear of the
-- migrations other work may add.)

CREATE TABLE billing_accounts (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL
) STRICT;

-- One row per tenant configured as a team. metadata is a JSON object that
-- split billing matches; split is the canonical JSON of paykit.SplitBilling.
CREATE TABLE teams (
	tenant_id          TEXT PRIMARY KEY REFERENCES tenants (id),
	name               TEXT NOT NULL DEFAULT '',
	billing_account_id TEXT NOT NULL DEFAULT '',
	master             INTEGER NOT NULL DEFAULT 0,
	metadata           TEXT NOT NULL DEFAULT '{}',
	split              TEXT NOT NULL DEFAULT '{}',
	created_at         INTEGER NOT NULL,
	updated_at         INTEGER NOT NULL
) STRICT;

CREATE INDEX teams_billing_account ON teams (billing_account_id, tenant_id) WHERE billing_account_id <> '';

CREATE TABLE clients (
	tenant_id  TEXT NOT NULL REFERENCES tenants (id),
	id         TEXT NOT NULL,
	name       TEXT NOT NULL DEFAULT '',
	email      TEXT NOT NULL DEFAULT '',
	phone      TEXT NOT NULL DEFAULT '',
	rfc        TEXT NOT NULL DEFAULT '',
	legal_name TEXT NOT NULL DEFAULT '',
	tax_system TEXT NOT NULL DEFAULT '',
	use        TEXT NOT NULL DEFAULT '',
	address    TEXT NOT NULL DEFAULT '{}', -- JSON of paykit.Address
	metadata   TEXT NOT NULL DEFAULT '{}',
	origin     TEXT NOT NULL DEFAULT '',
	livemode   INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (tenant_id, id)
) STRICT, WITHOUT ROWID;

CREATE INDEX clients_created ON clients (tenant_id, created_at, id);
CREATE INDEX clients_email ON clients (tenant_id, email) WHERE email <> '';
CREATE INDEX clients_rfc ON clients (tenant_id, rfc) WHERE rfc <> '';

CREATE TABLE products (
	tenant_id   TEXT NOT NULL REFERENCES tenants (id),
	id          TEXT NOT NULL,
	name        TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	price_minor INTEGER NOT NULL,
	currency    TEXT NOT NULL,
	product_key TEXT NOT NULL DEFAULT '',
	unit_key    TEXT NOT NULL DEFAULT '',
	unit_name   TEXT NOT NULL DEFAULT '',
	sku         TEXT NOT NULL DEFAULT '',
	taxes       TEXT NOT NULL DEFAULT '[]', -- JSON of []paykit.Tax
	metadata    TEXT NOT NULL DEFAULT '{}',
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL,
	PRIMARY KEY (tenant_id, id)
) STRICT, WITHOUT ROWID;

CREATE INDEX products_created ON products (tenant_id, created_at, id);

-- A charge's client, its RFC and its metadata internal ID are columns, for the
-- filters and the per-tenant unique key; the rest of paykit.Charge is its
-- canonical JSON.
ALTER TABLE payments ADD COLUMN client_id TEXT NOT NULL DEFAULT '';
ALTER TABLE payments ADD COLUMN client_rfc TEXT NOT NULL DEFAULT '';
ALTER TABLE payments ADD COLUMN internal_id TEXT NOT NULL DEFAULT '';
ALTER TABLE payments ADD COLUMN link_token TEXT NOT NULL DEFAULT '';
ALTER TABLE payments ADD COLUMN charge TEXT NOT NULL DEFAULT '';

-- metadata.internalId is unique per team: the key decides between racing creates.
CREATE UNIQUE INDEX payments_internal_id ON payments (tenant_id, internal_id) WHERE internal_id <> '';
CREATE UNIQUE INDEX payments_link_token ON payments (link_token) WHERE link_token <> '';
CREATE INDEX payments_client ON payments (tenant_id, client_id, created_at, id) WHERE client_id <> '';
CREATE INDEX payments_rfc ON payments (tenant_id, client_rfc, created_at, id) WHERE client_rfc <> '';
