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
	"slices"
	"strconv"
	"strings"
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
		{"ClaimPaymentsToSubmit", testClaimPaymentsToSubmit},
		{"ConcurrentWrites", testConcurrentWrites},
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
	require.NoError(tb, s.CreateTenant(context.Background(), t))
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
	require.NoError(tb, s.CreateAccount(context.Background(), a))
	return a
}

// MustTransfer creates a transfer of amount from debit to credit in status.
func MustTransfer(tb testing.TB, s paykit.Store, debit, credit *paykit.Account, amount int64, status paykit.TransferStatus) *paykit.Transfer {
	tb.Helper()
	tr := &paykit.Transfer{ID: NewID(), TenantID: debit.TenantID, DebitAccountID: debit.ID, CreditAccountID: credit.ID,
		Amount: amount, Currency: debit.Currency, Status: status, Kind: "payment", Ref: NewID(),
		CreatedAt: Base, UpdatedAt: Base}
	require.NoError(tb, s.CreateTransfer(context.Background(), tr))
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
	require.NoError(tb, s.CreateToken(context.Background(), tk))
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
	require.NoError(tb, s.CreatePayment(context.Background(), p))
	return p
}

// MustEvent appends an event of typ about subjectID.
func MustEvent(tb testing.TB, s paykit.Store, tenantID, typ, subjectID string) *paykit.Event {
	tb.Helper()
	e := &paykit.Event{ID: NewID(), TenantID: tenantID, Type: typ, SubjectID: subjectID,
		Data: []byte(`{"id":"` + subjectID + `","n":1}`), CreatedAt: Base}
	require.NoError(tb, s.AppendEvent(context.Background(), e))
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
		err := s.InTx(ctx, func(tx paykit.Store) error {
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
		err := s.InTx(ctx, func(tx paykit.Store) error {
			if err := tx.CreateTenant(ctx, a); err != nil {
				return err
			}
			return fmt.Errorf("wrapped: %w", errSentinel)
		})
		require.ErrorIs(t, err, errSentinel)
		require.False(t, exists(t, a.ID))
	})

	t.Run("RollbackKeepsErrorCode", func(t *testing.T) {
		err := s.InTx(ctx, func(tx paykit.Store) error {
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
			_ = s.InTx(ctx, func(tx paykit.Store) error {
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
		require.NoError(t, s.CreateTenant(ctx, b))
		require.True(t, exists(t, b.ID))
	})

	t.Run("PanicWithError", func(t *testing.T) {
		var recovered any
		func() {
			defer func() { recovered = recover() }()
			_ = s.InTx(ctx, func(tx paykit.Store) error { panic(errSentinel) })
		}()
		err, ok := recovered.(error)
		require.True(t, ok, "an error panic is re-raised as an error, got %T", recovered)
		require.ErrorIs(t, err, errSentinel)
	})

	t.Run("Canceled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		ran := false
		err := s.InTx(cctx, func(tx paykit.Store) error { ran = true; return nil })
		require.ErrorIs(t, err, context.Canceled)
		require.False(t, ran)
	})

	t.Run("ConflictDoesNotAbort", func(t *testing.T) {
		a, b := newTenant(), newTenant()
		err := s.InTx(ctx, func(tx paykit.Store) error {
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
		err := s.InTx(ctx, func(tx paykit.Store) error {
			if err := tx.CreateTenant(ctx, a); err != nil {
				return err
			}
			err := tx.InTx(ctx, func(tx paykit.Store) error {
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
		err := s.InTx(ctx, func(tx paykit.Store) error {
			if err := tx.CreateTenant(ctx, a); err != nil {
				return err
			}
			if err := tx.InTx(ctx, func(tx paykit.Store) error { return tx.CreateTenant(ctx, b) }); err != nil {
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
		err := s.InTx(ctx, func(tx paykit.Store) error {
			if err := tx.CreateTenant(ctx, a); err != nil {
				return err
			}
			var recovered any
			func() {
				defer func() { recovered = recover() }()
				_ = tx.InTx(ctx, func(tx paykit.Store) error {
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
		err := s.InTx(ctx, func(tx paykit.Store) error {
			return tx.InTx(ctx, func(tx paykit.Store) error {
				if err := tx.CreateTenant(ctx, a); err != nil {
					return err
				}
				_ = tx.InTx(ctx, func(tx paykit.Store) error {
					if err := tx.CreateTenant(ctx, b); err != nil {
						return err
					}
					return errSentinel
				})
				return tx.InTx(ctx, func(tx paykit.Store) error { return tx.CreateTenant(ctx, c) })
			})
		})
		require.NoError(t, err)
		require.True(t, exists(t, a.ID))
		require.False(t, exists(t, b.ID))
		require.True(t, exists(t, c.ID))
	})
}

func testTenants(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		want := &paykit.Tenant{ID: NewID(), Name: "Acme", Locked: true, CreatedAt: Base}
		in := *want
		in.CreatedAt = Base.In(time.FixedZone("CET", 3600)) // any zone in, UTC out
		require.NoError(t, s.CreateTenant(ctx, &in))
		got, err := s.FindTenantByID(ctx, want.ID)
		require.NoError(t, err)
		require.Equal(t, want, got)
		require.Equal(t, time.UTC, got.CreatedAt.Location())
	})
	t.Run("Microseconds", func(t *testing.T) {
		tn := &paykit.Tenant{ID: NewID(), Name: "µs", CreatedAt: Base.Add(999 * time.Nanosecond)}
		require.NoError(t, s.CreateTenant(ctx, tn))
		got, err := s.FindTenantByID(ctx, tn.ID)
		require.NoError(t, err)
		require.True(t, got.CreatedAt.Equal(Base), "got %v", got.CreatedAt)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := s.FindTenantByID(ctx, NewID())
		RequireCode(t, err, paykit.ENOTFOUND)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		tn := MustTenant(t, s)
		RequireCode(t, s.CreateTenant(ctx, &paykit.Tenant{ID: tn.ID, Name: "again", CreatedAt: Base}), paykit.ECONFLICT)
	})
	t.Run("Update", func(t *testing.T) {
		tn := MustTenant(t, s)
		tn.Name, tn.Locked = "Renamed", true
		require.NoError(t, s.UpdateTenant(ctx, tn))
		got, err := s.FindTenantByID(ctx, tn.ID)
		require.NoError(t, err)
		require.Equal(t, tn, got)
		RequireCode(t, s.UpdateTenant(ctx, &paykit.Tenant{ID: NewID(), Name: "x"}), paykit.ENOTFOUND)
	})
}

func testAPIKeys(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	tn := MustTenant(t, s)
	t.Run("OK", func(t *testing.T) {
		revoked := Base.Add(time.Minute)
		for _, k := range []*paykit.APIKey{
			{ID: NewID(), TenantID: tn.ID, Hash: paykit.HashAPIKey("secret-1"), Prefix: "secret", CreatedAt: Base},
			{ID: NewID(), TenantID: tn.ID, Hash: paykit.HashAPIKey("secret-2"), Prefix: "secret", CreatedAt: Base, RevokedAt: &revoked},
		} {
			require.NoError(t, s.CreateAPIKey(ctx, k))
			got, err := s.FindAPIKeyByHash(ctx, k.Hash)
			require.NoError(t, err)
			require.Equal(t, k, got)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := s.FindAPIKeyByHash(ctx, paykit.HashAPIKey("nobody's"))
		RequireCode(t, err, paykit.ENOTFOUND)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		other := MustTenant(t, s)
		k := &paykit.APIKey{ID: NewID(), TenantID: tn.ID, Hash: paykit.HashAPIKey("dup"), Prefix: "dup", CreatedAt: Base}
		require.NoError(t, s.CreateAPIKey(ctx, k))
		dup := &paykit.APIKey{ID: NewID(), TenantID: other.ID, Hash: paykit.HashAPIKey("dup"), Prefix: "dup", CreatedAt: Base}
		RequireCode(t, s.CreateAPIKey(ctx, dup), paykit.ECONFLICT)
	})
}

func testAccounts(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	tn, other := MustTenant(t, s), MustTenant(t, s)

	t.Run("OK", func(t *testing.T) {
		want := &paykit.Account{ID: NewID(), TenantID: tn.ID, Kind: paykit.AccountKindBusiness, Currency: "USD",
			Code: "", Name: "Main", BusinessAccountID: "biz_9", UserIdentityID: "", ExternalStorage: "iban:X",
			DebitsPending: 1, DebitsPosted: 2, CreditsPending: 3, CreditsPosted: 40,
			CreatedAt: Base, UpdatedAt: Base.Add(time.Second)}
		in := *want
		require.NoError(t, s.CreateAccount(ctx, &in))
		got, err := s.FindAccountByID(ctx, tn.ID, want.ID)
		require.NoError(t, err)
		require.Equal(t, want, got)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		a := MustAccount(t, s, tn.ID, paykit.AccountKindUser, "USD")
		_, err := s.FindAccountByID(ctx, tn.ID, NewID())
		RequireCode(t, err, paykit.ENOTFOUND)
		_, err = s.FindAccountByID(ctx, other.ID, a.ID)
		RequireCode(t, err, paykit.ENOTFOUND)
	})
	t.Run("ByCode", func(t *testing.T) {
		world := MustAccount(t, s, tn.ID, paykit.AccountKindExternal, "MXN")
		got, err := s.FindAccountByCode(ctx, tn.ID, "world", "MXN")
		require.NoError(t, err)
		require.Equal(t, world, got)
		_, err = s.FindAccountByCode(ctx, tn.ID, "world", "JPY")
		RequireCode(t, err, paykit.ENOTFOUND)
		_, err = s.FindAccountByCode(ctx, other.ID, "world", "MXN")
		RequireCode(t, err, paykit.ENOTFOUND)
		_, err = s.FindAccountByCode(ctx, tn.ID, "", "MXN")
		RequireCode(t, err, paykit.ENOTFOUND)
		// One per tenant, code and currency.
		a := &paykit.Account{ID: NewID(), TenantID: tn.ID, Kind: paykit.AccountKindExternal, Currency: "MXN",
			Code: "world", CreatedAt: Base, UpdatedAt: Base}
		RequireCode(t, s.CreateAccount(ctx, a), paykit.ECONFLICT)
		MustAccount(t, s, tn.ID, paykit.AccountKindExternal, "JPY")
		MustAccount(t, s, other.ID, paykit.AccountKindExternal, "MXN")
	})
	t.Run("ErrConflict", func(t *testing.T) {
		a := MustAccount(t, s, tn.ID, paykit.AccountKindUser, "USD")
		dup := *a
		RequireCode(t, s.CreateAccount(ctx, &dup), paykit.ECONFLICT)
	})
	t.Run("FindAccounts", func(t *testing.T) {
		tn, other := MustTenant(t, s), MustTenant(t, s)
		var all []*paykit.Account
		for i, c := range []paykit.Currency{"USD", "SEK", "USD", "JPY", "USD", "SEK", "USD"} {
			kind := paykit.AccountKindBusiness
			if i%2 == 1 {
				kind = paykit.AccountKindUser
			}
			all = append(all, MustAccount(t, s, tn.ID, kind, c))
			MustAccount(t, s, other.ID, kind, c)
		}
		all = append(all, MustAccount(t, s, tn.ID, paykit.AccountKindExternal, "USD"))
		id := func(a *paykit.Account) string { return a.ID }
		find := func(f paykit.AccountFilter) []*paykit.Account {
			f.Limit = 3
			return pages(t, 3, func(after string) ([]*paykit.Account, error) {
				f.After = after
				return s.FindAccounts(ctx, tn.ID, f)
			}, id)
		}
		filter := func(keep func(*paykit.Account) bool) []string {
			var out []string
			for _, a := range all {
				if keep(a) {
					out = append(out, a.ID)
				}
			}
			return out
		}
		got := find(paykit.AccountFilter{})
		require.Equal(t, all, got)
		require.Equal(t, filter(func(a *paykit.Account) bool { return a.Currency == "USD" }),
			ids(find(paykit.AccountFilter{Currency: ptr[paykit.Currency]("USD")}), id))
		require.Equal(t, filter(func(a *paykit.Account) bool { return a.Kind == paykit.AccountKindUser }),
			ids(find(paykit.AccountFilter{Kind: ptr(paykit.AccountKindUser)}), id))
		require.Equal(t, []string{all[2].ID}, ids(find(paykit.AccountFilter{BusinessAccountID: &all[2].BusinessAccountID}), id))
		require.Equal(t, []string{all[3].ID}, ids(find(paykit.AccountFilter{UserIdentityID: &all[3].UserIdentityID}), id))
		require.Empty(t, find(paykit.AccountFilter{Currency: ptr[paykit.Currency]("EUR")}))
	})
}

func testUpdateAccountBalances(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	tn, other := MustTenant(t, s), MustTenant(t, s)
	later := Base.Add(time.Hour)

	t.Run("OK", func(t *testing.T) {
		a := MustAccount(t, s, tn.ID, paykit.AccountKindUser, "USD")
		require.NoError(t, s.UpdateAccountBalances(ctx, tn.ID, a.ID, paykit.BalanceDelta{CreditsPosted: 100, CreditsPending: 7}, later))
		require.NoError(t, s.UpdateAccountBalances(ctx, tn.ID, a.ID, paykit.BalanceDelta{DebitsPending: 60, DebitsPosted: 40}, later))
		got, err := s.FindAccountByID(ctx, tn.ID, a.ID)
		require.NoError(t, err)
		require.Equal(t, paykit.BalanceDelta{DebitsPending: 60, DebitsPosted: 40, CreditsPending: 7, CreditsPosted: 100},
			paykit.BalanceDelta{DebitsPending: got.DebitsPending, DebitsPosted: got.DebitsPosted,
				CreditsPending: got.CreditsPending, CreditsPosted: got.CreditsPosted})
		require.Equal(t, later, got.UpdatedAt)
		require.Equal(t, Base, got.CreatedAt)
		// Moving a pending debit to posted keeps available at zero.
		require.NoError(t, s.UpdateAccountBalances(ctx, tn.ID, a.ID, paykit.BalanceDelta{DebitsPending: -60, DebitsPosted: 60}, later))
	})
	t.Run("ErrInsufficientFunds", func(t *testing.T) {
		for _, kind := range []paykit.AccountKind{paykit.AccountKindUser, paykit.AccountKindBusiness, paykit.AccountKindSystem} {
			a := MustAccount(t, s, tn.ID, kind, "SEK", func(a *paykit.Account) { a.Code = "" })
			require.NoError(t, s.UpdateAccountBalances(ctx, tn.ID, a.ID, paykit.BalanceDelta{CreditsPosted: 100}, later))
			require.NoError(t, s.UpdateAccountBalances(ctx, tn.ID, a.ID, paykit.BalanceDelta{DebitsPending: 60}, later))
			// Available is 40: 41 more, pending or posted, is one too many.
			RequireCode(t, s.UpdateAccountBalances(ctx, tn.ID, a.ID, paykit.BalanceDelta{DebitsPending: 41}, later), paykit.ECONFLICT)
			RequireCode(t, s.UpdateAccountBalances(ctx, tn.ID, a.ID, paykit.BalanceDelta{DebitsPosted: 41}, later), paykit.ECONFLICT)
			RequireCode(t, s.UpdateAccountBalances(ctx, tn.ID, a.ID, paykit.BalanceDelta{CreditsPosted: -41}, later), paykit.ECONFLICT)
			require.NoError(t, s.UpdateAccountBalances(ctx, tn.ID, a.ID, paykit.BalanceDelta{DebitsPosted: 40}, later))
			got, err := s.FindAccountByID(ctx, tn.ID, a.ID)
			require.NoError(t, err)
			require.Equal(t, int64(0), got.Available().Minor())
		}
	})
	t.Run("ErrInsufficientFundsInTx", func(t *testing.T) {
		a := MustAccount(t, s, tn.ID, paykit.AccountKindUser, "SEK")
		err := s.InTx(ctx, func(tx paykit.Store) error {
			err := tx.UpdateAccountBalances(ctx, tn.ID, a.ID, paykit.BalanceDelta{DebitsPending: 1}, later)
			if paykit.ErrorCode(err) != paykit.ECONFLICT {
				return fmt.Errorf("got %v, want conflict", err)
			}
			// The refused statement left the transaction usable.
			return tx.UpdateAccountBalances(ctx, tn.ID, a.ID, paykit.BalanceDelta{CreditsPosted: 5}, later)
		})
		require.NoError(t, err)
		got, err := s.FindAccountByID(ctx, tn.ID, a.ID)
		require.NoError(t, err)
		require.Equal(t, int64(5), got.CreditsPosted)
		require.Equal(t, int64(0), got.DebitsPending)
	})
	t.Run("ExternalMayGoNegative", func(t *testing.T) {
		w := MustAccount(t, s, tn.ID, paykit.AccountKindExternal, "EUR")
		require.NoError(t, s.UpdateAccountBalances(ctx, tn.ID, w.ID, paykit.BalanceDelta{DebitsPosted: 1_000_000, DebitsPending: 5}, later))
		got, err := s.FindAccountByID(ctx, tn.ID, w.ID)
		require.NoError(t, err)
		require.Equal(t, int64(-1_000_005), got.Available().Minor())
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		a := MustAccount(t, s, tn.ID, paykit.AccountKindUser, "USD")
		RequireCode(t, s.UpdateAccountBalances(ctx, tn.ID, NewID(), paykit.BalanceDelta{CreditsPosted: 1}, later), paykit.ENOTFOUND)
		RequireCode(t, s.UpdateAccountBalances(ctx, other.ID, a.ID, paykit.BalanceDelta{CreditsPosted: 1}, later), paykit.ENOTFOUND)
		got, err := s.FindAccountByID(ctx, tn.ID, a.ID)
		require.NoError(t, err)
		require.Equal(t, int64(0), got.CreditsPosted)
	})
}

func testTransfers(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	tn, other := MustTenant(t, s), MustTenant(t, s)
	a := MustAccount(t, s, tn.ID, paykit.AccountKindUser, "USD")
	b := MustAccount(t, s, tn.ID, paykit.AccountKindBusiness, "USD")

	t.Run("OK", func(t *testing.T) {
		want := &paykit.Transfer{ID: NewID(), TenantID: tn.ID, DebitAccountID: a.ID, CreditAccountID: b.ID,
			Amount: 1234, Currency: "USD", Status: paykit.TransferStatusPending, Kind: "token_reservation",
			Ref: NewID(), CreatedAt: Base, UpdatedAt: Base}
		in := *want
		require.NoError(t, s.CreateTransfer(ctx, &in))
		got, err := s.FindTransferByID(ctx, tn.ID, want.ID)
		require.NoError(t, err)
		require.Equal(t, want, got)

		want.Status, want.UpdatedAt = paykit.TransferStatusPosted, Base.Add(time.Minute)
		in = *want
		in.Amount, in.Kind = 1, "ignored" // UpdateTransfer writes Status and UpdatedAt only
		require.NoError(t, s.UpdateTransfer(ctx, &in))
		got, err = s.FindTransferByID(ctx, tn.ID, want.ID)
		require.NoError(t, err)
		require.Equal(t, want, got)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		tr := MustTransfer(t, s, a, b, 10, paykit.TransferStatusPosted)
		_, err := s.FindTransferByID(ctx, tn.ID, NewID())
		RequireCode(t, err, paykit.ENOTFOUND)
		_, err = s.FindTransferByID(ctx, other.ID, tr.ID)
		RequireCode(t, err, paykit.ENOTFOUND)
		moved := *tr
		moved.TenantID, moved.Status = other.ID, paykit.TransferStatusVoided
		RequireCode(t, s.UpdateTransfer(ctx, &moved), paykit.ENOTFOUND)
		got, err := s.FindTransferByID(ctx, tn.ID, tr.ID)
		require.NoError(t, err)
		require.Equal(t, paykit.TransferStatusPosted, got.Status)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		tr := MustTransfer(t, s, a, b, 10, paykit.TransferStatusPosted)
		dup := *tr
		RequireCode(t, s.CreateTransfer(ctx, &dup), paykit.ECONFLICT)
	})
}

func testLedgerSums(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	tn, other := MustTenant(t, s), MustTenant(t, s)
	world := MustAccount(t, s, tn.ID, paykit.AccountKindExternal, "USD")
	a := MustAccount(t, s, tn.ID, paykit.AccountKindUser, "USD")
	b := MustAccount(t, s, tn.ID, paykit.AccountKindBusiness, "USD")
	idle := MustAccount(t, s, tn.ID, paykit.AccountKindUser, "USD")
	MustTransfer(t, s, world, a, 1000, paykit.TransferStatusPosted)
	MustTransfer(t, s, a, b, 300, paykit.TransferStatusPending)
	MustTransfer(t, s, a, b, 200, paykit.TransferStatusVoided)
	MustTransfer(t, s, b, world, 50, paykit.TransferStatusPosted)
	MustTransfer(t, s, a, b, 25, paykit.TransferStatusPosted)
	MustTransfer(t, s, b, a, 5, paykit.TransferStatusPending)
	// Another tenant's ledger is not this one's.
	ow := MustAccount(t, s, other.ID, paykit.AccountKindExternal, "USD")
	oa := MustAccount(t, s, other.ID, paykit.AccountKindUser, "USD")
	MustTransfer(t, s, ow, oa, 99, paykit.TransferStatusPosted)

	accounts, sums, err := s.LedgerSums(ctx, tn.ID)
	require.NoError(t, err)
	require.ElementsMatch(t, []string{world.ID, a.ID, b.ID, idle.ID}, ids(accounts, func(a *paykit.Account) string { return a.ID }))
	require.Equal(t, map[string]paykit.BalanceDelta{
		world.ID: {DebitsPosted: 1000, CreditsPosted: 50},
		a.ID:     {DebitsPending: 300, DebitsPosted: 25, CreditsPending: 5, CreditsPosted: 1000},
		b.ID:     {DebitsPending: 5, DebitsPosted: 50, CreditsPending: 300, CreditsPosted: 25},
	}, sums)

	accounts, sums, err = s.LedgerSums(ctx, NewID())
	require.NoError(t, err)
	require.Empty(t, accounts)
	require.Empty(t, sums)
}

func testEvents(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	tn, other := MustTenant(t, s), MustTenant(t, s)
	subject := NewID()
	var all []*paykit.Event
	for i := range 7 {
		typ, subj := "token.created", NewID()
		if i%3 == 0 {
			typ = "token.accepted"
		}
		if i%2 == 0 {
			subj = subject
		}
		all = append(all, MustEvent(t, s, tn.ID, typ, subj))
		MustEvent(t, s, other.ID, typ, subj)
	}
	for i := 1; i < len(all); i++ {
		require.Greater(t, all[i].Seq, all[i-1].Seq)
	}
	seq := func(e *paykit.Event) string { return fmt.Sprint(e.Seq) }
	find := func(f paykit.EventFilter) []*paykit.Event {
		var last int64
		f.Limit = 2
		return pages(t, 2, func(string) ([]*paykit.Event, error) {
			f.AfterSeq = last
			page, err := s.FindEvents(ctx, tn.ID, f)
			if len(page) > 0 {
				last = page[len(page)-1].Seq
			}
			return page, err
		}, seq)
	}
	filter := func(keep func(*paykit.Event) bool) []string {
		var out []string
		for _, e := range all {
			if keep(e) {
				out = append(out, seq(e))
			}
		}
		return out
	}

	t.Run("OK", func(t *testing.T) {
		require.Equal(t, all, find(paykit.EventFilter{}))
	})
	t.Run("Filters", func(t *testing.T) {
		require.Equal(t, filter(func(e *paykit.Event) bool { return e.Type == "token.accepted" }),
			ids(find(paykit.EventFilter{Type: ptr("token.accepted")}), seq))
		require.Equal(t, filter(func(e *paykit.Event) bool { return e.SubjectID == subject }),
			ids(find(paykit.EventFilter{SubjectID: &subject}), seq))
		require.Equal(t, filter(func(e *paykit.Event) bool { return e.SubjectID == subject && e.Type == "token.created" }),
			ids(find(paykit.EventFilter{SubjectID: &subject, Type: ptr("token.created")}), seq))
		page, err := s.FindEvents(ctx, tn.ID, paykit.EventFilter{AfterSeq: all[len(all)-1].Seq})
		require.NoError(t, err)
		require.Empty(t, page)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		dup := *all[0]
		RequireCode(t, s.AppendEvent(ctx, &dup), paykit.ECONFLICT)
	})
}

func testIdempotency(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	tn, other := MustTenant(t, s), MustTenant(t, s)
	record := func(tenantID, key string, createdAt time.Time) *paykit.IdempotencyRecord {
		return &paykit.IdempotencyRecord{TenantID: tenantID, Key: key, Operation: "token.create",
			Fingerprint: []byte{1, 2, 3, 0, 255}, Result: []byte(`{"id":"x"}`),
			CreatedAt: createdAt, ExpiresAt: createdAt.Add(paykit.IdempotencyTTL)}
	}

	t.Run("OK", func(t *testing.T) {
		ok := record(tn.ID, "key-ok", Base)
		failed := record(tn.ID, "key-failed", Base)
		failed.Result, failed.ErrCode, failed.ErrMessage = nil, paykit.EINVALID, "Invalid input."
		failed.ErrFields = map[string]string{"amount": "Required.", "currency": "Unsupported."}
		for _, want := range []*paykit.IdempotencyRecord{ok, failed} {
			in := *want
			require.NoError(t, s.PutIdempotencyRecord(ctx, &in))
			got, err := s.FindIdempotencyRecord(ctx, tn.ID, want.Key)
			require.NoError(t, err)
			require.Equal(t, want, got)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		require.NoError(t, s.PutIdempotencyRecord(ctx, record(tn.ID, "key-mine", Base)))
		_, err := s.FindIdempotencyRecord(ctx, tn.ID, "key-missing")
		RequireCode(t, err, paykit.ENOTFOUND)
		_, err = s.FindIdempotencyRecord(ctx, other.ID, "key-mine")
		RequireCode(t, err, paykit.ENOTFOUND)
		// The same key in another tenant is another record.
		require.NoError(t, s.PutIdempotencyRecord(ctx, record(other.ID, "key-mine", Base)))
	})
	t.Run("ErrConflictWhileLive", func(t *testing.T) {
		require.NoError(t, s.PutIdempotencyRecord(ctx, record(tn.ID, "key-live", Base)))
		again := record(tn.ID, "key-live", Base.Add(paykit.IdempotencyTTL-time.Microsecond))
		again.Operation = "payment.create"
		RequireCode(t, s.PutIdempotencyRecord(ctx, again), paykit.ECONFLICT)
		got, err := s.FindIdempotencyRecord(ctx, tn.ID, "key-live")
		require.NoError(t, err)
		require.Equal(t, "token.create", got.Operation)
	})
	t.Run("ReplacesExpired", func(t *testing.T) {
		require.NoError(t, s.PutIdempotencyRecord(ctx, record(tn.ID, "key-old", Base)))
		// Expired exactly at the new record's creation.
		want := record(tn.ID, "key-old", Base.Add(paykit.IdempotencyTTL))
		want.Operation, want.Result, want.ErrCode, want.ErrMessage = "payment.create", nil, paykit.ECONFLICT, "No."
		in := *want
		require.NoError(t, s.PutIdempotencyRecord(ctx, &in))
		got, err := s.FindIdempotencyRecord(ctx, tn.ID, "key-old")
		require.NoError(t, err)
		require.Equal(t, want, got)
	})
	t.Run("Delete", func(t *testing.T) {
		now := Base.Add(48 * time.Hour)
		for i := range 5 {
			// Expired at or before now, in both tenants.
			r := record([]string{tn.ID, other.ID}[i%2], fmt.Sprintf("del-%d", i), now.Add(-paykit.IdempotencyTTL-time.Duration(i)*time.Second))
			require.NoError(t, s.PutIdempotencyRecord(ctx, r))
		}
		live := record(tn.ID, "del-live", now.Add(-paykit.IdempotencyTTL+time.Microsecond))
		require.NoError(t, s.PutIdempotencyRecord(ctx, live))

		// Every earlier subtest's record expired by now too: Base + 24h.
		var total int
		n, err := s.DeleteIdempotencyRecords(ctx, now, 3)
		require.NoError(t, err)
		require.Equal(t, 3, n)
		total += n
		for {
			n, err := s.DeleteIdempotencyRecords(ctx, now, 3)
			require.NoError(t, err)
			require.LessOrEqual(t, n, 3)
			total += n
			if n == 0 {
				break
			}
		}
		require.GreaterOrEqual(t, total, 5)
		for i := range 5 {
			_, err := s.FindIdempotencyRecord(ctx, []string{tn.ID, other.ID}[i%2], fmt.Sprintf("del-%d", i))
			RequireCode(t, err, paykit.ENOTFOUND)
		}
		got, err := s.FindIdempotencyRecord(ctx, tn.ID, "del-live")
		require.NoError(t, err)
		require.Equal(t, live, got)
	})
}

func testTokens(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	tn, other := MustTenant(t, s), MustTenant(t, s)

	t.Run("OK", func(t *testing.T) {
		accepted := Base.Add(2 * time.Minute)
		for _, want := range []*paykit.Token{
			{ID: NewID(), TenantID: tn.ID, Token: "tok-a", SourceAccountID: NewID(), Amount: paykit.MoneyFromMinor(1050, "USD"),
				Memo: "lunch", Status: paykit.TokenStatusActive, ExpiresAt: Base.Add(time.Hour), ReservationID: NewID(),
				CreatedAt: Base, UpdatedAt: Base},
			{ID: NewID(), TenantID: tn.ID, Token: "tok-b", SourceAccountID: NewID(), Amount: paykit.MoneyFromMinor(500, "JPY"),
				Memo: "", Status: paykit.TokenStatusSucceeded, ExpiresAt: Base.Add(time.Hour), ReservationID: NewID(),
				PaymentID: NewID(), AcceptedAt: &accepted, CreatedAt: Base, UpdatedAt: accepted},
			{ID: NewID(), TenantID: tn.ID, Token: "tok-c", SourceAccountID: NewID(), Amount: paykit.MoneyFromMinor(1_000_001, "USDT"),
				Status: paykit.TokenStatusActive, ExpiresAt: Base, CreatedAt: Base, UpdatedAt: Base},
		} {
			in := *want
			require.NoError(t, s.CreateToken(ctx, &in))
			got, err := s.FindTokenByID(ctx, tn.ID, want.ID)
			require.NoError(t, err)
			require.Equal(t, want, got)
			got, err = s.FindTokenByToken(ctx, tn.ID, want.Token)
			require.NoError(t, err)
			require.Equal(t, want, got)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		tk := MustToken(t, s, tn.ID)
		_, err := s.FindTokenByID(ctx, tn.ID, NewID())
		RequireCode(t, err, paykit.ENOTFOUND)
		_, err = s.FindTokenByID(ctx, other.ID, tk.ID)
		RequireCode(t, err, paykit.ENOTFOUND)
		_, err = s.FindTokenByToken(ctx, tn.ID, "no-such-token")
		RequireCode(t, err, paykit.ENOTFOUND)
		_, err = s.FindTokenByToken(ctx, other.ID, tk.Token)
		RequireCode(t, err, paykit.ENOTFOUND)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		tk := MustToken(t, s, tn.ID)
		dup := *tk
		RequireCode(t, s.CreateToken(ctx, &dup), paykit.ECONFLICT)
		dup.ID = NewID() // same token string in the same tenant
		RequireCode(t, s.CreateToken(ctx, &dup), paykit.ECONFLICT)
		dup.TenantID = other.ID // ... is fine in another tenant
		require.NoError(t, s.CreateToken(ctx, &dup))
	})
	t.Run("Update", func(t *testing.T) {
		tk := MustToken(t, s, tn.ID)
		accepted := Base.Add(time.Minute)
		want := *tk
		want.Status, want.PaymentID, want.AcceptedAt, want.ReservationID, want.UpdatedAt =
			paykit.TokenStatusSucceeded, NewID(), &accepted, NewID(), accepted
		in := want
		in.Memo, in.Amount = "ignored", paykit.MoneyFromMinor(1, "USD") // not mutable
		require.NoError(t, s.UpdateToken(ctx, &in))
		got, err := s.FindTokenByID(ctx, tn.ID, tk.ID)
		require.NoError(t, err)
		require.Equal(t, &want, got)

		// And back to nil.
		want.AcceptedAt, want.PaymentID = nil, ""
		require.NoError(t, s.UpdateToken(ctx, &want))
		got, err = s.FindTokenByID(ctx, tn.ID, tk.ID)
		require.NoError(t, err)
		require.Equal(t, &want, got)
	})
	t.Run("UpdateErrNotFound", func(t *testing.T) {
		tk := MustToken(t, s, tn.ID)
		missing := *tk
		missing.ID = NewID()
		RequireCode(t, s.UpdateToken(ctx, &missing), paykit.ENOTFOUND)
		moved := *tk
		moved.TenantID, moved.Status = other.ID, paykit.TokenStatusRejected
		RequireCode(t, s.UpdateToken(ctx, &moved), paykit.ENOTFOUND)
		got, err := s.FindTokenByID(ctx, tn.ID, tk.ID)
		require.NoError(t, err)
		require.Equal(t, paykit.TokenStatusActive, got.Status)
	})
	t.Run("FindTokens", func(t *testing.T) {
		tn, other := MustTenant(t, s), MustTenant(t, s)
		source := NewID()
		statuses := []paykit.TokenStatus{paykit.TokenStatusActive, paykit.TokenStatusExpired, paykit.TokenStatusActive,
			paykit.TokenStatusRejected, paykit.TokenStatusActive, paykit.TokenStatusSucceeded, paykit.TokenStatusClosed}
		var all []*paykit.Token
		for i, st := range statuses {
			opt := func(tk *paykit.Token) {
				tk.Status = st
				if i%3 == 0 {
					tk.SourceAccountID = source
				}
			}
			all = append(all, MustToken(t, s, tn.ID, opt))
			MustToken(t, s, other.ID, opt)
		}
		id := func(tk *paykit.Token) string { return tk.ID }
		find := func(f paykit.TokenFilter) []*paykit.Token {
			f.Limit = 2
			return pages(t, 2, func(after string) ([]*paykit.Token, error) {
				f.After = after
				return s.FindTokens(ctx, tn.ID, f)
			}, id)
		}
		filter := func(keep func(*paykit.Token) bool) []string {
			var out []string
			for _, tk := range all {
				if keep(tk) {
					out = append(out, tk.ID)
				}
			}
			return out
		}
		require.Equal(t, all, find(paykit.TokenFilter{}))
		require.Equal(t, filter(func(tk *paykit.Token) bool { return tk.Status == paykit.TokenStatusActive }),
			ids(find(paykit.TokenFilter{Status: ptr(paykit.TokenStatusActive)}), id))
		require.Equal(t, filter(func(tk *paykit.Token) bool { return tk.SourceAccountID == source }),
			ids(find(paykit.TokenFilter{SourceAccountID: &source}), id))
		require.Equal(t, filter(func(tk *paykit.Token) bool {
			return tk.SourceAccountID == source && tk.Status == paykit.TokenStatusActive
		}), ids(find(paykit.TokenFilter{SourceAccountID: &source, Status: ptr(paykit.TokenStatusActive)}), id))
		require.Empty(t, find(paykit.TokenFilter{Status: ptr[paykit.TokenStatus]("nope")}))
	})
}

func testFindExpiredTokens(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	tn, other := MustTenant(t, s), MustTenant(t, s)
	now := Base.Add(time.Hour)
	expiring := func(at time.Time, opts ...func(*paykit.Token)) func(*paykit.Token) {
		return func(tk *paykit.Token) {
			tk.ExpiresAt = at
			for _, o := range opts {
				o(tk)
			}
		}
	}
	accepted := func(tk *paykit.Token) { tk.AcceptedAt, tk.PaymentID = &now, NewID() }
	rejected := func(tk *paykit.Token) { tk.Status = paykit.TokenStatusRejected }

	atNow := MustToken(t, s, tn.ID, expiring(now))
	oldest := MustToken(t, s, other.ID, expiring(now.Add(-time.Hour)))
	before := MustToken(t, s, tn.ID, expiring(now.Add(-time.Microsecond)))
	MustToken(t, s, tn.ID, expiring(now.Add(time.Microsecond)))    // not yet
	MustToken(t, s, tn.ID, expiring(now.Add(-time.Hour), accepted)) // accepted: its payment decides
	MustToken(t, s, tn.ID, expiring(now.Add(-time.Hour), rejected)) // already over

	id := func(tk *paykit.Token) string { return tk.ID }
	got, err := s.FindExpiredTokens(ctx, now, 10)
	require.NoError(t, err)
	require.Equal(t, []string{oldest.ID, before.ID, atNow.ID}, ids(got, id))
	require.Equal(t, oldest, got[0])

	got, err = s.FindExpiredTokens(ctx, now, 2)
	require.NoError(t, err)
	require.Equal(t, []string{oldest.ID, before.ID}, ids(got, id))

	got, err = s.FindExpiredTokens(ctx, now.Add(-time.Hour-time.Microsecond), 10)
	require.NoError(t, err)
	require.Empty(t, got)

	// Once expired by the sweep, a token is not found again.
	oldest.Status, oldest.UpdatedAt = paykit.TokenStatusExpired, now
	require.NoError(t, s.UpdateToken(ctx, oldest))
	got, err = s.FindExpiredTokens(ctx, now, 10)
	require.NoError(t, err)
	require.Equal(t, []string{before.ID, atNow.ID}, ids(got, id))
}

func testPayments(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	tn, other := MustTenant(t, s), MustTenant(t, s)

	t.Run("OK", func(t *testing.T) {
		submitted, lease := Base.Add(time.Minute), Base.Add(2*time.Minute)
		for _, want := range []*paykit.Payment{
			{ID: NewID(), TenantID: tn.ID, Type: paykit.PaymentTypeWithdrawal, Status: paykit.PaymentStatusProcessing,
				Amount: paykit.MoneyFromMinor(123456, "MXN"),
				Source: paykit.Party{AccountID: NewID(), BusinessAccountID: "biz_1", UserIdentityID: "u_1", ExternalStorage: "s_1"},
				Destination: paykit.Party{AccountID: NewID(), BusinessAccountID: "biz_2", UserIdentityID: "u_2",
					ExternalStorage: "clabe:0123"},
				PaymentTokenID: NewID(), TransferID: NewID(), RailReference: "rail-42", FailureReason: "none yet",
				SubmittedAt: &submitted, LeaseUntil: &lease, CreatedAt: Base, UpdatedAt: submitted},
			{ID: NewID(), TenantID: tn.ID, Type: paykit.PaymentTypeDeposit, Status: paykit.PaymentStatusPending,
				Amount: paykit.MoneyFromMinor(7, "KWD"), Destination: paykit.Party{AccountID: NewID()},
				TransferID: NewID(), CreatedAt: Base, UpdatedAt: Base},
		} {
			in := *want
			require.NoError(t, s.CreatePayment(ctx, &in))
			got, err := s.FindPaymentByID(ctx, tn.ID, want.ID)
			require.NoError(t, err)
			require.Equal(t, want, got)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		p := MustPayment(t, s, tn.ID)
		_, err := s.FindPaymentByID(ctx, tn.ID, NewID())
		RequireCode(t, err, paykit.ENOTFOUND)
		_, err = s.FindPaymentByID(ctx, other.ID, p.ID)
		RequireCode(t, err, paykit.ENOTFOUND)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		p := MustPayment(t, s, tn.ID)
		dup := *p
		RequireCode(t, s.CreatePayment(ctx, &dup), paykit.ECONFLICT)
	})
	t.Run("Update", func(t *testing.T) {
		p := MustPayment(t, s, tn.ID)
		submitted := Base.Add(time.Minute)
		want := *p
		want.Status, want.FailureReason, want.RailReference, want.SubmittedAt, want.LeaseUntil, want.UpdatedAt =
			paykit.PaymentStatusFailed, "rail said no", "ref-9", &submitted, nil, submitted
		in := want
		in.Type, in.PaymentTokenID = paykit.PaymentTypeDeposit, "ignored" // not mutable
		require.NoError(t, s.UpdatePayment(ctx, &in))
		got, err := s.FindPaymentByID(ctx, tn.ID, p.ID)
		require.NoError(t, err)
		require.Equal(t, &want, got)

		missing := want
		missing.ID = NewID()
		RequireCode(t, s.UpdatePayment(ctx, &missing), paykit.ENOTFOUND)
		moved := want
		moved.TenantID, moved.Status = other.ID, paykit.PaymentStatusCompleted
		RequireCode(t, s.UpdatePayment(ctx, &moved), paykit.ENOTFOUND)
	})
}

// The payment list: every sort, every filter, page by page.
func testFindPayments(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	tn, other := MustTenant(t, s), MustTenant(t, s)
	acct, token := NewID(), NewID()
	types := []paykit.PaymentType{paykit.PaymentTypeDeposit, paykit.PaymentTypeTransfer, paykit.PaymentTypeWithdrawal}
	statuses := []paykit.PaymentStatus{paykit.PaymentStatusPending, paykit.PaymentStatusCompleted, paykit.PaymentStatusFailed,
		paykit.PaymentStatusProcessing}
	var all []*paykit.Payment
	for i := range 11 {
		opt := func(p *paykit.Payment) {
			// Ties on both sort keys, broken by ID.
			p.CreatedAt = Base.Add(time.Duration(i/3) * time.Second)
			p.UpdatedAt = p.CreatedAt
			p.Amount = paykit.MoneyFromMinor(int64(1000-(i%4)*100), "USD")
			p.Type, p.Status = types[i%3], statuses[i%4]
			switch i % 4 {
			case 0:
				p.Source.AccountID = acct
			case 1:
				p.Destination.AccountID = acct
			}
			if i%5 == 0 {
				p.PaymentTokenID = token
			}
		}
		all = append(all, MustPayment(t, s, tn.ID, opt))
		MustPayment(t, s, other.ID, opt)
	}
	id := func(p *paykit.Payment) string { return p.ID }
	cmpBy := func(sort paykit.PaymentSort) func(a, b *paykit.Payment) int {
		return func(a, b *paykit.Payment) int {
			var c int
			switch sort {
			case paykit.PaymentSortAmountAsc, paykit.PaymentSortAmountDesc:
				c = a.Amount.Amount.Cmp(b.Amount.Amount)
			default:
				c = a.CreatedAt.Compare(b.CreatedAt)
			}
			if c == 0 {
				c = strings.Compare(a.ID, b.ID)
			}
			if sort == paykit.PaymentSortCreatedDesc || sort == paykit.PaymentSortAmountDesc {
				c = -c
			}
			return c
		}
	}
	from, until := Base.Add(time.Second), Base.Add(3*time.Second)
	for _, tc := range []struct {
		name string
		f    paykit.PaymentFilter
		keep func(*paykit.Payment) bool
	}{
		{"All", paykit.PaymentFilter{}, func(*paykit.Payment) bool { return true }},
		{"Type", paykit.PaymentFilter{Type: ptr(paykit.PaymentTypeTransfer)},
			func(p *paykit.Payment) bool { return p.Type == paykit.PaymentTypeTransfer }},
		{"Status", paykit.PaymentFilter{Status: ptr(paykit.PaymentStatusPending)},
			func(p *paykit.Payment) bool { return p.Status == paykit.PaymentStatusPending }},
		{"PaymentTokenID", paykit.PaymentFilter{PaymentTokenID: &token},
			func(p *paykit.Payment) bool { return p.PaymentTokenID == token }},
		{"AccountID", paykit.PaymentFilter{AccountID: &acct},
			func(p *paykit.Payment) bool { return p.Source.AccountID == acct || p.Destination.AccountID == acct }},
		{"Created", paykit.PaymentFilter{CreatedFrom: &from, CreatedUntil: &until},
			func(p *paykit.Payment) bool { return !p.CreatedAt.Before(from) && p.CreatedAt.Before(until) }},
		{"Combined", paykit.PaymentFilter{AccountID: &acct, CreatedFrom: &from, Type: ptr(paykit.PaymentTypeDeposit)},
			func(p *paykit.Payment) bool {
				return (p.Source.AccountID == acct || p.Destination.AccountID == acct) && !p.CreatedAt.Before(from) &&
					p.Type == paykit.PaymentTypeDeposit
			}},
	} {
		for _, sort := range []paykit.PaymentSort{"", paykit.PaymentSortCreatedAsc, paykit.PaymentSortCreatedDesc,
			paykit.PaymentSortAmountAsc, paykit.PaymentSortAmountDesc} {
			t.Run(tc.name+"/"+string(sort), func(t *testing.T) {
				var want []*paykit.Payment
				for _, p := range all {
					if tc.keep(p) {
						want = append(want, p)
					}
				}
				slices.SortFunc(want, cmpBy(sort))
				for _, limit := range []int{2, 3, 100} {
					f := tc.f
					f.Sort, f.Limit = sort, limit
					got := pages(t, limit, func(after string) ([]*paykit.Payment, error) {
						f.After = after
						return s.FindPayments(ctx, tn.ID, f)
					}, id)
					require.Equal(t, ids(want, id), ids(got, id), "limit %d", limit)
				}
			})
		}
	}
	t.Run("DefaultLimit", func(t *testing.T) {
		got, err := s.FindPayments(ctx, tn.ID, paykit.PaymentFilter{})
		require.NoError(t, err)
		require.Len(t, got, len(all))
		require.Equal(t, all[0], got[0])
	})
}

func testClaimPaymentsToSubmit(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	tn, other := MustTenant(t, s), MustTenant(t, s)
	now := Base.Add(time.Hour)
	at := func(d time.Duration, opts ...func(*paykit.Payment)) func(*paykit.Payment) {
		return func(p *paykit.Payment) {
			p.CreatedAt = Base.Add(d)
			for _, o := range opts {
				o(p)
			}
		}
	}
	status := func(st paykit.PaymentStatus) func(*paykit.Payment) {
		return func(p *paykit.Payment) { p.Status = st }
	}
	submitted := func(p *paykit.Payment) { p.SubmittedAt = ptr(Base) }
	leased := func(until time.Time) func(*paykit.Payment) {
		return func(p *paykit.Payment) { p.LeaseUntil = &until }
	}

	second := MustPayment(t, s, tn.ID, at(2*time.Second))
	first := MustPayment(t, s, other.ID, at(time.Second, status(paykit.PaymentStatusProcessing)))
	third := MustPayment(t, s, tn.ID, at(3*time.Second, leased(now))) // lease ended exactly now
	leasedOn := MustPayment(t, s, tn.ID, at(0, leased(now.Add(time.Microsecond))))
	MustPayment(t, s, tn.ID, at(0, submitted))
	MustPayment(t, s, tn.ID, at(0, status(paykit.PaymentStatusCompleted)))
	MustPayment(t, s, tn.ID, at(0, status(paykit.PaymentStatusFailed)))
	MustPayment(t, s, tn.ID, at(0, status(paykit.PaymentStatusCanceled)))

	id := func(p *paykit.Payment) string { return p.ID }
	until := now.Add(time.Minute)
	got, err := s.ClaimPaymentsToSubmit(ctx, now, until, 2)
	require.NoError(t, err)
	require.Equal(t, []string{first.ID, second.ID}, ids(got, id))
	want := *first
	want.LeaseUntil = &until
	require.Equal(t, &want, got[0])

	got, err = s.ClaimPaymentsToSubmit(ctx, now, until, 10)
	require.NoError(t, err)
	require.Equal(t, []string{third.ID}, ids(got, id))

	// Leased rows stay leased until their lease passes.
	got, err = s.ClaimPaymentsToSubmit(ctx, now.Add(time.Microsecond), until, 10)
	require.NoError(t, err)
	require.Equal(t, []string{leasedOn.ID}, ids(got, id))
	got, err = s.ClaimPaymentsToSubmit(ctx, until.Add(-time.Microsecond), until, 10)
	require.NoError(t, err)
	require.Empty(t, got)

	stored, err := s.FindPaymentByID(ctx, other.ID, first.ID)
	require.NoError(t, err)
	require.Equal(t, &until, stored.LeaseUntil)

	// Once submitted, a payment is never claimed again.
	stored.SubmittedAt, stored.LeaseUntil = &now, nil
	require.NoError(t, s.UpdatePayment(ctx, stored))
	later := until.Add(time.Hour)
	got, err = s.ClaimPaymentsToSubmit(ctx, until, later, 10)
	require.NoError(t, err)
	require.Equal(t, []string{leasedOn.ID, second.ID, third.ID}, ids(got, id))

	// Inside a transaction too.
	err = s.InTx(ctx, func(tx paykit.Store) error {
		got, err := tx.ClaimPaymentsToSubmit(ctx, later, later.Add(time.Minute), 1)
		if err != nil {
			return err
		}
		if len(got) != 1 || got[0].ID != leasedOn.ID {
			return fmt.Errorf("claimed %v", ids(got, id))
		}
		return nil
	})
	require.NoError(t, err)
}

// testConcurrentWrites runs read-then-write transactions from many goroutines
// at once: writes are serialized, so none is lost and none fails.
func testConcurrentWrites(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	tn := MustTenant(t, s)
	tn.Name = "0"
	require.NoError(t, s.UpdateTenant(ctx, tn))
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			errs <- s.InTx(ctx, func(tx paykit.Store) error {
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
