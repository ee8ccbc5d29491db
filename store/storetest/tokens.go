package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
)

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
			require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.CreateToken(ctx, &in) }))
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
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.CreateToken(ctx, &dup) }), paykit.ECONFLICT)
		dup.ID = NewID() // same token string in the same tenant
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.CreateToken(ctx, &dup) }), paykit.ECONFLICT)
		dup.TenantID = other.ID // ... is fine in another tenant
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.CreateToken(ctx, &dup) }))
	})
	t.Run("Update", func(t *testing.T) {
		tk := MustToken(t, s, tn.ID)
		accepted := Base.Add(time.Minute)
		want := *tk
		want.Status, want.PaymentID, want.AcceptedAt, want.ReservationID, want.UpdatedAt =
			paykit.TokenStatusSucceeded, NewID(), &accepted, NewID(), accepted
		in := want
		in.Memo, in.Amount = "ignored", paykit.MoneyFromMinor(1, "USD") // not mutable
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdateToken(ctx, &in) }))
		got, err := s.FindTokenByID(ctx, tn.ID, tk.ID)
		require.NoError(t, err)
		require.Equal(t, &want, got)

		// And back to nil.
		want.AcceptedAt, want.PaymentID = nil, ""
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdateToken(ctx, &want) }))
		got, err = s.FindTokenByID(ctx, tn.ID, tk.ID)
		require.NoError(t, err)
		require.Equal(t, &want, got)
	})
	t.Run("UpdateErrNotFound", func(t *testing.T) {
		tk := MustToken(t, s, tn.ID)
		missing := *tk
		missing.ID = NewID()
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdateToken(ctx, &missing) }), paykit.ENOTFOUND)
		moved := *tk
		moved.TenantID, moved.Status = other.ID, paykit.TokenStatusRejected
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdateToken(ctx, &moved) }), paykit.ENOTFOUND)
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
	MustToken(t, s, tn.ID, expiring(now.Add(time.Microsecond)))     // not yet
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
	require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdateToken(ctx, oldest) }))
	got, err = s.FindExpiredTokens(ctx, now, 10)
	require.NoError(t, err)
	require.Equal(t, []string{before.ID, atNow.ID}, ids(got, id))
}
