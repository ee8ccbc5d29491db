-- 002_lists: every list route reads its page from an index in the list's
-- order and stops there, at any depth (issue 15; store/plans_test.go checks
-- each route's plans). Each index below says what it serves.
-- The same indexes as SQLite's 041_lists.sql, by the same statements.

-- A token is accepted once, into one payment (CheckInvariants holds it): a
-- unique index makes GigPay's paymentTokenId filter one row under any sort,
-- where an index ordered by created_at left an amount sort to the whole
-- amount index.
DROP INDEX payments_token;
CREATE UNIQUE INDEX payments_token ON payments (tenant_id, payment_token_id) WHERE payment_token_id <> '';

-- An employee's and an invoice's payouts, newest first. Led by the
-- employee's or invoice's uid, each also serves its foreign key's lookups, so
-- payouts_employee_fk and payouts_invoice_fk go: a payout is two index
-- entries cheaper to write.
DROP INDEX payouts_employee;
DROP INDEX payouts_employee_fk;
CREATE INDEX payouts_employee ON payouts (employee_uid, tenant_id, created_at, uid);
DROP INDEX payouts_invoice;
DROP INDEX payouts_invoice_fk;
CREATE INDEX payouts_invoice ON payouts (invoice_uid, tenant_id, created_at, uid);

-- The employees with an email or a cellphone number, newest first.
DROP INDEX employees_email;
CREATE INDEX employees_email ON employees (tenant_id, email_fold, created_at, uid) WHERE email <> '';
DROP INDEX employees_cellphone;
CREATE INDEX employees_cellphone ON employees (tenant_id, cellphone_number, created_at, uid) WHERE cellphone_number <> '';

-- How many payouts and employees each tenant has: the count of a Gigapay
-- list without filters, which a COUNT(*) would read from a whole index, is
-- the sum of a few rows here. Triggers keep it, so every insert and delete
-- counts, whichever statement makes it. A transaction counts in the shard of
-- its transaction id, so that concurrent writers of one tenant's payouts
-- seldom wait for one another's row lock (SQLite's single writer uses shard
-- 0 alone), and never take two shards of one list, so they cannot deadlock
-- on them.
CREATE TABLE list_counts (
	tenant_id TEXT NOT NULL REFERENCES tenants (id),
	list      TEXT NOT NULL,
	shard     BIGINT NOT NULL,
	n         BIGINT NOT NULL,
	PRIMARY KEY (tenant_id, list, shard)
);

INSERT INTO list_counts (tenant_id, list, shard, n) SELECT tenant_id, 'payouts', 0, COUNT(*) FROM payouts GROUP BY tenant_id;
INSERT INTO list_counts (tenant_id, list, shard, n) SELECT tenant_id, 'employees', 0, COUNT(*) FROM employees GROUP BY tenant_id;

CREATE FUNCTION paykit_count_rows() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	tenant TEXT;
	delta  BIGINT := 1;
BEGIN
	IF TG_OP = 'INSERT' THEN
		tenant := NEW.tenant_id;
	ELSE
		tenant := OLD.tenant_id;
		delta := -1;
	END IF;
	INSERT INTO list_counts (tenant_id, list, shard, n) VALUES (tenant, TG_TABLE_NAME, txid_current() % 16, delta)
		ON CONFLICT (tenant_id, list, shard) DO UPDATE SET n = list_counts.n + delta;
	RETURN NULL;
END $$;

CREATE TRIGGER payouts_counted AFTER INSERT OR DELETE ON payouts FOR EACH ROW EXECUTE FUNCTION paykit_count_rows();
CREATE TRIGGER employees_counted AFTER INSERT OR DELETE ON employees FOR EACH ROW EXECUTE FUNCTION paykit_count_rows();

-- A search of payouts matches their description or their employee's name,
-- email or cellphone number: a copy of the employee's search text on each
-- payout (CreatePayout writes it, UpdateEmployee keeps it) lets the search
-- read payouts alone, where a join looked each payout's employee up.
ALTER TABLE payouts ADD COLUMN employee_search TEXT NOT NULL DEFAULT '';
UPDATE payouts SET employee_search = COALESCE((SELECT e.search FROM employees e WHERE e.uid = payouts.employee_uid), '');
