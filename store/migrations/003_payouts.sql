-- 003_payouts: the Gigapay nouns. Employees, invoices and payouts have a
-- surrogate uid (the primary key, which references use) and the client's id,
-- unique per tenant, so that changing an id is one UPDATE. Lists are newest
-- first by (created_at, uid): every list index ends in those two columns.

-- An integration is a tenant; owner_id is the tenant whose API keys manage it.
-- A NULL rate means the Service's default.
CREATE TABLE integrations (
	tenant_id        TEXT PRIMARY KEY REFERENCES tenants (id),
	owner_id         TEXT NOT NULL REFERENCES tenants (id),
	type             INTEGER NOT NULL,
	name             TEXT NOT NULL,
	logo             TEXT NOT NULL DEFAULT '',
	metadata         TEXT NOT NULL DEFAULT '{}',
	email            TEXT NOT NULL DEFAULT '',
	recipient        TEXT NOT NULL DEFAULT '',
	address_line_1   TEXT NOT NULL DEFAULT '',
	address_line_2   TEXT NOT NULL DEFAULT '',
	zip_code         TEXT NOT NULL DEFAULT '',
	city             TEXT NOT NULL DEFAULT '',
	payroll_rate     TEXT,
	income_tax_rate  TEXT,
	vat_rate         TEXT,
	fee_rate         TEXT,
	invoice_batching INTEGER NOT NULL DEFAULT 0,
	created_at       INTEGER NOT NULL,
	updated_at       INTEGER NOT NULL
) STRICT;

CREATE INDEX integrations_owner ON integrations (owner_id, created_at, tenant_id);

CREATE TABLE employees (
	uid              TEXT PRIMARY KEY,
	tenant_id        TEXT NOT NULL REFERENCES tenants (id),
	id               TEXT NOT NULL,
	name             TEXT NOT NULL,
	email            TEXT NOT NULL DEFAULT '',
	cellphone_number TEXT NOT NULL DEFAULT '',
	country          TEXT NOT NULL DEFAULT '',
	metadata         TEXT NOT NULL DEFAULT '{}',
	status           TEXT NOT NULL,
	created_at       INTEGER NOT NULL,
	notified_at      INTEGER,
	claimed_at       INTEGER,
	verified_at      INTEGER,
	resent_at        INTEGER,
	updated_at       INTEGER NOT NULL,
	UNIQUE (tenant_id, id)
) STRICT;

CREATE INDEX employees_created ON employees (tenant_id, created_at, uid);
CREATE INDEX employees_email ON employees (tenant_id, lower(email)) WHERE email <> '';
CREATE INDEX employees_cellphone ON employees (tenant_id, cellphone_number) WHERE cellphone_number <> '';

-- number is the invoice's place in one sequence across every tenant, never
-- reused (AUTOINCREMENT): its OCR payment reference derives from it. At most
-- one invoice per tenant and currency is open.
CREATE TABLE invoices (
	number      INTEGER PRIMARY KEY AUTOINCREMENT,
	uid         TEXT NOT NULL UNIQUE,
	tenant_id   TEXT NOT NULL REFERENCES tenants (id),
	id          TEXT NOT NULL,
	currency    TEXT NOT NULL,
	open        INTEGER NOT NULL,
	price_minor INTEGER NOT NULL,
	metadata    TEXT NOT NULL DEFAULT '{}',
	app_url     TEXT NOT NULL DEFAULT '',
	pdf_url     TEXT NOT NULL DEFAULT '',
	token       TEXT NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL,
	paid_at     INTEGER,
	updated_at  INTEGER NOT NULL,
	UNIQUE (tenant_id, id)
) STRICT;

CREATE UNIQUE INDEX invoices_open ON invoices (tenant_id, currency) WHERE open = 1;
CREATE INDEX invoices_created ON invoices (tenant_id, created_at, uid);

CREATE TABLE payouts (
	uid                   TEXT PRIMARY KEY,
	tenant_id             TEXT NOT NULL REFERENCES tenants (id),
	id                    TEXT NOT NULL,
	employee_uid          TEXT NOT NULL REFERENCES employees (uid),
	invoice_uid           TEXT NOT NULL REFERENCES invoices (uid),
	basis                 TEXT NOT NULL,
	currency              TEXT NOT NULL,
	amount_minor          INTEGER NOT NULL,
	invoiced_amount_minor INTEGER NOT NULL,
	cost_minor            INTEGER NOT NULL,
	fee_minor             INTEGER NOT NULL,
	payroll_minor         INTEGER NOT NULL,
	tax_minor             INTEGER NOT NULL,
	vat_minor             INTEGER NOT NULL,
	description           TEXT NOT NULL,
	metadata              TEXT NOT NULL DEFAULT '{}',
	start_at              INTEGER,
	end_at                INTEGER,
	status                TEXT NOT NULL,
	created_at            INTEGER NOT NULL,
	notified_at           INTEGER,
	accepted_at           INTEGER,
	disbursed_at          INTEGER,
	resent_at             INTEGER,
	updated_at            INTEGER NOT NULL,
	UNIQUE (tenant_id, id)
) STRICT;

CREATE INDEX payouts_created ON payouts (tenant_id, created_at, uid);
CREATE INDEX payouts_employee ON payouts (tenant_id, employee_uid, created_at, uid);
CREATE INDEX payouts_invoice ON payouts (tenant_id, invoice_uid, created_at, uid);
-- The foreign keys' lookups from employees and invoices.
CREATE INDEX payouts_employee_fk ON payouts (employee_uid);
CREATE INDEX payouts_invoice_fk ON payouts (invoice_uid);
