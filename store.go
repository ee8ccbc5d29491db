package paykit

import (
	"context"
)

// Store persists paykit's nouns. It holds no business rule: the Service checks
// every transition and the Store writes what it is told, so a Store on
// another database is added by passing the storetest conformance suite, as
// package store does on SQLite and on PostgreSQL.
//
// The contract is split by what may change state: a Store only reads, and the
// writes are on the Tx that InTx hands to its function, so a write outside a
// transaction does not compile. Each noun declares its pair of interfaces: the
// reads (TokenStore, PaymentStore, ...) and the writes (TokenTx, PaymentTx, ...).
//
// Contract:
//   - Every method that takes a tenantID touches only that tenant's rows; a row of
//     another tenant is ENOTFOUND. Methods without a tenantID are the lookups that
//     find tenants (FindAPIKeyByHash, FindTenantByID, FindTenants) and the
//     background sweeps, which return rows of every tenant, each carrying its
//     TenantID. Integrations are found by the account that manages them
//     (FindIntegrationByID, FindIntegrations): the account's own and those it
//     owns, each a tenant of its own.
//   - A missing row is an *Error with code ENOTFOUND; a unique-key clash is
//     ECONFLICT; a failure of the store's resources that a later retry may not
//     meet (a file it cannot open, memory, disk space, a lock held too long) is
//     EUNAVAILABLE, which the dialects answer 503 with Retry-After; anything
//     else is wrapped with context.
//   - InTx runs fn in one transaction on the Tx it passes to fn: commit when fn
//     returns nil, roll back when it returns an error or panics (the panic is
//     re-raised). InTx on a Tx nests as a savepoint.
//   - InTx may run fn more than once: a store on a database that ends
//     transactions it cannot serialize (a deadlock, a serialization failure,
//     a key taken by a transaction that committed after fn looked) rolls back
//     and runs fn again, a bounded number of times, with backoff. fn must
//     therefore act only through its Tx, and set only what the next run sets
//     again. The Service's functions are written so.
//   - Inside InTx, a row fn reads is held until the transaction ends: a
//     concurrent transaction reading or writing that row waits for this one,
//     and then sees what it committed. So a read-check-write of a row (a
//     funds check, a status transition) never races another writer, in this
//     process or another. A store with a single writer (SQLite) holds every
//     row by holding the database; a store on a database server locks the
//     rows read (SELECT ... FOR UPDATE).
//   - The claims (Claim*, ClaimEventsToFanOut) and the sweeps (FindExpired*)
//     run inside InTx pass over the rows another transaction holds, so that
//     any number of processes share the work, each row done by one of them.
//   - A write that finds its key taken (Create*, AppendEvent,
//     PutIdempotencyRecord) or a balance it may not take below zero
//     (UpdateAccountBalances) returns ECONFLICT and changes nothing, and the
//     transaction stays usable: fn may go on, as fan-out does.
//   - Outside InTx, reads see the last committed state and never wait for writes.
//   - Balance columns in UpdateAccountBalances are incremented atomically; a
//     guarded account (not AccountKindExternal) whose available balance would go
//     below zero is refused with ECONFLICT, and a CHECK constraint in the
//     database stays behind it as a last line of defence.
//   - A Search filter is a case-insensitive substring match under simple case
//     folding (strings.EqualFold's rule: "JOSÉ" finds "josé", "ß" only "ß"),
//     the same in every store, whatever the database's locale.
//   - Times are stored to the microsecond in UTC and come back as UTC.
type Store interface {
	// InTx runs fn in one transaction; see the contract above.
	InTx(ctx context.Context, fn func(tx Tx) error) error

	TenantStore
	LedgerStore
	EventStore
	IdempotencyStore
	TokenStore
	PaymentStore
	WebhookStore
	IntegrationStore
	EmployeeStore
	InvoiceStore
	PayoutStore
	RequestStore
	TeamStore
	ClientStore
	ProductStore
	TaxInvoiceStore
	ReceiptStore
	NodeStore
	NetworkStore
	Web3PaymentStore
}

// Tx is a Store inside a transaction: every read of Store, which sees the
// transaction's own writes, and the writes.
type Tx interface {
	Store

	TenantTx
	LedgerTx
	EventTx
	IdempotencyTx
	TokenTx
	PaymentTx
	WebhookTx
	IntegrationTx
	EmployeeTx
	InvoiceTx
	PayoutTx
	RequestTx
	TeamTx
	ClientTx
	ProductTx
	TaxInvoiceTx
	ReceiptTx
	NodeTx
	NetworkTx
	Web3PaymentTx
}

// inTx runs fn in one transaction of st and returns what fn returns, for the
// writes that need no idempotency (leases, sweeps); see write for the rest.
func inTx[T any](ctx context.Context, st Store, fn func(tx Tx) (T, error)) (T, error) {
	var out T
	err := st.InTx(ctx, func(tx Tx) error {
		var err error
		out, err = fn(tx)
		return err
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return out, nil
}
