package paykit

import (
	"context"
	"time"
)

// Store persists paykit's nouns. It holds no business rule: the Service checks
// every transition and the Store writes what it is told, so a second Store
// (PostgreSQL, say) is added by passing the storetest conformance suite.
//
// Contract:
//   - Every method that takes a tenantID touches only that tenant's rows; a row of
//     another tenant is ENOTFOUND. Methods without a tenantID are the lookups that
//     find tenants (FindAPIKeyByHash, FindTenantByID, FindTenants) and the
//     background sweeps, which return rows of every tenant, each carrying its
//     TenantID.
//   - A missing row is an *Error with code ENOTFOUND; a unique-key clash is
//     ECONFLICT; anything else is wrapped with context.
//   - InTx runs fn in one transaction on the Store it passes to fn: commit when fn
//     returns nil, roll back when it returns an error or panics (the panic is
//     re-raised). InTx on a transaction's Store nests as a savepoint. Writes are
//     serialized, so a read-check-write inside InTx never races another writer.
//   - Outside InTx, reads see the last committed state and never wait for writes.
//   - Balance columns in UpdateAccountBalances are incremented atomically; a
//     guarded account (not AccountKindExternal) whose available balance would go
//     below zero is refused with ECONFLICT as a last line of defence.
//   - Times are stored to the microsecond in UTC and come back as UTC.
type Store interface {
	InTx(ctx context.Context, fn func(tx Store) error) error

	CreateTenant(ctx context.Context, t *Tenant) error
	FindTenantByID(ctx context.Context, id string) (*Tenant, error)
	// FindTenants returns a page of every tenant, in ID order.
	FindTenants(ctx context.Context, f TenantFilter) ([]*Tenant, error)
	UpdateTenant(ctx context.Context, t *Tenant) error
	CreateAPIKey(ctx context.Context, k *APIKey) error
	FindAPIKeyByHash(ctx context.Context, hash []byte) (*APIKey, error)

	CreateAccount(ctx context.Context, a *Account) error
	FindAccountByID(ctx context.Context, tenantID, id string) (*Account, error)
	// FindAccountByCode finds a system account by its code and currency.
	FindAccountByCode(ctx context.Context, tenantID, code string, c Currency) (*Account, error)
	FindAccounts(ctx context.Context, tenantID string, f AccountFilter) ([]*Account, error)
	UpdateAccountBalances(ctx context.Context, tenantID, id string, d BalanceDelta, now time.Time) error
	CreateTransfer(ctx context.Context, t *Transfer) error
	FindTransferByID(ctx context.Context, tenantID, id string) (*Transfer, error)
	// UpdateTransfer writes Status and UpdatedAt.
	UpdateTransfer(ctx context.Context, t *Transfer) error
	// LedgerSums returns the tenant's accounts and, per account ID, the balance
	// columns recomputed from its transfers (pending ones as pending, posted ones as
	// posted, voided ones not at all).
	LedgerSums(ctx context.Context, tenantID string) ([]*Account, map[string]BalanceDelta, error)

	// AppendEvent inserts e and sets e.Seq.
	AppendEvent(ctx context.Context, e *Event) error
	FindEvents(ctx context.Context, tenantID string, f EventFilter) ([]*Event, error)

	FindIdempotencyRecord(ctx context.Context, tenantID, key string) (*IdempotencyRecord, error)
	// PutIdempotencyRecord inserts r, replacing an expired record with the same key.
	PutIdempotencyRecord(ctx context.Context, r *IdempotencyRecord) error
	// DeleteIdempotencyRecords deletes up to limit records expired at now, of
	// every tenant, and returns how many it deleted.
	DeleteIdempotencyRecords(ctx context.Context, now time.Time, limit int) (int, error)

	CreateToken(ctx context.Context, t *Token) error
	FindTokenByID(ctx context.Context, tenantID, id string) (*Token, error)
	FindTokenByToken(ctx context.Context, tenantID, token string) (*Token, error)
	FindTokens(ctx context.Context, tenantID string, f TokenFilter) ([]*Token, error)
	// UpdateToken writes every mutable field of t: Status, PaymentID, AcceptedAt,
	// ReservationID and UpdatedAt.
	UpdateToken(ctx context.Context, t *Token) error
	// FindExpiredTokens returns up to limit active, unaccepted tokens of every
	// tenant whose ExpiresAt is at or before now, oldest expiry first.
	FindExpiredTokens(ctx context.Context, now time.Time, limit int) ([]*Token, error)

	CreatePayment(ctx context.Context, p *Payment) error
	FindPaymentByID(ctx context.Context, tenantID, id string) (*Payment, error)
	FindPayments(ctx context.Context, tenantID string, f PaymentFilter) ([]*Payment, error)
	// UpdatePayment writes every mutable field of p: Status, FailureReason,
	// RailReference, SubmittedAt, LeaseUntil and UpdatedAt.
	UpdatePayment(ctx context.Context, p *Payment) error
	// ClaimPaymentsToSubmit leases, until leaseUntil, up to limit payments of every
	// tenant that are pending or processing, not yet submitted to the rail, and
	// not leased at now, and returns them with LeaseUntil set.
	ClaimPaymentsToSubmit(ctx context.Context, now, leaseUntil time.Time, limit int) ([]*Payment, error)

	// The stores of the larger domains are declared beside them.
	WebhookStore
	PayoutStore
	RequestStore
}
