package paykit_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
)

func TestToken_Create(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		e := MustOpen(t, paykit.WithWalletEnv("stage"))
		tenant := e.MustTenant(t)
		src := e.MustAccount(t, tenant, "100.00")
		tok := e.MustToken(t, tenant, src.ID, "25.50", time.Hour)

		require.Equal(t, paykit.TokenStatusActive, tok.Status)
		require.Equal(t, "25.50 USD", tok.Amount.String())
		require.Equal(t, epoch.Add(time.Hour), tok.ExpiresAt)
		require.Equal(t, "gig", tok.Memo)
		require.Len(t, tok.Token, 32)
		require.NotContains(t, tok.Token, "/")
		require.Equal(t, "https://wallet.stage.gigpay.com/payment/"+tok.Token, e.svc.WalletLink(tok))
		e.RequireBalances(t, tenant, src.ID, "74.50", "100.00") // reserved, not spent
		require.Equal(t, []string{paykit.EventTokenCreated}, e.eventTypes(t, tenant, tok.ID))

		got, err := e.svc.FindTokenByToken(ctx, tenant, tok.Token)
		require.NoError(t, err)
		require.Equal(t, tok, got)
	})

	t.Run("ProductionLink", func(t *testing.T) {
		e := MustOpen(t)
		require.Equal(t, "https://wallet.gigpay.com/payment/abc", e.svc.WalletLink(&paykit.Token{Token: "abc"}))
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		e := MustOpen(t)
		tenant := e.MustTenant(t)
		src := e.MustAccount(t, tenant, "100.00")
		eur, err := e.svc.CreateAccount(ctx, tenant, paykit.AccountCreate{Currency: "EUR", BusinessAccountID: "b"})
		require.NoError(t, err)
		past, now := epoch.Add(-time.Millisecond), epoch
		for _, tc := range []struct {
			name  string
			in    paykit.TokenCreate
			field string
		}{
			{"EUR", paykit.TokenCreate{AssetType: "eur", SourceAccountID: src.ID, Amount: dec("1")}, "assetType"},
			{"NoAsset", paykit.TokenCreate{SourceAccountID: src.ID, Amount: dec("1")}, "assetType"},
			{"Zero", paykit.TokenCreate{AssetType: "usd", SourceAccountID: src.ID, Amount: dec("0")}, "amount"},
			{"Negative", paykit.TokenCreate{AssetType: "usd", SourceAccountID: src.ID, Amount: dec("-5")}, "amount"},
			{"OverPrecise", paykit.TokenCreate{AssetType: "usd", SourceAccountID: src.ID, Amount: dec("1.001")}, "amount"},
			{"Huge", paykit.TokenCreate{AssetType: "usd", SourceAccountID: src.ID, Amount: dec("1e30")}, "amount"},
			{"PastExpiry", paykit.TokenCreate{AssetType: "usd", SourceAccountID: src.ID, Amount: dec("1"), ExpiresAt: &past}, "expiresAt"},
			{"ExpiryNow", paykit.TokenCreate{AssetType: "usd", SourceAccountID: src.ID, Amount: dec("1"), ExpiresAt: &now}, "expiresAt"},
			{"NoSource", paykit.TokenCreate{AssetType: "usd", Amount: dec("1")}, "sourceAccountId"},
			{"UnknownSource", paykit.TokenCreate{AssetType: "usd", SourceAccountID: "nope", Amount: dec("1")}, "sourceAccountId"},
			{"EURSource", paykit.TokenCreate{AssetType: "usd", SourceAccountID: eur.ID, Amount: dec("1")}, "sourceAccountId"},
			{"LongMemo", paykit.TokenCreate{AssetType: "usd", SourceAccountID: src.ID, Amount: dec("1"), Memo: strings.Repeat("x", 1001)}, "memo"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := e.svc.CreateToken(ctx, tenant, tc.in)
				requireCode(t, paykit.EINVALID, err)
				require.Contains(t, paykit.ErrorFields(err), tc.field)
			})
		}
		toks, err := e.svc.FindTokens(ctx, tenant, paykit.TokenFilter{})
		require.NoError(t, err)
		require.Empty(t, toks, "nothing written")
		e.RequireBalances(t, tenant, src.ID, "100.00", "100.00")
	})

	t.Run("ErrInsufficientFunds", func(t *testing.T) {
		e := MustOpen(t)
		tenant := e.MustTenant(t)
		src := e.MustAccount(t, tenant, "10.00")
		e.MustToken(t, tenant, src.ID, "6.00", time.Hour)
		_, err := e.svc.CreateToken(ctx, tenant, paykit.TokenCreate{AssetType: "usd", SourceAccountID: src.ID, Amount: dec("4.01")})
		requireCode(t, paykit.ECONFLICT, err)
		e.RequireBalances(t, tenant, src.ID, "4.00", "10.00")
	})

	t.Run("ErrOtherTenant", func(t *testing.T) {
		e := MustOpen(t)
		a, b := e.MustTenant(t), e.MustTenant(t)
		src := e.MustAccount(t, a, "10.00")
		_, err := e.svc.CreateToken(ctx, b, paykit.TokenCreate{AssetType: "usd", SourceAccountID: src.ID, Amount: dec("1")})
		requireCode(t, paykit.EINVALID, err)
		tok := e.MustToken(t, a, src.ID, "1.00", time.Hour)
		_, err = e.svc.FindTokenByToken(ctx, b, tok.Token)
		requireCode(t, paykit.ENOTFOUND, err)
		_, err = e.svc.AcceptToken(ctx, b, tok.Token, src.ID)
		requireCode(t, paykit.ENOTFOUND, err)
	})
}

