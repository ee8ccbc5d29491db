package paykit

import (
	"context"
	"time"
)

// Store persists paykit's nouns. It holds no business rule: the Service checks
// every transition and the Store writes what it is told, so a second Store
// (PostgreSQL, say) is added by passing the storetest conformance suite.
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
//     TenantID.
//   - A missing row is an *Error with code ENOTFOUND; a unique-key clash is
//     ECONFLICT; anything else is wrapped with context.
//   - InTx runs fn in one transaction on the Tx it passes to fn: commit when fn
//     returns nil, roll back when it returns an error or panics (the panic is
//     re-raised). InTx on a Tx nests as a savepoint. Writes are serialized, so a
//     read-check-write inside InTx never races another writer.
//   - Outside InTx, reads see the last committed state and never wait for writes.
//   - Balance columns in UpdateAccountBalances are incremented atomically; a
//     guarded account (not AccountKindExternal) whose available balance would go
//     below zero is refused with ECONFLICT as a last line of defence.
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
	PayoutStore
	RequestStore
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
	PayoutTx
	RequestTx
}

// TenantStore reads tenants and their API keys.
type TenantStore interface {
	FindTenantByID(ctx context.Context, id string) (*Tenant, error)
	// FindTenants returns a page of every tenant, in ID order.
	FindTenants(ctx context.Context, f TenantFilter) ([]*Tenant, error)
	FindAPIKeyByHash(ctx context.Context, hash []byte) (*APIKey, error)
}

// TenantTx writes tenants and their API keys.
type TenantTx interface {
	CreateTenant(ctx context.Context, t *Tenant) error
	UpdateTenant(ctx context.Context, t *Tenant) error
	CreateAPIKey(ctx context.Context, k *APIKey) error
}

// LedgerStore reads accounts and transfers.
type LedgerStore interface {
	FindAccountByID(ctx context.Context, tenantID, id string) (*Account, error)
	// FindAccountByCode finds a system account by its code and currency.
	FindAccountByCode(ctx context.Context, tenantID, code string, c Currency) (*Account, error)
	FindAccounts(ctx context.Context, tenantID string, f AccountFilter) ([]*Account, error)
	FindTransferByID(ctx context.Context, tenantID, id string) (*Transfer, error)
	// LedgerSums returns the tenant's accounts and, per account ID, the balance
	// columns recomputed from its transfers (pending ones as pending, posted ones as
	// posted, voided ones not at all).
	LedgerSums(ctx context.Context, tenantID string) ([]*Account, map[string]BalanceDelta, error)
}

// LedgerTx writes accounts and transfers.
type LedgerTx interface {
	CreateAccount(ctx context.Context, a *Account) error
	UpdateAccountBalances(ctx context.Context, tenantID, id string, d BalanceDelta, now time.Time) error
	CreateTransfer(ctx context.Context, t *Transfer) error
	// UpdateTransfer writes Status and UpdatedAt.
	UpdateTransfer(ctx context.Context, t *Transfer) error
}

// EventStore reads the events outbox.
type EventStore interface {
	FindEvents(ctx context.Context, tenantID string, f EventFilter) ([]*Event, error)
	// FindEventByID returns the tenant's event with id. Returns ENOTFOUND.
	FindEventByID(ctx context.Context, tenantID, id string) (*Event, error)
	// FindEventsAfter returns up to limit events of every tenant whose Seq is
	// greater than seq, in Seq order.
	FindEventsAfter(ctx context.Context, seq int64, limit int) ([]*Event, error)
	// FindWebhookCursor returns the Seq of the last event fanned out, 0 before
	// the first.
	FindWebhookCursor(ctx context.Context) (int64, error)
}

// EventTx appends to the events outbox and moves the fan-out cursor.
//
// Fan-out reads the events table as a queue through FindEventsAfter and a
// persisted cursor, so AppendEvent must hand out Seq in commit order: once an
// event is visible, no event with a lower Seq may become visible later.
// SQLite, with one writer at a time, does so by construction.
type EventTx interface {
	// AppendEvent inserts e and sets e.Seq.
	AppendEvent(ctx context.Context, e *Event) error
	// UpdateWebhookCursor sets the Seq of the last event fanned out.
	UpdateWebhookCursor(ctx context.Context, seq int64) error
}

// IdempotencyStore reads idempotency records.
type IdempotencyStore interface {
	FindIdempotencyRecord(ctx context.Context, tenantID, key string) (*IdempotencyRecord, error)
}

// IdempotencyTx writes idempotency records.
type IdempotencyTx interface {
	// PutIdempotencyRecord inserts r, replacing an expired record with the same key.
	PutIdempotencyRecord(ctx context.Context, r *IdempotencyRecord) error
	// DeleteIdempotencyRecords deletes up to limit records expired at now, of
	// every tenant, and returns how many it deleted.
	DeleteIdempotencyRecords(ctx context.Context, now time.Time, limit int) (int, error)
}

// TokenStore reads payment tokens.
type TokenStore interface {
	FindTokenByID(ctx context.Context, tenantID, id string) (*Token, error)
	FindTokenByToken(ctx context.Context, tenantID, token string) (*Token, error)
	FindTokens(ctx context.Context, tenantID string, f TokenFilter) ([]*Token, error)
	// FindExpiredTokens returns up to limit active, unaccepted tokens of every
	// tenant whose ExpiresAt is at or before now, oldest expiry first.
	FindExpiredTokens(ctx context.Context, now time.Time, limit int) ([]*Token, error)
}

// TokenTx writes payment tokens.
type TokenTx interface {
	CreateToken(ctx context.Context, t *Token) error
	// UpdateToken writes every mutable field of t: Status, PaymentID, AcceptedAt,
	// ReservationID and UpdatedAt.
	UpdateToken(ctx context.Context, t *Token) error
}

// PaymentStore reads payments.
type PaymentStore interface {
	FindPaymentByID(ctx context.Context, tenantID, id string) (*Payment, error)
	FindPayments(ctx context.Context, tenantID string, f PaymentFilter) ([]*Payment, error)
}

// PaymentTx writes payments and leases them to the rail.
type PaymentTx interface {
	CreatePayment(ctx context.Context, p *Payment) error
	// UpdatePayment writes every mutable field of p: Status, FailureReason,
	// RailReference, SubmittedAt, LeaseUntil and UpdatedAt.
	UpdatePayment(ctx context.Context, p *Payment) error
	// ClaimPaymentsToSubmit leases, until leaseUntil, up to limit payments of every
	// tenant that are pending or processing, not yet submitted to the rail, and
	// not leased at now, and returns them with LeaseUntil set.
	ClaimPaymentsToSubmit(ctx context.Context, now, leaseUntil time.Time, limit int) ([]*Payment, error)
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
