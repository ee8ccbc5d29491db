package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/store"
)

// The RudiqPay demo through the example server's wiring: the ids GET / lists,
// a payment of the demo node paid by the sandbox's payer with the widget's
// arguments, and the shop's integration kept to its node.
func TestDemoServer_RudiqPay(t *testing.T) {
	d := mustDemo(t)
	var index struct {
		RudiqPay struct {
			NodeID     string `json:"node_id"`
			NetworkID  string `json:"network_id"`
			CurrencyID string `json:"currency_id"`
		} `json:"rudiqpay"`
	}
	require.NoError(t, json.Unmarshal(d.mustDo(200, "GET", "/", "").Body, &index))
	require.Equal(t, demoRudiqNode, index.RudiqPay.NodeID)
	require.Equal(t, demoRudiqNetwork, index.RudiqPay.NetworkID)
	require.Equal(t, demoRudiqCurrency, index.RudiqPay.CurrencyID)

	auth := []string{"Authorization", "Bearer demo"}
	body := `{"external_id":"order-1","node_id":"` + demoRudiqNode + `","network_id":"` + demoRudiqNetwork +
		`","currency_id":"` + demoRudiqCurrency + `","price":12.5,"paid_price":12.5,"payment_method":"web3",` +
		`"payment_group":"product","payment_address":"0x71C7656EC7ab88b098defB751B7401B5f6d8976F",` +
		`"expires_at":"` + d.clock.Now().Add(time.Hour).Format(time.RFC3339) + `"}`
	var p struct {
		ID          string `json:"id"`
		AccessToken string `json:"access_token"`
	}
	require.NoError(t, json.Unmarshal(d.mustDo(201, "POST", "/rudiqpay/api/v1/payments", body, auth...).Body, &p))
	d.runDue()

	w := d.mustDo(200, "GET", "/rudiqpay/api/v1/widget/payments/"+p.ID, "", "Authorization", "Bearer "+p.AccessToken)
	var widget struct {
		NetworkID int `json:"network_id"`
		Contract  struct {
			Arguments []string `json:"arguments"`
		} `json:"contract"`
	}
	require.NoError(t, json.Unmarshal(w.Body, &widget))
	require.Equal(t, 31337, widget.NetworkID)
	require.Equal(t, []string{"1", "12500000"}, widget.Contract.Arguments)

	// The shop's integration cannot touch the root node's payment.
	d.mustDo(403, "POST", "/rudiqpay/api/v1/payments/"+p.ID+"/cancel", "", "Authorization", "Bearer "+demoShopKey)

	d.mustDo(200, "POST", "/sandbox/rudiqpay/payments/"+p.ID+"/deposit", "", auth...)
	d.mustDo(200, "POST", "/sandbox/rudiqpay/mine", `{"blocks":1}`, auth...)
	d.mustDo(204, "POST", "/sandbox/rudiqpay/run-due", "", auth...)
	var got map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(d.mustDo(200, "GET", "/rudiqpay/api/v1/payments/"+p.ID, "", auth...).Body, &got))
	require.Equal(t, `"completed"`, string(got["status"]))
	require.NotEqual(t, `null`, string(got["transaction_hash"]))
	l := d.mustDo(200, "GET", "/rudiqpay/api/v1/payments/"+p.ID+"/logs", "", auth...)
	require.Contains(t, string(l.Body), `"total":4`)
}

// TestDemoServer_RudiqPayRestart: the sandbox chain lives in memory, so a
// restart starts it again from its genesis block; the server mines it up to
// where the contract's events were read, so the new run's deals are seen.
func TestDemoServer_RudiqPayRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "paykit.db")
	mock := clock.NewMock()
	mock.Set(epoch)
	for i := range 2 {
		db, err := store.Open(path)
		require.NoError(t, err)
		svc, _, err := wire(ctx, db, mock, slog.New(slog.DiscardHandler), options{demo: true, demoKey: "demo", walletEnv: "stage"})
		require.NoError(t, err)
		a := paykit.NodeAccess{TenantID: demoTenantID}
		price := decimal.RequireFromString("1")
		for j := range 3 {
			p, err := svc.CreateWeb3Payment(ctx, a, paykit.Web3PaymentCreate{ExternalID: fmt.Sprintf("run-%d-%d", i, j),
				NodeID: demoRudiqNode, NetworkID: demoRudiqNetwork, CurrencyID: demoRudiqCurrency, Price: &price, PaidPrice: &price,
				Method: "web3", Group: "product", PaymentAddress: "0x71C7656EC7ab88b098defB751B7401B5f6d8976F",
				ExpiresAt: mock.Now().Add(time.Hour)})
			require.NoError(t, err)
			require.NoError(t, svc.RunDue(ctx))
			p, err = svc.FindWeb3PaymentByID(ctx, a, p.ID)
			require.NoError(t, err)
			require.Equal(t, paykit.Web3PaymentStatusProcessing, p.Status)
			require.NotNil(t, p.DealOpenedAt, "run %d: the deal's creation was read", i)
		}
		require.NoError(t, svc.CheckAllInvariants(ctx))
		require.NoError(t, db.Close())
	}
}
