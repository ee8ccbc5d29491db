package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
)

func testAccounts(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	tn, other := MustTenant(t, s), MustTenant(t, s)

	t.Run("OK", func(t *testing.T) {
		want := &paykit.Account{ID: NewID(), TenantID: tn.ID, Kind: paykit.AccountKindBusiness, Currency: "USD",
			Code: "", Name: "Main", BusinessAccountID: "biz_9", UserIdentityID: "", ExternalStorage: "iban:X",
			DebitsPending: 1, DebitsPosted: 2, CreditsPending: 3, CreditsPosted: 40,
			CreatedAt: Base, UpdatedAt: Base.Add(time.Second)}
		in := *want
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.CreateAccount(ctx, &in) }))
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
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.CreateAccount(ctx, a) }), paykit.ECONFLICT)
		MustAccount(t, s, tn.ID, paykit.AccountKindExternal, "JPY")
		MustAccount(t, s, other.ID, paykit.AccountKindExternal, "MXN")
	})
	t.Run("ErrConflict", func(t *testing.T) {
		a := MustAccount(t, s, tn.ID, paykit.AccountKindUser, "USD")
		dup := *a
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.CreateAccount(ctx, &dup) }), paykit.ECONFLICT)
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
		require.NoError(t, inTx(s, func(tx paykit.Tx) error {
			return tx.UpdateAccountBalances(ctx, tn.ID, a.ID, paykit.BalanceDelta{CreditsPosted: 100, CreditsPending: 7}, later)
		}))
		require.NoError(t, inTx(s, func(tx paykit.Tx) error {
			return tx.UpdateAccountBalances(ctx, tn.ID, a.ID, paykit.BalanceDelta{DebitsPending: 60, DebitsPosted: 40}, later)
		}))
		got, err := s.FindAccountByID(ctx, tn.ID, a.ID)
		require.NoError(t, err)
		require.Equal(t, paykit.BalanceDelta{DebitsPending: 60, DebitsPosted: 40, CreditsPending: 7, CreditsPosted: 100},
			paykit.BalanceDelta{DebitsPending: got.DebitsPending, DebitsPosted: got.DebitsPosted,
				CreditsPending: got.CreditsPending, CreditsPosted: got.CreditsPosted})
		require.Equal(t, later, got.UpdatedAt)
		require.Equal(t, Base, got.CreatedAt)
		// Moving a pending debit to posted keeps available at zero.
		require.NoError(t, inTx(s, func(tx paykit.Tx) error {
			return tx.UpdateAccountBalances(ctx, tn.ID, a.ID, paykit.BalanceDelta{DebitsPending: -60, DebitsPosted: 60}, later)
		}))
	})
	t.Run("ErrInsufficientFunds", func(t *testing.T) {
		for _, kind := range []paykit.AccountKind{paykit.AccountKindUser, paykit.AccountKindBusiness, paykit.AccountKindSystem} {
			a := MustAccount(t, s, tn.ID, kind, "SEK", func(a *paykit.Account) { a.Code = "" })
			require.NoError(t, inTx(s, func(tx paykit.Tx) error {
				return tx.UpdateAccountBalances(ctx, tn.ID, a.ID, paykit.BalanceDelta{CreditsPosted: 100}, later)
			}))
			require.NoError(t, inTx(s, func(tx paykit.Tx) error {
				return tx.UpdateAccountBalances(ctx, tn.ID, a.ID, paykit.BalanceDelta{DebitsPending: 60}, later)
			}))
			// Available is 40: 41 more, pending or posted, is one too many.
			RequireCode(t, inTx(s, func(tx paykit.Tx) error {
				return tx.UpdateAccountBalances(ctx, tn.ID, a.ID, paykit.BalanceDelta{DebitsPending: 41}, later)
			}), paykit.ECONFLICT)
			RequireCode(t, inTx(s, func(tx paykit.Tx) error {
				return tx.UpdateAccountBalances(ctx, tn.ID, a.ID, paykit.BalanceDelta{DebitsPosted: 41}, later)
			}), paykit.ECONFLICT)
			RequireCode(t, inTx(s, func(tx paykit.Tx) error {
				return tx.UpdateAccountBalances(ctx, tn.ID, a.ID, paykit.BalanceDelta{CreditsPosted: -41}, later)
			}), paykit.ECONFLICT)
			require.NoError(t, inTx(s, func(tx paykit.Tx) error {
				return tx.UpdateAccountBalances(ctx, tn.ID, a.ID, paykit.BalanceDelta{DebitsPosted: 40}, later)
			}))
			got, err := s.FindAccountByID(ctx, tn.ID, a.ID)
			require.NoError(t, err)
			require.Equal(t, int64(0), got.Available().Minor())
		}
	})
	t.Run("ErrInsufficientFundsInTx", func(t *testing.T) {
		a := MustAccount(t, s, tn.ID, paykit.AccountKindUser, "SEK")
		err := s.InTx(ctx, func(tx paykit.Tx) error {
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
		require.NoError(t, inTx(s, func(tx paykit.Tx) error {
			return tx.UpdateAccountBalances(ctx, tn.ID, w.ID, paykit.BalanceDelta{DebitsPosted: 1_000_000, DebitsPending: 5}, later)
		}))
		got, err := s.FindAccountByID(ctx, tn.ID, w.ID)
		require.NoError(t, err)
		require.Equal(t, int64(-1_000_005), got.Available().Minor())
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		a := MustAccount(t, s, tn.ID, paykit.AccountKindUser, "USD")
		RequireCode(t, inTx(s, func(tx paykit.Tx) error {
			return tx.UpdateAccountBalances(ctx, tn.ID, NewID(), paykit.BalanceDelta{CreditsPosted: 1}, later)
		}), paykit.ENOTFOUND)
		RequireCode(t, inTx(s, func(tx paykit.Tx) error {
			return tx.UpdateAccountBalances(ctx, other.ID, a.ID, paykit.BalanceDelta{CreditsPosted: 1}, later)
		}), paykit.ENOTFOUND)
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
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.CreateTransfer(ctx, &in) }))
		got, err := s.FindTransferByID(ctx, tn.ID, want.ID)
		require.NoError(t, err)
		require.Equal(t, want, got)

		want.Status, want.UpdatedAt = paykit.TransferStatusPosted, Base.Add(time.Minute)
		var settled *paykit.Transfer
		require.NoError(t, inTx(s, func(tx paykit.Tx) (err error) {
			settled, err = tx.SettleTransfer(ctx, tn.ID, want.ID, paykit.TransferStatusPosted, Base.Add(time.Minute))
			return err
		}))
		require.Equal(t, want, settled)
		got, err = s.FindTransferByID(ctx, tn.ID, want.ID)
		require.NoError(t, err)
		require.Equal(t, want, got)
	})
	t.Run("SettleOnce", func(t *testing.T) {
		for _, to := range []paykit.TransferStatus{paykit.TransferStatusPosted, paykit.TransferStatusVoided} {
			tr := MustTransfer(t, s, a, b, 10, paykit.TransferStatusPending)
			require.NoError(t, inTx(s, func(tx paykit.Tx) error {
				_, err := tx.SettleTransfer(ctx, tn.ID, tr.ID, to, Base.Add(time.Hour))
				return err
			}))
			// A second settlement, either way, finds it settled and changes nothing.
			for _, again := range []paykit.TransferStatus{paykit.TransferStatusPosted, paykit.TransferStatusVoided} {
				err := inTx(s, func(tx paykit.Tx) error {
					_, err := tx.SettleTransfer(ctx, tn.ID, tr.ID, again, Base.Add(2*time.Hour))
					return err
				})
				RequireCode(t, err, paykit.ECONFLICT)
				require.Contains(t, err.Error(), "already "+string(to))
			}
			got, err := s.FindTransferByID(ctx, tn.ID, tr.ID)
			require.NoError(t, err)
			require.Equal(t, to, got.Status)
			require.Equal(t, Base.Add(time.Hour), got.UpdatedAt)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		tr := MustTransfer(t, s, a, b, 10, paykit.TransferStatusPosted)
		_, err := s.FindTransferByID(ctx, tn.ID, NewID())
		RequireCode(t, err, paykit.ENOTFOUND)
		_, err = s.FindTransferByID(ctx, other.ID, tr.ID)
		RequireCode(t, err, paykit.ENOTFOUND)
		pending := MustTransfer(t, s, a, b, 10, paykit.TransferStatusPending)
		for _, id := range []string{pending.ID, NewID()} {
			RequireCode(t, inTx(s, func(tx paykit.Tx) error {
				_, err := tx.SettleTransfer(ctx, other.ID, id, paykit.TransferStatusVoided, Base)
				return err
			}), paykit.ENOTFOUND)
		}
		got, err := s.FindTransferByID(ctx, tn.ID, pending.ID)
		require.NoError(t, err)
		require.Equal(t, paykit.TransferStatusPending, got.Status)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		tr := MustTransfer(t, s, a, b, 10, paykit.TransferStatusPosted)
		dup := *tr
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.CreateTransfer(ctx, &dup) }), paykit.ECONFLICT)
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