func TestToken_CreateBatch(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		e := MustOpen(t)
		tenant := e.MustTenant(t)
		src := e.MustAccount(t, tenant, "10.00")
		in := make([]paykit.TokenCreate, 5)
		for i := range in {
			in[i] = paykit.TokenCreate{AssetType: "usd", SourceAccountID: src.ID, Amount: dec("2.00")}
		}
		toks, err := e.svc.CreateTokens(ctx, tenant, in)
		require.NoError(t, err)
		require.Len(t, toks, 5)
		require.Equal(t, epoch.Add(paykit.DefaultTokenTTL), toks[0].ExpiresAt)
		e.RequireBalances(t, tenant, src.ID, "0.00", "10.00")
	})
	t.Run("AllOrNothing", func(t *testing.T) {
		e := MustOpen(t)
		tenant := e.MustTenant(t)
		src := e.MustAccount(t, tenant, "10.00")
		in := []paykit.TokenCreate{
			{AssetType: "usd", SourceAccountID: src.ID, Amount: dec("6.00")},
			{AssetType: "usd", SourceAccountID: src.ID, Amount: dec("1.999")},
		}
		_, err := e.svc.CreateTokens(ctx, tenant, in)
		requireCode(t, paykit.EINVALID, err)
		require.Contains(t, paykit.ErrorFields(err), "[1].amount")

		in[1].Amount = dec("5.00") // valid, but 6 + 5 > 10
		_, err = e.svc.CreateTokens(ctx, tenant, in)
		requireCode(t, paykit.ECONFLICT, err)

		toks, err := e.svc.FindTokens(ctx, tenant, paykit.TokenFilter{})
		require.NoError(t, err)
		require.Empty(t, toks)
		e.RequireBalances(t, tenant, src.ID, "10.00", "10.00")
	})
	t.Run("ErrTooMany", func(t *testing.T) {
		e := MustOpen(t)
		tenant := e.MustTenant(t)
		_, err := e.svc.CreateTokens(ctx, tenant, make([]paykit.TokenCreate, paykit.MaxTokenBatch+1))
		requireCode(t, paykit.EINVALID, err)
		_, err = e.svc.CreateTokens(ctx, tenant, nil)
		requireCode(t, paykit.EINVALID, err)
	})
}

