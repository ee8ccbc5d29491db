// Package storetest is the conformance suite every paykit.Store must pass.
//
// A Store implementation runs it from its own tests:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) paykit.Store { return MustOpen(t) })
//	}
//
// The suite speaks only the paykit.Store interface, so it checks the contract
// written in the root package's store.go, not any one implementation.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
)

// Base is the time the suite's rows are stamped around: UTC, to the microsecond.
var Base = time.Date(2025, 3, 14, 15, 9, 26, 535897000, time.UTC)

// Run runs every conformance test against a fresh, empty Store from open for
// each top-level test. open should register any cleanup with t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) paykit.Store) {
	for _, tt := range []struct {
		name string
		fn   func(*testing.T, paykit.Store)
	}{
		{"InTx", testInTx},
		{"Tenants", testTenants},
		{"APIKeys", testAPIKeys},
		{"Accounts", testAccounts},
		{"UpdateAccountBalances", testUpdateAccountBalances},
		{"Transfers", testTransfers},
		{"LedgerSums", testLedgerSums},
		{"Events", testEvents},
		{"Idempotency", testIdempotency},
		{"Tokens", testTokens},
		{"FindExpiredTokens", testFindExpiredTokens},
		{"Payments", testPayments},
		{"FindPayments", testFindPayments},
		{"FindPaymentsByAmount", testFindPaymentsByAmount},
		{"ClaimPaymentsToSubmit", testClaimPaymentsToSubmit},
		{"ConcurrentWrites", testConcurrentWrites},
		{"WebhookEndpoints", testWebhookEndpoints},
		{"WebhookFanOut", testWebhookFanOut},
		{"WebhookDeliveries", testWebhookDeliveries},
		{"ClaimDeliveries", testClaimDeliveries},
		{"DeliveryBatches", testDeliveryBatches},
		{"Retention", testRetention},
		{"Requests", testRequests},
		{"Payouts", testPayouts},
		{"Teams", testTeams},
		{"Clients", testClients},
		{"Products", testProducts},
		{"Charges", testCharges},
		{"TaxInvoices", testTaxInvoices},
		{"NextFolio", testNextFolio},
		{"Receipts", testReceipts},
		{"Nodes", testNodes},
		{"ChainRegistries", testChainRegistries},
		{"Web3Payments", testWeb3Payments},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

// NewID returns a time-ordered UUID string, like the Service's IDs.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

// RequireCode fails tb unless err is a paykit error with code.
func RequireCode(tb testing.TB, err error, code string) {
	tb.Helper()
	require.Error(tb, err)
	require.Equal(tb, code, paykit.ErrorCode(err), "error: %v", err)
}

// MustTenant creates a tenant.
func MustTenant(tb testing.TB, s paykit.Store) *paykit.Tenant {
	tb.Helper()
	t := &paykit.Tenant{ID: NewID(), Name: "Tenant " + NewID()[24:], CreatedAt: Base}
	require.NoError(tb, inTx(s, func(tx paykit.Tx) error { return tx.CreateTenant(context.Background(), t) }))
	return t
}

// MustAccount creates an account of kind in currency c for the tenant, with
// every field set; opts adjust it before it is stored.
func MustAccount(tb testing.TB, s paykit.Store, tenantID string, kind paykit.AccountKind, c paykit.Currency, opts ...func(*paykit.Account)) *paykit.Account {
	tb.Helper()
	a := &paykit.Account{ID: NewID(), TenantID: tenantID, Kind: kind, Currency: c, Name: "acct " + string(kind),
		CreatedAt: Base, UpdatedAt: Base}
	switch kind {
	case paykit.AccountKindBusiness:
		a.BusinessAccountID = "biz_" + NewID()
	case paykit.AccountKindUser:
		a.UserIdentityID = "user_" + NewID()
	case paykit.AccountKindExternal:
		a.Code, a.ExternalStorage = "world", "bank"
	case paykit.AccountKindSystem:
		a.Code = "clearing"
	}
	for _, o := range opts {
		o(a)
	}
	require.NoError(tb, inTx(s, func(tx paykit.Tx) error { return tx.CreateAccount(context.Background(), a) }))
	return a
}

// MustTransfer creates a transfer of amount from debit to credit in status.
func MustTransfer(tb testing.TB, s paykit.Store, debit, credit *paykit.Account, amount int64, status paykit.TransferStatus) *paykit.Transfer {
	tb.Helper()
	tr := &paykit.Transfer{ID: NewID(), TenantID: debit.TenantID, DebitAccountID: debit.ID, CreditAccountID: credit.ID,
		Amount: amount, Currency: debit.Currency, Status: status, Kind: "payment", Ref: NewID(),
		CreatedAt: Base, UpdatedAt: Base}
	require.NoError(tb, inTx(s, func(tx paykit.Tx) error { return tx.CreateTransfer(context.Background(), tr) }))
	return tr
}

// MustToken creates an active token with every field but the accepted ones set;
// opts adjust it before it is stored.
func MustToken(tb testing.TB, s paykit.Store, tenantID string, opts ...func(*paykit.Token)) *paykit.Token {
	tb.Helper()
	tk := &paykit.Token{ID: NewID(), TenantID: tenantID, Token: "tok_" + NewID(), SourceAccountID: NewID(),
		Amount: paykit.MoneyFromMinor(1050, "USD"), Memo: "for the gig", Status: paykit.TokenStatusActive,
		ExpiresAt: Base.Add(time.Hour), ReservationID: NewID(), CreatedAt: Base, UpdatedAt: Base}
	for _, o := range opts {
		o(tk)
	}
	require.NoError(tb, inTx(s, func(tx paykit.Tx) error { return tx.CreateToken(context.Background(), tk) }))
	return tk
}

// MustPayment creates a pending transfer payment with every field set; opts
// adjust it before it is stored.
func MustPayment(tb testing.TB, s paykit.Store, tenantID string, opts ...func(*paykit.Payment)) *paykit.Payment {
	tb.Helper()
	p := &paykit.Payment{ID: NewID(), TenantID: tenantID, Type: paykit.PaymentTypeTransfer,
		Status: paykit.PaymentStatusPending, Amount: paykit.MoneyFromMinor(2500, "SEK"),
		Source:         paykit.Party{AccountID: NewID(), BusinessAccountID: "biz_1"},
		Destination:    paykit.Party{AccountID: NewID(), UserIdentityID: "user_1", ExternalStorage: "iban:SE00"},
		PaymentTokenID: NewID(), TransferID: NewID(), RailReference: "rail_1", FailureReason: "",
		CreatedAt: Base, UpdatedAt: Base}
	for _, o := range opts {
		o(p)
	}
	require.NoError(tb, inTx(s, func(tx paykit.Tx) error { return tx.CreatePayment(context.Background(), p) }))
	return p
}

// MustEvent appends an event of typ about subjectID.
func MustEvent(tb testing.TB, s paykit.Store, tenantID, typ, subjectID string) *paykit.Event {
	tb.Helper()
	e := &paykit.Event{ID: NewID(), TenantID: tenantID, Type: typ, SubjectID: subjectID,
		Data: []byte(`{"id":"` + subjectID + `","n":1}`), CreatedAt: Base}
	require.NoError(tb, inTx(s, func(tx paykit.Tx) error { return tx.AppendEvent(context.Background(), e) }))
	require.NotZero(tb, e.Seq)
	return e
}

func ptr[T any](v T) *T { return &v }

// pages collects every item of a keyset-paginated list, page by page, checking
// that no page is longer than limit and that only the last one is short.
func pages[T any](tb testing.TB, limit int, find func(after string) ([]T, error), id func(T) string) []T {
	tb.Helper()
	var all []T
	after := ""
	for i := 0; ; i++ {
		require.Less(tb, i, 1000, "pagination does not end")
		page, err := find(after)
		require.NoError(tb, err)
		require.LessOrEqual(tb, len(page), limit)
		all = append(all, page...)
		if len(page) < limit {
			return all
		}
		after = id(page[len(page)-1])
	}
}

func ids[T any](items []T, id func(T) string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = id(it)
	}
	return out
}

