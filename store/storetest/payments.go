package storetest

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
)

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
			require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.CreatePayment(ctx, &in) }))
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
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.CreatePayment(ctx, &dup) }), paykit.ECONFLICT)

		// A token is accepted into one payment of its tenant.
		again := *p
		again.ID = NewID()
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.CreatePayment(ctx, &again) }), paykit.ECONFLICT)
		MustPayment(t, s, other.ID, func(o *paykit.Payment) { o.PaymentTokenID = p.PaymentTokenID })
	})
	t.Run("Update", func(t *testing.T) {
		p := MustPayment(t, s, tn.ID)
		submitted := Base.Add(time.Minute)
		want := *p
		want.Status, want.FailureReason, want.RailReference, want.SubmittedAt, want.LeaseUntil, want.UpdatedAt =
			paykit.PaymentStatusFailed, "rail said no", "ref-9", &submitted, nil, submitted
		in := want
		in.Type, in.PaymentTokenID = paykit.PaymentTypeDeposit, "ignored" // not mutable
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdatePayment(ctx, &in) }))
		got, err := s.FindPaymentByID(ctx, tn.ID, p.ID)
		require.NoError(t, err)
		require.Equal(t, &want, got)

		missing := want
		missing.ID = NewID()
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdatePayment(ctx, &missing) }), paykit.ENOTFOUND)
		moved := want
		moved.TenantID, moved.Status = other.ID, paykit.PaymentStatusCompleted
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdatePayment(ctx, &moved) }), paykit.ENOTFOUND)
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
			if i == 5 { // a token has one payment
				p.PaymentTokenID = token
			} else {
				p.PaymentTokenID = ""
			}
		}
		all = append(all, MustPayment(t, s, tn.ID, opt))
		MustPayment(t, s, other.ID, opt)
	}
	id := func(p *paykit.Payment) string { return p.ID }
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
				slices.SortFunc(want, paymentOrder(sort))
				for _, limit := range []int{2, 3, 100} {
					f := tc.f
					f.Sort, f.Limit = sort, limit
					got := pages(t, limit, func(after string) ([]*paykit.Payment, error) {
						f.After = after
						return s.FindPayments(ctx, tn.ID, f)
					}, id)
					require.Equal(t, ids(want, id), ids(got, id), "limit %d", limit)
				}
				// FindAllPayments: the same list without pages, from the start or
				// after any cursor; it ignores Limit.
				f := tc.f
				f.Sort, f.Limit = sort, 2
				require.Equal(t, ids(want, id), ids(collect(t, s.FindAllPayments(ctx, tn.ID, f)), id))
				for i := range want {
					f.After = want[i].ID
					require.Equal(t, ids(want[i+1:], id), ids(collect(t, s.FindAllPayments(ctx, tn.ID, f)), id), "after %d", i)
				}
			})
		}
	}
	t.Run("FindAllPayments", func(t *testing.T) {
		got := collect(t, s.FindAllPayments(ctx, tn.ID, paykit.PaymentFilter{}))
		require.Equal(t, all, got) // every field, oldest first
		require.Empty(t, collect(t, s.FindAllPayments(ctx, NewID(), paykit.PaymentFilter{})))

		// Breaking out releases the query: many times over, more than any pool
		// holds, and the Store still reads and writes.
		for range 50 {
			for p, err := range s.FindAllPayments(ctx, tn.ID, paykit.PaymentFilter{}) {
				require.NoError(t, err)
				require.Equal(t, all[0].ID, p.ID)
				break
			}
		}
		// The loop body may read the Store.
		n := 0
		for p, err := range s.FindAllPayments(ctx, tn.ID, paykit.PaymentFilter{}) {
			require.NoError(t, err)
			got, err := s.FindPaymentByID(ctx, tn.ID, p.ID)
			require.NoError(t, err)
			require.Equal(t, p, got)
			n++
		}
		require.Equal(t, len(all), n)

		// Inside a transaction it sees the transaction's own writes.
		err := s.InTx(ctx, func(tx paykit.Tx) error {
			p := &paykit.Payment{ID: NewID(), TenantID: tn.ID, Type: paykit.PaymentTypeDeposit,
				Status: paykit.PaymentStatusPending, Amount: paykit.MoneyFromMinor(1, "USD"),
				TransferID: NewID(), CreatedAt: Base.Add(time.Hour), UpdatedAt: Base.Add(time.Hour)}
			if err := tx.CreatePayment(ctx, p); err != nil {
				return err
			}
			var got []string
			for q, err := range tx.FindAllPayments(ctx, tn.ID, paykit.PaymentFilter{After: all[len(all)-1].ID}) {
				if err != nil {
					return err
				}
				got = append(got, q.ID)
			}
			if !slices.Equal(got, []string{p.ID}) {
				return fmt.Errorf("in a transaction: %v, want [%s]", got, p.ID)
			}
			return errRollback
		})
		require.ErrorIs(t, err, errRollback)

		// A canceled context ends the sequence with its error.
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		var errs []error
		for _, err := range s.FindAllPayments(cctx, tn.ID, paykit.PaymentFilter{}) {
			errs = append(errs, err)
		}
		require.Len(t, errs, 1)
		require.ErrorIs(t, errs[0], context.Canceled)
	})
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
	got, err := txValue(s, func(tx paykit.Tx) ([]*paykit.Payment, error) { return tx.ClaimPaymentsToSubmit(ctx, now, until, 2) })
	require.NoError(t, err)
	require.Equal(t, []string{first.ID, second.ID}, ids(got, id))
	want := *first
	want.LeaseUntil = &until
	require.Equal(t, &want, got[0])

	got, err = txValue(s, func(tx paykit.Tx) ([]*paykit.Payment, error) { return tx.ClaimPaymentsToSubmit(ctx, now, until, 10) })
	require.NoError(t, err)
	require.Equal(t, []string{third.ID}, ids(got, id))

	// Leased rows stay leased until their lease passes.
	got, err = txValue(s, func(tx paykit.Tx) ([]*paykit.Payment, error) {
		return tx.ClaimPaymentsToSubmit(ctx, now.Add(time.Microsecond), until, 10)
	})
	require.NoError(t, err)
	require.Equal(t, []string{leasedOn.ID}, ids(got, id))
	got, err = txValue(s, func(tx paykit.Tx) ([]*paykit.Payment, error) {
		return tx.ClaimPaymentsToSubmit(ctx, until.Add(-time.Microsecond), until, 10)
	})
	require.NoError(t, err)
	require.Empty(t, got)

	stored, err := s.FindPaymentByID(ctx, other.ID, first.ID)
	require.NoError(t, err)
	require.Equal(t, &until, stored.LeaseUntil)

	// Once submitted, a payment is never claimed again.
	stored.SubmittedAt, stored.LeaseUntil = &now, nil
	require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdatePayment(ctx, stored) }))
	later := until.Add(time.Hour)
	got, err = txValue(s, func(tx paykit.Tx) ([]*paykit.Payment, error) { return tx.ClaimPaymentsToSubmit(ctx, until, later, 10) })
	require.NoError(t, err)
	require.Equal(t, []string{leasedOn.ID, second.ID, third.ID}, ids(got, id))

	// Inside a transaction too.
	err = s.InTx(ctx, func(tx paykit.Tx) error {
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

// errRollback rolls a test's transaction back.
var errRollback = errors.New("roll back")

// collect returns every payment of seq, failing tb on an error.
func collect(tb testing.TB, seq iter.Seq2[*paykit.Payment, error]) []*paykit.Payment {
	tb.Helper()
	var out []*paykit.Payment
	for p, err := range seq {
		require.NoError(tb, err)
		out = append(out, p)
	}
	return out
}

// paymentOrder compares payments in the order of sort, ties broken by ID.
func paymentOrder(sort paykit.PaymentSort) func(a, b *paykit.Payment) int {
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

// testFindPaymentsByAmount: an account's payments sorted by amount, for an
// account with thousands of payments and one with a few, in one tenant with
// others' payments too; store may read the two in different ways (package
// store reads an account with fewer than 2,000 from its own indexes), and
// both must give the same pages. Amounts tie, so the ID breaks ties; each
// account sent a payment to itself, which it lists once.
func testFindPaymentsByAmount(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	tn := MustTenant(t, s)
	busy, quiet := NewID(), NewID()
	var all []*paykit.Payment
	add := func(tx paykit.Tx, i int, src, dst string) error {
		at := Base.Add(time.Duration(i) * time.Second)
		typ := paykit.PaymentTypeTransfer
		if i%3 == 0 {
			typ = paykit.PaymentTypeDeposit
		}
		p := &paykit.Payment{ID: NewID(), TenantID: tn.ID, Type: typ, Status: paykit.PaymentStatusCompleted,
			Amount: paykit.MoneyFromMinor(int64(i*7919%500+1), "USD"), Source: paykit.Party{AccountID: src},
			Destination: paykit.Party{AccountID: dst}, TransferID: NewID(), CreatedAt: at, UpdatedAt: at}
		all = append(all, p)
		return tx.CreatePayment(ctx, p)
	}
	require.NoError(t, inTx(s, func(tx paykit.Tx) error {
		for i := range 3000 {
			src, dst := NewID(), NewID()
			switch {
			case i < 2400 && i%2 == 0:
				src = busy
			case i < 2400:
				dst = busy
			case i < 2430 && i%2 == 0:
				src = quiet
			case i < 2430:
				dst = quiet
			}
			if err := add(tx, i, src, dst); err != nil {
				return err
			}
		}
		if err := add(tx, 3000, busy, busy); err != nil {
			return err
		}
		return add(tx, 3001, quiet, quiet)
	}))
	id := func(p *paykit.Payment) string { return p.ID }
	for _, acct := range []struct {
		name, id string
		n        int
	}{{"busy", busy, 2401}, {"quiet", quiet, 31}} {
		for _, typ := range []*paykit.PaymentType{nil, ptr(paykit.PaymentTypeTransfer)} {
			for _, sort := range []paykit.PaymentSort{paykit.PaymentSortAmountAsc, paykit.PaymentSortAmountDesc} {
				t.Run(fmt.Sprintf("%s/type=%v/%s", acct.name, typ != nil, sort), func(t *testing.T) {
					var want []*paykit.Payment
					for _, p := range all {
						if (p.Source.AccountID == acct.id || p.Destination.AccountID == acct.id) && (typ == nil || p.Type == *typ) {
							want = append(want, p)
						}
					}
					if typ == nil {
						require.Len(t, want, acct.n)
					}
					slices.SortFunc(want, paymentOrder(sort))
					f := paykit.PaymentFilter{AccountID: &acct.id, Type: typ, Sort: sort, Limit: 26}
					got, err := s.FindPayments(ctx, tn.ID, f)
					require.NoError(t, err)
					require.Equal(t, ids(want[:min(26, len(want))], id), ids(got, id), "the first page")
					for _, k := range []int{0, len(want) / 2, len(want) - 2} {
						f.After = want[k].ID
						got, err := s.FindPayments(ctx, tn.ID, f)
						require.NoError(t, err)
						require.Equal(t, ids(want[k+1:min(k+27, len(want))], id), ids(got, id), "after row %d", k)
					}
					if len(want) < 100 {
						f.Limit = 4
						got := pages(t, 4, func(after string) ([]*paykit.Payment, error) {
							f.After = after
							return s.FindPayments(ctx, tn.ID, f)
						}, id)
						require.Equal(t, ids(want, id), ids(got, id), "every page")
					}
				})
			}
		}
	}
}