func TestToken_Accept(t *testing.T) {
	ctx := context.Background()
	t.Run("CompletedSucceeds", func(t *testing.T) {
		e := MustOpen(t)
		tenant := e.MustTenant(t)
		src, dst := e.MustAccount(t, tenant, "100.00"), e.MustUserAccount(t, tenant)
		tok := e.MustToken(t, tenant, src.ID, "40.00", time.Hour)

		e.clock.Add(time.Minute)
		acc, err := e.svc.AcceptToken(ctx, tenant, tok.Token, dst.ID)
		require.NoError(t, err)
		p := acc.Payment
		require.Equal(t, paykit.PaymentTypeTransfer, p.Type)
		require.Equal(t, paykit.PaymentStatusProcessing, p.Status)
		require.Equal(t, tok.ID, p.PaymentTokenID)
		require.Equal(t, src.ID, p.Source.AccountID)
		require.Equal(t, dst.ID, p.Destination.AccountID)
		require.Equal(t, "user-"+t.Name(), p.Destination.UserIdentityID)
		// While the transfer processes the token stays active, marked accepted.
		require.Equal(t, paykit.TokenStatusActive, acc.Token.Status)
		require.Equal(t, p.ID, acc.Token.PaymentID)
		require.Equal(t, epoch.Add(time.Minute), *acc.Token.AcceptedAt)
		require.True(t, acc.Token.Accepted())
		require.False(t, acc.Token.Open())
		e.RequireBalances(t, tenant, src.ID, "60.00", "100.00")
		e.RequireBalances(t, tenant, dst.ID, "0.00", "0.00")

		// An accepted token never expires.
		e.clock.Add(2 * time.Hour)
		e.MustRunDue(t)
		got, err := e.svc.FindTokenByID(ctx, tenant, tok.ID)
		require.NoError(t, err)
		require.Equal(t, paykit.TokenStatusActive, got.Status)
		_, err = e.svc.RejectToken(ctx, tenant, tok.Token)
		requireCode(t, paykit.ECONFLICT, err)

		p, err = e.svc.CompletePayment(ctx, tenant, p.ID)
		require.NoError(t, err)
		require.Equal(t, paykit.PaymentStatusCompleted, p.Status)
		got, err = e.svc.FindTokenByID(ctx, tenant, tok.ID)
		require.NoError(t, err)
		require.Equal(t, paykit.TokenStatusSucceeded, got.Status)
		require.False(t, got.Accepted(), "its payment ended")
		e.RequireBalances(t, tenant, src.ID, "60.00", "60.00")
		e.RequireBalances(t, tenant, dst.ID, "40.00", "40.00")
		require.Equal(t, []string{paykit.EventTokenCreated, paykit.EventTokenAccepted, paykit.EventTokenSucceeded}, e.eventTypes(t, tenant, tok.ID))
		require.Equal(t, []string{paykit.EventPaymentCreated, paykit.EventPaymentCompleted}, e.eventTypes(t, tenant, p.ID))

		_, err = e.svc.CompletePayment(ctx, tenant, p.ID)
		requireCode(t, paykit.ECONFLICT, err)
	})

	for _, tc := range []struct {
		name   string
		settle func(*paykit.Service, string, string) (*paykit.Payment, error)
		status paykit.PaymentStatus
	}{
		{"CanceledDownstreamCloses", func(s *paykit.Service, tenant, id string) (*paykit.Payment, error) {
			return s.CancelPayment(context.Background(), tenant, id, "MassPay rejected the payee")
		}, paykit.PaymentStatusCanceled},
		{"FailedCloses", func(s *paykit.Service, tenant, id string) (*paykit.Payment, error) {
			return s.FailPayment(context.Background(), tenant, id, "unexpected")
		}, paykit.PaymentStatusFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := MustOpen(t)
			tenant := e.MustTenant(t)
			src, dst := e.MustAccount(t, tenant, "100.00"), e.MustUserAccount(t, tenant)
			tok := e.MustToken(t, tenant, src.ID, "40.00", time.Hour)
			acc, err := e.svc.AcceptToken(ctx, tenant, tok.Token, dst.ID)
			require.NoError(t, err)
			e.MustRunDue(t) // hands the transfer to the rail
			p, err := tc.settle(e.svc, tenant, acc.Payment.ID)
			require.NoError(t, err)
			require.Equal(t, tc.status, p.Status)
			require.NotEmpty(t, p.FailureReason)
			got, err := e.svc.FindTokenByID(ctx, tenant, tok.ID)
			require.NoError(t, err)
			require.Equal(t, paykit.TokenStatusClosed, got.Status)
			e.RequireBalances(t, tenant, src.ID, "100.00", "100.00")
			e.RequireBalances(t, tenant, dst.ID, "0.00", "0.00")
			_, err = e.svc.AcceptToken(ctx, tenant, tok.Token, dst.ID)
			requireCode(t, paykit.ECONFLICT, err)
		})
	}

	t.Run("ErrInvalidDestination", func(t *testing.T) {
		e := MustOpen(t)
		tenant := e.MustTenant(t)
		src := e.MustAccount(t, tenant, "100.00")
		tok := e.MustToken(t, tenant, src.ID, "1.00", time.Hour)
		eur, err := e.svc.CreateAccount(ctx, tenant, paykit.AccountCreate{Currency: "EUR", UserIdentityID: "u"})
		require.NoError(t, err)
		for _, dst := range []string{"", "missing", src.ID, eur.ID} {
			_, err := e.svc.AcceptToken(ctx, tenant, tok.Token, dst)
			requireCode(t, paykit.EINVALID, err)
			require.Contains(t, paykit.ErrorFields(err), "destinationAccountId")
		}
		got, err := e.svc.FindTokenByID(ctx, tenant, tok.ID)
		require.NoError(t, err)
		require.Equal(t, tok, got, "unchanged")
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		e := MustOpen(t)
		tenant := e.MustTenant(t)
		_, err := e.svc.AcceptToken(ctx, tenant, "nope", "x")
		requireCode(t, paykit.ENOTFOUND, err)
	})
}