var errSentinel = errors.New("storetest: rolled back on purpose")

func testInTx(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	exists := func(t *testing.T, id string) bool {
		t.Helper()
		_, err := s.FindTenantByID(ctx, id)
		if paykit.ErrorCode(err) == paykit.ENOTFOUND {
			return false
		}
		require.NoError(t, err)
		return true
	}
	newTenant := func() *paykit.Tenant { return &paykit.Tenant{ID: NewID(), Name: "t", CreatedAt: Base} }

	t.Run("Commit", func(t *testing.T) {
		a, b := newTenant(), newTenant()
		err := s.InTx(ctx, func(tx paykit.Tx) error {
			if err := tx.CreateTenant(ctx, a); err != nil {
				return err
			}
			// A transaction reads its own writes.
			if _, err := tx.FindTenantByID(ctx, a.ID); err != nil {
				return err
			}
			return tx.CreateTenant(ctx, b)
		})
		require.NoError(t, err)
		require.True(t, exists(t, a.ID))
		require.True(t, exists(t, b.ID))
	})

	t.Run("Rollback", func(t *testing.T) {
		a := newTenant()
		err := s.InTx(ctx, func(tx paykit.Tx) error {
			if err := tx.CreateTenant(ctx, a); err != nil {
				return err
			}
			return fmt.Errorf("wrapped: %w", errSentinel)
		})
		require.ErrorIs(t, err, errSentinel)
		require.False(t, exists(t, a.ID))
	})

	t.Run("RollbackKeepsErrorCode", func(t *testing.T) {
		err := s.InTx(ctx, func(tx paykit.Tx) error {
			return paykit.Errorf(paykit.ECONFLICT, "Nope.")
		})
		RequireCode(t, err, paykit.ECONFLICT)
		require.Equal(t, "Nope.", paykit.ErrorMessage(err))
	})

	t.Run("Panic", func(t *testing.T) {
		a := newTenant()
		var recovered any
		func() {
			defer func() { recovered = recover() }()
			_ = s.InTx(ctx, func(tx paykit.Tx) error {
				if err := tx.CreateTenant(ctx, a); err != nil {
					return err
				}
				panic("storetest boom")
			})
		}()
		require.NotNil(t, recovered, "the panic was not re-raised")
		require.Contains(t, fmt.Sprint(recovered), "storetest boom")
		require.False(t, exists(t, a.ID))
		// The store is still usable.
		b := newTenant()
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.CreateTenant(ctx, b) }))
		require.True(t, exists(t, b.ID))
	})

	t.Run("PanicWithError", func(t *testing.T) {
		var recovered any
		func() {
			defer func() { recovered = recover() }()
			_ = s.InTx(ctx, func(tx paykit.Tx) error { panic(errSentinel) })
		}()
		err, ok := recovered.(error)
		require.True(t, ok, "an error panic is re-raised as an error, got %T", recovered)
		require.ErrorIs(t, err, errSentinel)
	})

	t.Run("Canceled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		ran := false
		err := s.InTx(cctx, func(tx paykit.Tx) error { ran = true; return nil })
		require.ErrorIs(t, err, context.Canceled)
		require.False(t, ran)
	})

	t.Run("ConflictDoesNotAbort", func(t *testing.T) {
		a, b := newTenant(), newTenant()
		err := s.InTx(ctx, func(tx paykit.Tx) error {
			if err := tx.CreateTenant(ctx, a); err != nil {
				return err
			}
			if err := tx.CreateTenant(ctx, a); paykit.ErrorCode(err) != paykit.ECONFLICT {
				return fmt.Errorf("duplicate: got %v, want conflict", err)
			}
			return tx.CreateTenant(ctx, b)
		})
		require.NoError(t, err)
		require.True(t, exists(t, a.ID))
		require.True(t, exists(t, b.ID))
	})

	t.Run("NestedRollback", func(t *testing.T) {
		a, b, c := newTenant(), newTenant(), newTenant()
		err := s.InTx(ctx, func(tx paykit.Tx) error {
			if err := tx.CreateTenant(ctx, a); err != nil {
				return err
			}
			err := tx.InTx(ctx, func(tx paykit.Tx) error {
				if err := tx.CreateTenant(ctx, b); err != nil {
					return err
				}
				return errSentinel
			})
			if !errors.Is(err, errSentinel) {
				return fmt.Errorf("nested: got %v", err)
			}
			if _, err := tx.FindTenantByID(ctx, b.ID); paykit.ErrorCode(err) != paykit.ENOTFOUND {
				return fmt.Errorf("nested write survived its rollback: %v", err)
			}
			return tx.CreateTenant(ctx, c)
		})
		require.NoError(t, err)
		require.True(t, exists(t, a.ID))
		require.False(t, exists(t, b.ID))
		require.True(t, exists(t, c.ID))
	})

	t.Run("NestedCommitOuterRollback", func(t *testing.T) {
		a, b := newTenant(), newTenant()
		err := s.InTx(ctx, func(tx paykit.Tx) error {
			if err := tx.CreateTenant(ctx, a); err != nil {
				return err
			}
			if err := tx.InTx(ctx, func(tx paykit.Tx) error { return tx.CreateTenant(ctx, b) }); err != nil {
				return err
			}
			return errSentinel
		})
		require.ErrorIs(t, err, errSentinel)
		require.False(t, exists(t, a.ID))
		require.False(t, exists(t, b.ID))
	})

	t.Run("NestedPanic", func(t *testing.T) {
		a, b, c := newTenant(), newTenant(), newTenant()
		err := s.InTx(ctx, func(tx paykit.Tx) error {
			if err := tx.CreateTenant(ctx, a); err != nil {
				return err
			}
			var recovered any
			func() {
				defer func() { recovered = recover() }()
				_ = tx.InTx(ctx, func(tx paykit.Tx) error {
					if err := tx.CreateTenant(ctx, b); err != nil {
						return err
					}
					panic("nested boom")
				})
			}()
			if recovered == nil {
				return errors.New("nested panic was not re-raised")
			}
			return tx.CreateTenant(ctx, c)
		})
		require.NoError(t, err)
		require.True(t, exists(t, a.ID))
		require.False(t, exists(t, b.ID))
		require.True(t, exists(t, c.ID))
	})

	t.Run("DeeplyNested", func(t *testing.T) {
		a, b, c := newTenant(), newTenant(), newTenant()
		err := s.InTx(ctx, func(tx paykit.Tx) error {
			return tx.InTx(ctx, func(tx paykit.Tx) error {
				if err := tx.CreateTenant(ctx, a); err != nil {
					return err
				}
				_ = tx.InTx(ctx, func(tx paykit.Tx) error {
					if err := tx.CreateTenant(ctx, b); err != nil {
						return err
					}
					return errSentinel
				})
				return tx.InTx(ctx, func(tx paykit.Tx) error { return tx.CreateTenant(ctx, c) })
			})
		})
		require.NoError(t, err)
		require.True(t, exists(t, a.ID))
		require.False(t, exists(t, b.ID))
		require.True(t, exists(t, c.ID))
	})
}

