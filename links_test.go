package paykit_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
)

// linkQuery returns the token query parameter of link, and its path.
func linkQuery(tb testing.TB, link string) (path, token string) {
	tb.Helper()
	u, err := url.Parse(link)
	require.NoError(tb, err)
	return u.Path, u.Query().Get("token")
}

func TestService_WalletLink(t *testing.T) {
	t.Run("Vendor", func(t *testing.T) {
		e := MustOpen(t, paykit.WithWalletEnv("stage"))
		tenant := e.MustTenant(t)
		tok := e.MustToken(t, tenant, e.MustAccount(t, tenant, "10").ID, "1", time.Hour)
		require.Equal(t, "https://wallet.stage.gigpay.com/payment/"+tok.Token, e.svc.WalletLink(tok))
	})
	t.Run("WalletURL", func(t *testing.T) {
		// The host's own page wins over the vendor's, and names the tenant.
		e := MustOpen(t, paykit.WithWalletURL("https://pay.example.com/wallet/"), paykit.WithWalletEnv("stage"))
		tenant := e.MustTenant(t)
		tok := e.MustToken(t, tenant, e.MustAccount(t, tenant, "10").ID, "1", time.Hour)
		require.Equal(t, "https://pay.example.com/wallet/"+tenant+"/payment/"+tok.Token, e.svc.WalletLink(tok))
	})
}

func TestService_FindRequestByLink(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		e, tenant, _ := requestSetup(t, paykit.WithRequestURL("https://pay.example.com/r"))
		r := e.MustRequest(t, tenant, "alice", "10.00", time.Minute)
		link := e.svc.RequestLink(r)
		path, token := linkQuery(t, link)
		require.True(t, strings.HasPrefix(link, "https://pay.example.com/r/"+tenant+"/"+r.ID+"?token="), link)
		require.Equal(t, "/r/"+tenant+"/"+r.ID, path)
		got, err := e.svc.FindRequestByLink(ctx, tenant, r.ID, token)
		require.NoError(t, err)
		require.Equal(t, r.ID, got.ID)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		e, tenant, _ := requestSetup(t, paykit.WithRequestURL("https://pay.example.com/r"))
		r := e.MustRequest(t, tenant, "alice", "10.00", time.Minute)
		_, token := linkQuery(t, e.svc.RequestLink(r))
		other := e.MustRequest(t, tenant, "alice", "1.00", time.Minute)
		flipped := "A"
		if token[0] == 'A' {
			flipped = "B"
		}
		for _, tc := range []struct{ tenant, id, token string }{
			{tenant, r.ID, ""},
			{tenant, r.ID, flipped + token[1:]},
			{tenant, other.ID, token},      // another request's token
			{e.MustTenant(t), r.ID, token}, // another tenant
		} {
			_, err := e.svc.FindRequestByLink(ctx, tc.tenant, tc.id, tc.token)
			requireCode(t, paykit.ENOTFOUND, err)
		}
	})
	t.Run("NoURL", func(t *testing.T) {
		e, tenant, _ := requestSetup(t)
		require.Empty(t, e.svc.RequestLink(e.MustRequest(t, tenant, "alice", "1.00", time.Minute)))
	})
	t.Run("KeyOutlivesTheService", func(t *testing.T) {
		// With a sealing key, a link handed out by one Service opens in the
		// next one on the same database (a restart, another process).
		key := make([]byte, paykit.SealingKeySize)
		e, tenant, _ := requestSetup(t, paykit.WithSealingKey(key), paykit.WithRequestURL("https://x"))
		r := e.MustRequest(t, tenant, "alice", "1.00", time.Minute)
		_, token := linkQuery(t, e.svc.RequestLink(r))
		again := paykit.New(e.db, paykit.WithClock(e.clock), paykit.WithSealingKey(key))
		_, err := again.FindRequestByLink(ctx, tenant, r.ID, token)
		require.NoError(t, err)
		// A Service with its own link key does not open it.
		other := paykit.New(e.db, paykit.WithClock(e.clock), paykit.WithSealingKey(key), paykit.WithLinkKey([]byte("another key, 32 bytes long......")))
		_, err = other.FindRequestByLink(ctx, tenant, r.ID, token)
		requireCode(t, paykit.ENOTFOUND, err)
	})
}

