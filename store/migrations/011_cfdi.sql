-- 011_cfdi: the fiscal identity of teams, tax invoices (CFDI) with the folio
-- counters of their series, and receipts. Times are INTEGER unix
-- microseconds UTC. An invoice or a receipt is the canonical JSON of its
-- paykit type, beside the columns its lists filter and order by.

ALTER TABLE teams ADD COLUMN fiscal TEXT NOT NULL DEFAULT ''; -- JSON of paykit.FiscalIdentity, or ''

-- One row per series of a team: its last folio. NextFolio increments it in
-- the transaction that issues the invoice, so a rollback gives the folio back.
CREATE TABLE cfdi_folios (
	tenant_id TEXT NOT NULL REFERENCES tenants (id),
	series    TEXT NOT NULL,
	last      INTEGER NOT NULL,
	PRIMARY KEY (tenant_id, series)
) STRICT, WITHOUT ROWID;

CREATE TABLE tax_invoices (
	tenant_id  TEXT NOT NULL REFERENCES tenants (id),
	id         TEXT NOT NULL,
	type       TEXT NOT NULL,
	status     TEXT NOT NULL,
	series     TEXT NOT NULL,
	folio      INTEGER NOT NULL,
	client_id  TEXT NOT NULL DEFAULT '',
	payment_id TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	invoice    TEXT NOT NULL,
	PRIMARY KEY (tenant_id, id)
) STRICT, WITHOUT ROWID;

-- A folio is unique in its series: the last line of defence of NextFolio.
CREATE UNIQUE INDEX tax_invoices_folio ON tax_invoices (tenant_id, series, folio);
CREATE INDEX tax_invoices_created ON tax_invoices (tenant_id, created_at, id);
CREATE INDEX tax_invoices_payment ON tax_invoices (tenant_id, payment_id) WHERE payment_id <> '';

CREATE TABLE receipts (
	tenant_id   TEXT NOT NULL REFERENCES tenants (id),
	id          TEXT NOT NULL,
	status      TEXT NOT NULL,
	client_id   TEXT NOT NULL DEFAULT '',
	payment_id  TEXT NOT NULL DEFAULT '',
	valid_until INTEGER NOT NULL,
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL,
	receipt     TEXT NOT NULL,
	PRIMARY KEY (tenant_id, id)
) STRICT, WITHOUT ROWID;

CREATE INDEX receipts_created ON receipts (tenant_id, created_at, id);
CREATE INDEX receipts_payment ON receipts (tenant_id, payment_id) WHERE payment_id <> '';
-- The expiry sweep's queue: live receipts by when they lapse.
CREATE INDEX receipts_due ON receipts (valid_until, id) WHERE status IN ('pending', 'open');