// testConcurrentWrites runs read-then-write transactions from many goroutines
// at once on one row: a row read in a transaction is held until it ends, so
// no update is lost and none fails.
func testConcurrentWrites(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	tn := MustTenant(t, s)
	tn.Name = "0"
	require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdateTenant(ctx, tn) }))
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			errs <- s.InTx(ctx, func(tx paykit.Tx) error {
				got, err := tx.FindTenantByID(ctx, tn.ID)
				if err != nil {
					return err
				}
				i, err := strconv.Atoi(got.Name)
				if err != nil {
					return err
				}
				// A lost update would leave the count short.
				got.Name = strconv.Itoa(i + 1)
				return tx.UpdateTenant(ctx, got)
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	got, err := s.FindTenantByID(ctx, tn.ID)
	require.NoError(t, err)
	require.Equal(t, strconv.Itoa(n), got.Name)
}

// inTx runs fn, one write or a few, in a transaction of its own.
func inTx(s paykit.Store, fn func(tx paykit.Tx) error) error {
	return s.InTx(context.Background(), fn)
}

// txValue runs fn in a transaction of its own and returns its value.
func txValue[T any](s paykit.Store, fn func(tx paykit.Tx) (T, error)) (T, error) {
	var out T
	err := s.InTx(context.Background(), func(tx paykit.Tx) error {
		var err error
		out, err = fn(tx)
		return err
	})
	return out, err
}