func TestService_FindRequests(t *testing.T) {
	e, tenant, _ := requestSetup(t)
	a := e.MustRequest(t, tenant, "alice", "1.00", time.Minute)
	b := e.MustRequest(t, tenant, "alice", "2.00", time.Hour)
	e.clock.Add(time.Minute)
	rs, err := e.svc.FindRequests(context.Background(), tenant, paykit.RequestFilter{})
	require.NoError(t, err)
	require.Len(t, rs, 2)
	require.Equal(t, a.ID, rs[0].ID)
	require.Equal(t, paykit.RequestStatusRejected, rs[0].Status, "read as expired before the sweep")
	require.Equal(t, b.ID, rs[1].ID)
	rs, err = e.svc.FindRequests(context.Background(), tenant, paykit.RequestFilter{After: a.ID, Limit: 1})
	require.NoError(t, err)
	require.Len(t, rs, 1)
	require.Equal(t, b.ID, rs[0].ID)
}

func TestService_FindEmployeeByLink(t *testing.T) {
	ctx := context.Background()
	e := MustOpen(t, paykit.WithEmployeeURL("https://pay.example.com/"))
	tenant := e.MustIntegration(t)
	emp := e.MustEmployee(t, tenant, "67")
	link := e.svc.EmployeeLink(emp)
	require.True(t, strings.HasPrefix(link, "https://pay.example.com/e/"+tenant+"/"+emp.UID+"/?token="), link)
	_, token := linkQuery(t, link)

	// The link follows the employee when the client changes its id.
	newID := "albin"
	_, err := e.svc.UpdateEmployee(ctx, tenant, "67", paykit.EmployeeUpdate{ID: &newID})
	require.NoError(t, err)
	got, err := e.svc.FindEmployeeByLink(ctx, tenant, emp.UID, token)
	require.NoError(t, err)
	require.Equal(t, "albin", got.ID)

	_, err = e.svc.FindEmployeeByLink(ctx, tenant, emp.UID, "~"+token[1:])
	requireCode(t, paykit.ENOTFOUND, err)
	_, err = e.svc.FindEmployeeByLink(ctx, e.MustIntegration(t), emp.UID, token)
	requireCode(t, paykit.ENOTFOUND, err)
}

func TestService_FindInvoiceByLink(t *testing.T) {
	ctx := context.Background()
	e := MustOpen(t, paykit.WithInvoiceAppURL("https://pay.example.com"))
	tenant := e.MustIntegration(t)
	e.MustEmployee(t, tenant, "67")
	_, err := e.svc.CreatePayout(ctx, tenant, paykit.PayoutCreate{Amount: ptr(dec("10")), Currency: "SEK", Description: "d", EmployeeID: "67"})
	require.NoError(t, err)
	invs, _, err := e.svc.FindInvoices(ctx, tenant, paykit.InvoiceFilter{})
	require.NoError(t, err)
	require.Len(t, invs, 1)
	path, token := linkQuery(t, invs[0].AppURL)
	require.Equal(t, "/i/"+invs[0].ID+"/", path)

	// Another integration has an invoice with the same id: the token tells.
	other := e.MustIntegration(t)
	e.MustEmployee(t, other, "67")
	_, err = e.svc.CreatePayout(ctx, other, paykit.PayoutCreate{Amount: ptr(dec("10")), Currency: "SEK", Description: "d", EmployeeID: "67"})
	require.NoError(t, err)

	got, err := e.svc.FindInvoiceByLink(ctx, invs[0].ID, token)
	require.NoError(t, err)
	require.Equal(t, invs[0].UID, got.UID)
	for _, bad := range []string{"", "nope", strings.ToUpper(token)} {
		_, err = e.svc.FindInvoiceByLink(ctx, invs[0].ID, bad)
		requireCode(t, paykit.ENOTFOUND, err)
	}
}
