package pages_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/chain/sandbox"
)

// The sandbox chain's registries in the tests.
const (
	testNetwork  = "c0ffee00-0000-4000-8000-0000000000a1"
	testCurrency = "c0ffee00-0000-4000-8000-0000000000b1"
	testToken    = "0x000000000000000000000000000000000000005d"
)

// mustWeb3 is an env whose tenant has a node and a web3 payment of 12.5 USDT
// on the sandbox chain, its deal opened.
func mustWeb3(t *testing.T) (*env, *sandbox.Chain, *paykit.Web3Payment) {
	t.Helper()
	ctx := context.Background()
	var ch *sandbox.Chain
	e := mustEnvWith(t, func(mock *clock.Mock) []paykit.Option {
		ch = sandbox.New(sandbox.WithClock(mock))
		return []paykit.Option{paykit.WithChain(testNetwork, ch)}
	})
	_, err := e.svc.CreateNetwork(ctx, paykit.NetworkCreate{ID: testNetwork, ChainID: sandbox.DefaultChainID, Name: "Sandbox chain"})
	require.NoError(t, err)
	_, err = e.svc.CreateChainCurrency(ctx, paykit.ChainCurrencyCreate{ID: testCurrency, NetworkID: testNetwork, Symbol: "USDT",
		TokenAddress: testToken, Decimals: 6})
	require.NoError(t, err)
	_, err = e.svc.CreateChainContract(ctx, paykit.ChainContractCreate{NetworkID: testNetwork, Address: sandbox.DefaultContract})
	require.NoError(t, err)
	node, err := e.svc.CreateNode(ctx, e.tenant, paykit.NodeCreate{Name: "Shop"})
	require.NoError(t, err)
	price, item := dec("12.5"), dec("12.5")
	p, err := e.svc.CreateWeb3Payment(ctx, paykit.NodeAccess{TenantID: e.tenant}, paykit.Web3PaymentCreate{ExternalID: "order-1",
		NodeID: node.ID, NetworkID: testNetwork, CurrencyID: testCurrency, Price: &price, PaidPrice: &price, Method: "web3",
		Group: "product", PaymentAddress: "0x71C7656EC7ab88b098defB751B7401B5f6d8976F", ExpiresAt: e.clock.Now().Add(time.Hour),
		Items: []paykit.Web3PaymentItemCreate{{Name: "Concert ticket", Price: &item}}})
	require.NoError(t, err)
	require.NoError(t, e.svc.RunDue(ctx)) // the deal is created on the chain
	return e, ch, p
}

// TestRudiqPay_Browser: the payer opens the widget link, sees where to pay
// what on which network; once their wallet pays, the page says so.
func TestRudiqPay_Browser(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e, ch, p := mustWeb3(t)
	b := mustBrowser(t)
	link := e.svc.WidgetLink(p)
	require.True(t, strings.HasPrefix(link, e.url+widgetPath+"/"+p.ID+"?token="), link)

	require.EqualValues(t, 200, b.open(link))
	require.Equal(t, "12.500000 USDT", b.text("amount"))
	require.Equal(t, "Sandbox chain", b.text("network"))
	require.Equal(t, "0x71C7656EC7ab88b098defB751B7401B5f6d8976F", b.text("address"))
	require.Equal(t, "processing", b.text("status"))
	require.Equal(t, "1 h 0 min (until 9 Jan 2026 13:00 UTC)", b.text("countdown"))
	require.Contains(t, b.text("steps"), "deposit(")
	require.Contains(t, b.text("steps"), "12500000")
	require.Contains(t, b.text("items"), "Concert ticket")

	// The payer's wallet deposits; the chain's event completes the payment.
	wd, err := e.svc.AuthenticateWidget(ctx, p.ID, p.AccessToken)
	require.NoError(t, err)
	_, err = ch.Deposit("0x000000000000000000000000000000000000bEEF", wd.Call.Values()...)
	require.NoError(t, err)
	require.NoError(t, e.svc.RunDue(ctx))

	require.EqualValues(t, 200, b.open(link))
	require.Equal(t, "completed", b.text("status"))
	require.Contains(t, b.text("outcome"), "Paid")
	require.NotEmpty(t, b.text("tx"))
	got, err := e.svc.FindWeb3PaymentByID(ctx, paykit.NodeAccess{TenantID: e.tenant}, p.ID)
	require.NoError(t, err)
	require.Equal(t, paykit.Web3PaymentStatusCompleted, got.Status)
}

// TestRudiqPay_BadInput: the widget opens only with its payment's token, and
// not after the payment expired.
func TestRudiqPay_BadInput(t *testing.T) {
	t.Parallel()
	e, _, p := mustWeb3(t)
	c := e.client(t)
	page := c.get(e.svc.WidgetLink(p))
	require.Equal(t, 200, page.Status)
	requireSecure(t, page)
	for _, bad := range []string{
		widgetPath + "/" + p.ID,
		widgetPath + "/" + p.ID + "?token=" + p.AccessToken[1:],
		widgetPath + "/" + strings.Replace(p.ID, p.ID[:1], "f", 1) + "?token=" + p.AccessToken,
	} {
		r := c.get(bad)
		require.Equal(t, 404, r.Status, bad)
		requireSecure(t, r)
	}
	e.clock.Add(time.Hour)
	require.Equal(t, 404, c.get(e.svc.WidgetLink(p)).Status)
}