// TestToken_AcceptRace has 100 goroutines accept one token: exactly one wins,
// every other gets a conflict, and the money moves once.
func TestToken_AcceptRace(t *testing.T) {
	ctx := context.Background()
	e := MustOpen(t)
	tenant := e.MustTenant(t)
	src := e.MustAccount(t, tenant, "50.00")
	tok := e.MustToken(t, tenant, src.ID, "30.00", time.Hour)
	const n = 100
	dsts := make([]*paykit.Account, n)
	for i := range dsts {
		var err error
		dsts[i], err = e.svc.CreateAccount(ctx, tenant, paykit.AccountCreate{Currency: "USD", UserIdentityID: "payee"})
		require.NoError(t, err)
	}
	var wins, conflicts atomic.Int32
	var winner atomic.Value
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			acc, err := e.svc.AcceptToken(ctx, tenant, tok.Token, dsts[i].ID)
			switch paykit.ErrorCode(err) {
			case "":
				wins.Add(1)
				winner.Store(acc.Payment)
			case paykit.ECONFLICT:
				conflicts.Add(1)
			default:
				t.Errorf("accept %d: %v", i, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	require.EqualValues(t, 1, wins.Load())
	require.EqualValues(t, n-1, conflicts.Load())

	p := winner.Load().(*paykit.Payment)
	_, err := e.svc.CompletePayment(ctx, tenant, p.ID)
	require.NoError(t, err)
	e.RequireBalances(t, tenant, src.ID, "20.00", "20.00")
	e.RequireBalances(t, tenant, p.Destination.AccountID, "30.00", "30.00")
	payments, err := e.svc.FindPayments(ctx, tenant, paykit.PaymentFilter{Type: ptr(paykit.PaymentTypeTransfer)})
	require.NoError(t, err)
	require.Len(t, payments, 1)
}

func TestToken_Reject(t *testing.T) {
	ctx := context.Background()
	e := MustOpen(t)
	tenant := e.MustTenant(t)
	src, dst := e.MustAccount(t, tenant, "10.00"), e.MustUserAccount(t, tenant)
	tok := e.MustToken(t, tenant, src.ID, "10.00", time.Hour)
	e.RequireBalances(t, tenant, src.ID, "0.00", "10.00")

	got, err := e.svc.RejectToken(ctx, tenant, tok.Token)
	require.NoError(t, err)
	require.Equal(t, paykit.TokenStatusRejected, got.Status)
	e.RequireBalances(t, tenant, src.ID, "10.00", "10.00")
	require.Equal(t, []string{paykit.EventTokenCreated, paykit.EventTokenRejected}, e.eventTypes(t, tenant, tok.ID))

	_, err = e.svc.RejectToken(ctx, tenant, tok.Token)
	requireCode(t, paykit.ECONFLICT, err)
	_, err = e.svc.AcceptToken(ctx, tenant, tok.Token, dst.ID)
	requireCode(t, paykit.ECONFLICT, err)
	e.clock.Add(2 * time.Hour)
	e.MustRunDue(t)
	got, err = e.svc.FindTokenByID(ctx, tenant, tok.ID)
	require.NoError(t, err)
	require.Equal(t, paykit.TokenStatusRejected, got.Status, "a rejected token never expires")
}

// TestToken_Expire drives expiry with the mock clock: the token is live one
// microsecond before expiresAt and expired at the instant, before and after the
// sweep persists it.
func TestToken_Expire(t *testing.T) {
	ctx := context.Background()
	e := MustOpen(t)
	tenant := e.MustTenant(t)
	src, dst := e.MustAccount(t, tenant, "10.00"), e.MustUserAccount(t, tenant)
	tok := e.MustToken(t, tenant, src.ID, "4.00", time.Hour)

	e.clock.Add(time.Hour - time.Microsecond)
	e.MustRunDue(t)
	got, err := e.svc.FindTokenByToken(ctx, tenant, tok.Token)
	require.NoError(t, err)
	require.Equal(t, paykit.TokenStatusActive, got.Status)
	e.RequireBalances(t, tenant, src.ID, "6.00", "10.00")

	e.clock.Add(time.Microsecond) // exactly expiresAt
	got, err = e.svc.FindTokenByToken(ctx, tenant, tok.Token)
	require.NoError(t, err)
	require.Equal(t, paykit.TokenStatusExpired, got.Status, "read reports expiry before any sweep")
	_, err = e.svc.AcceptToken(ctx, tenant, tok.Token, dst.ID)
	requireCode(t, paykit.EEXPIRED, err)
	_, err = e.svc.RejectToken(ctx, tenant, tok.Token)
	requireCode(t, paykit.EEXPIRED, err)
	require.Equal(t, []string{paykit.EventTokenCreated}, e.eventTypes(t, tenant, tok.ID), "no event until the sweep")

	e.MustRunDue(t)
	require.Equal(t, []string{paykit.EventTokenCreated, paykit.EventTokenExpired}, e.eventTypes(t, tenant, tok.ID))
	e.RequireBalances(t, tenant, src.ID, "10.00", "10.00")
	after, err := e.svc.FindTokenByToken(ctx, tenant, tok.Token)
	require.NoError(t, err)
	require.Equal(t, got, after, "the persisted expiry reads as the computed one did")

	e.MustRunDue(t) // nothing left: no second event
	require.Equal(t, []string{paykit.EventTokenCreated, paykit.EventTokenExpired}, e.eventTypes(t, tenant, tok.ID))
}

func ptr[T any](v T) *T { return &v }
