package main

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/store"
	"github.com/stretchr/testify/require"
)

func TestSeedDemo(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "paykit.db"))
	require.NoError(t, err)
	defer db.Close()
	svc := paykit.New(db)
	ctx := context.Background()
	for range 2 { // seeding again changes nothing
		require.NoError(t, seedDemo(ctx, svc, "demo"))
	}
	tn, err := svc.Authenticate(ctx, "demo")
	require.NoError(t, err)
	require.Equal(t, demoTenantID, tn.ID)
	a, err := svc.FindAccountByID(ctx, demoTenantID, demoBusinessAccount)
	require.NoError(t, err)
	require.Equal(t, "10000.00 USD", a.Available().String())
	a, err = svc.FindAccountByID(ctx, demoTenantID, demoPayeeAccount)
	require.NoError(t, err)
	require.Equal(t, demoPayeeIdentityID, a.UserIdentityID)
	_, err = svc.FindIntegrationByID(ctx, demoTenantID, demoTenantID)
	require.NoError(t, err)
	m, err := svc.FindMerchant(ctx, demoTenantID)
	require.NoError(t, err)
	require.Equal(t, "demo", m.SigningKey, "the API key signs, made so by CreateAPIKey")
	require.Equal(t, demoCountryCode, m.DefaultCountryCode)
	require.NoError(t, svc.CheckInvariants(ctx, demoTenantID))
}

// TestSeedDemo_AfterCrash completes a seed that stopped between the deposit
// and its completion, without funding the account twice.
func TestSeedDemo_AfterCrash(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "paykit.db"))
	require.NoError(t, err)
	defer db.Close()
	svc := paykit.New(db)
	ctx := context.Background()
	_, err = svc.CreateTenant(ctx, demoTenantID, "Demo")
	require.NoError(t, err)
	_, err = svc.CreateAccount(ctx, demoTenantID, paykit.AccountCreate{ID: demoBusinessAccount, Currency: "USD", BusinessAccountID: demoBusinessID})
	require.NoError(t, err)
	_, err = svc.CreateDeposit(ctx, demoTenantID, paykit.DepositCreate{DestinationAccountID: demoBusinessAccount,
		Amount: decimal.RequireFromString("10000.00"), AssetType: "usd"})
	require.NoError(t, err)

	require.NoError(t, seedDemo(ctx, svc, "demo"))
	a, err := svc.FindAccountByID(ctx, demoTenantID, demoBusinessAccount)
	require.NoError(t, err)
	require.Equal(t, "10000.00 USD", a.Balance().String())
	require.Equal(t, "0.00 USD", a.Incoming().String())
	require.NoError(t, svc.CheckInvariants(ctx, demoTenantID))
}

func TestRun_Shutdown(t *testing.T) {
	rs := mustRun(t, "-demo")
	addr := rs.addr
	// Every dialect answers on the demo tenant's key.
	for _, c := range []struct {
		path, header, value string
		want                int
	}{
		{"/gigpay/api/v1/payments", "Authorization", "Bearer demo", 200},
		{"/gigapay/v2/payouts/", "Authorization", "Token demo", 200},
		{"/webhooks/events", "Authorization", "Bearer demo", 200},
	} {
		req, err := http.NewRequest("GET", "http://"+addr+c.path, nil)
		require.NoError(t, err)
		req.Header.Set(c.header, c.value)
		req.Header.Set("Integration-ID", "demo")
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, c.want, res.StatusCode, c.path)
	}
	req, err := http.NewRequest("GET", "http://"+addr+"/memento/v1/requests/nope/status", nil)
	require.NoError(t, err)
	req.SetBasicAuth("demo", "")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	require.Contains(t, string(body), `"payment_not_found"`, "authenticated, and the request is unknown")
	require.NoError(t, rs.stop(), "a clean shutdown")
}
