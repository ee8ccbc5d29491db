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

-- GigPay's accountId filter under an amount sort: the payments an account
-- sends and receives, each by amount, merged (payments_source and
-- payments_destination serve the created_at sorts).
CREATE INDEX payments_source_amount ON payments (tenant_id, source_account_id, amount_minor, id);
CREATE INDEX payments_destination_amount ON payments (tenant_id, destination_account_id, amount_minor, id);

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
