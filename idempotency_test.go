package paykit_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
)

func TestIdempotency(t *testing.T) {
	t.Run("Replay", func(t *testing.T) {
		e := MustOpen(t)
		tenant := e.MustTenant(t)
		src := e.MustAccount(t, tenant, "10.00")
		ctx := paykit.WithIdempotencyKey(context.Background(), "key-1")
		in := paykit.TokenCreate{AssetType: "usd", SourceAccountID: src.ID, Amount: dec("3.00")}
		first, err := e.svc.CreateToken(ctx, tenant, in)
		require.NoError(t, err)
		e.clock.Add(time.Hour)
		again, err := e.svc.CreateToken(ctx, tenant, in)
		require.NoError(t, err)
		require.Equal(t, first, again)
		e.RequireBalances(t, tenant, src.ID, "7.00", "10.00")
	})

	t.Run("ErrDifferentRequest", func(t *testing.T) {
		e := MustOpen(t)
		tenant := e.MustTenant(t)
		src := e.MustAccount(t, tenant, "10.00")
		ctx := paykit.WithIdempotencyKey(context.Background(), "key-1")
		_, err := e.svc.CreateToken(ctx, tenant, paykit.TokenCreate{AssetType: "usd", SourceAccountID: src.ID, Amount: dec("3.00")})
		require.NoError(t, err)
		_, err = e.svc.CreateToken(ctx, tenant, paykit.TokenCreate{AssetType: "usd", SourceAccountID: src.ID, Amount: dec("4.00")})
		requireCode(t, paykit.ECONFLICT, err)
		_, err = e.svc.CreateWithdrawal(ctx, tenant, paykit.WithdrawalCreate{SourceAccountID: src.ID, Amount: dec("1"), AssetType: "usd", ExternalStorage: "x"})
		requireCode(t, paykit.ECONFLICT, err)
		e.RequireBalances(t, tenant, src.ID, "7.00", "10.00")
	})

	t.Run("ErrorsReplay", func(t *testing.T) {
		e := MustOpen(t)
		tenant := e.MustTenant(t)
		src := e.MustAccount(t, tenant, "1.00")
		ctx := paykit.WithIdempotencyKey(context.Background(), "key-1")
		in := paykit.TokenCreate{AssetType: "usd", SourceAccountID: src.ID, Amount: dec("3.00")}
		_, first := e.svc.CreateToken(ctx, tenant, in)
		requireCode(t, paykit.ECONFLICT, first)
		// Funds arrive, but the key's outcome stands.
		p, err := e.svc.CreateDeposit(context.Background(), tenant, paykit.DepositCreate{DestinationAccountID: src.ID, Amount: dec("5"), AssetType: "usd"})
		require.NoError(t, err)
		_, err = e.svc.CompletePayment(context.Background(), tenant, p.ID)
		require.NoError(t, err)
		_, again := e.svc.CreateToken(ctx, tenant, in)
		requireCode(t, paykit.ECONFLICT, again)
		require.Equal(t, first.Error(), again.Error())
		// After 24 hours the key is forgotten and the request runs anew.
		e.clock.Add(paykit.IdempotencyTTL)
		e.MustRunDue(t)
		tok, err := e.svc.CreateToken(ctx, tenant, in)
		require.NoError(t, err)
		require.Equal(t, paykit.TokenStatusActive, tok.Status)
	})

	t.Run("KeysAreTenantScoped", func(t *testing.T) {
		e := MustOpen(t)
		a, b := e.MustTenant(t), e.MustTenant(t)
		ctx := paykit.WithIdempotencyKey(context.Background(), "shared")
		x, err := e.svc.CreateAccount(ctx, a, paykit.AccountCreate{Currency: "USD", UserIdentityID: "u"})
		require.NoError(t, err)
		y, err := e.svc.CreateAccount(ctx, b, paykit.AccountCreate{Currency: "USD", UserIdentityID: "u"})
		require.NoError(t, err)
		require.NotEqual(t, x.ID, y.ID)
	})

	t.Run("ConcurrentSameKey", func(t *testing.T) {
		e := MustOpen(t)
		tenant := e.MustTenant(t)
		src := e.MustAccount(t, tenant, "100.00")
		ctx := paykit.WithIdempotencyKey(context.Background(), "race")
		in := paykit.TokenCreate{AssetType: "usd", SourceAccountID: src.ID, Amount: dec("1.00")}
		ids := make([]string, 50)
		var wg sync.WaitGroup
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tok, err := e.svc.CreateToken(ctx, tenant, in)
				if err != nil {
					t.Errorf("create %d: %v", i, err)
					return
				}
				ids[i] = tok.ID
			}()
		}
		wg.Wait()
		for _, id := range ids {
			require.Equal(t, ids[0], id)
		}
		toks, err := e.svc.FindTokens(context.Background(), tenant, paykit.TokenFilter{})
		require.NoError(t, err)
		require.Len(t, toks, 1)
		e.RequireBalances(t, tenant, src.ID, "99.00", "100.00")
	})
}
