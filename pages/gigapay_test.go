package pages_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
)

// gigapayWorld makes the env's tenant a Gigapay integration with an employee
// "67" and a payout of 1000.00 SEK to them, on an invoice.
func gigapayWorld(t *testing.T, e *env) *paykit.Invoice {
	t.Helper()
	ctx := context.Background()
	_, err := e.svc.EnsureIntegration(ctx, e.tenant, paykit.IntegrationCreate{Name: "Acme Gigs AB"})
	require.NoError(t, err)
	_, err = e.svc.CreateEmployee(ctx, e.tenant, paykit.EmployeeCreate{ID: "67", Name: "Albin Lindskog",
		CellphoneNumber: "+46703000000", Country: "SWE"})
	require.NoError(t, err)
	amount := dec("1000.00")
	_, err = e.svc.CreatePayout(ctx, e.tenant, paykit.PayoutCreate{Amount: &amount, Currency: "SEK", Description: "Lön genom Gigapay", EmployeeID: "67"})
	require.NoError(t, err)
	invs, _, err := e.svc.FindInvoices(ctx, e.tenant, paykit.InvoiceFilter{})
	require.NoError(t, err)
	require.Len(t, invs, 1)
	return invs[0]
}

func (e *env) employee(t *testing.T, id string) *paykit.Employee {
	t.Helper()
	emp, err := e.svc.FindEmployeeByID(context.Background(), e.tenant, id)
	require.NoError(t, err)
	return emp
}

// TestGigapay_Browser: the client opens the invoice's app link and pays it
// (the sandbox's transfer); the worker opens the invitation link, claims it
// and verifies.
func TestGigapay_Browser(t *testing.T) {
	t.Parallel()
	t.Run("PayInvoice", func(t *testing.T) {
		t.Parallel()
		e := mustEnv(t)
		b := mustBrowser(t)
		inv := gigapayWorld(t, e)
		require.True(t, strings.HasPrefix(inv.AppURL, e.url+appPath+"/i/"+inv.ID+"/?token="), inv.AppURL)

		require.EqualValues(t, 200, b.open(inv.AppURL))
		require.Equal(t, "Acme Gigs AB", b.text("client"))
		require.Equal(t, inv.ID, b.text("invoice-id"))
		require.Equal(t, formatSEK(inv.Price), b.text("price"))
		require.Equal(t, inv.OCRNumber(), b.text("ocr"))
		require.Equal(t, "unpaid", b.text("status"))
		require.Contains(t, b.text("payouts"), "Lön genom Gigapay")

		require.EqualValues(t, 200, b.click("pay"))
		require.Equal(t, "paid", b.text("status"))
		require.Contains(t, b.text("outcome"), "This invoice is paid")

		got, err := e.svc.FindInvoiceByID(context.Background(), e.tenant, inv.ID)
		require.NoError(t, err)
		require.NotNil(t, got.PaidAt)
		require.Equal(t, e.clock.Now().UTC(), got.PaidAt.UTC())
	})
	t.Run("ClaimAndVerify", func(t *testing.T) {
		t.Parallel()
		e := mustEnv(t)
		b := mustBrowser(t)
		gigapayWorld(t, e)
		emp := e.employee(t, "67")
		link := e.svc.EmployeeLink(emp)
		require.True(t, strings.HasPrefix(link, e.url+appPath+"/e/"+e.tenant+"/"+emp.UID+"/?token="), link)

		// Before Gigapay sends the invitation, there is nothing to claim.
		require.EqualValues(t, 200, b.open(link))
		require.Equal(t, "created", b.text("status"))
		require.False(t, b.has("claim"))
		require.Contains(t, b.text("outcome"), "not been sent yet")

		_, err := e.svc.NotifyEmployee(context.Background(), e.tenant, "67")
		require.NoError(t, err)
		require.EqualValues(t, 200, b.open(link))
		require.Equal(t, "Albin Lindskog", b.text("name"))
		require.Equal(t, "Acme Gigs AB", b.text("client"))
		require.Contains(t, b.text("payouts"), "1,000.00 SEK")
		require.EqualValues(t, 200, b.click("claim"))
		require.Equal(t, "claimed", b.text("status"))
		require.Equal(t, paykit.EmployeeStatusClaimed, e.employee(t, "67").Status)

		require.EqualValues(t, 200, b.click("verify"))
		require.Equal(t, "verified", b.text("status"))
		require.Contains(t, b.text("outcome"), "You are verified")
		got := e.employee(t, "67")
		require.Equal(t, paykit.EmployeeStatusVerified, got.Status)
		require.NotNil(t, got.ClaimedAt)
		require.NotNil(t, got.VerifiedAt)
	})
}

// formatSEK is the page's rendering of an amount of over a thousand.
func formatSEK(m paykit.Money) string {
	s := m.Fixed()
	whole, frac, _ := strings.Cut(s, ".")
	if len(whole) > 3 {
		whole = whole[:len(whole)-3] + "," + whole[len(whole)-3:]
	}
	return whole + "." + frac + " " + string(m.Currency)
}

// TestGigapay_BadInput: a wrong token opens no invoice or invitation; a form
// without its token or sent twice does nothing.
func TestGigapay_BadInput(t *testing.T) {
	t.Parallel()
	e := mustEnv(t)
	c := e.client(t)
	inv := gigapayWorld(t, e)
	u, _ := url.Parse(inv.AppURL)
	tok := u.Query().Get("token")
	for _, bad := range []string{u.Path + "?token=" + strings.ToUpper(tok), u.Path, appPath + "/i/nope/?token=" + tok} {
		r := c.get(bad)
		require.Equal(t, 404, r.Status, bad)
		requireSecure(t, r)
	}
	page := c.get(inv.AppURL)
	require.Equal(t, 200, page.Status)
	requireSecure(t, page)
	action, form := formOf(t, page.Body, "pay-form")
	require.Equal(t, 403, c.post(action, nil).Status)
	require.Equal(t, 403, c.post(action, url.Values{"csrf": {"1." + form.Get("csrf")}}).Status)
	got, err := e.svc.FindInvoiceByID(context.Background(), e.tenant, inv.ID)
	require.NoError(t, err)
	require.Nil(t, got.PaidAt)

	require.Equal(t, 303, c.post(action, form).Status)
	r := c.post(action, form)
	require.Equal(t, 409, r.Status)
	require.Contains(t, r.Body, "already sent")

	emp := e.employee(t, "67")
	u, _ = url.Parse(e.svc.EmployeeLink(emp))
	require.Equal(t, 404, c.get(u.Path+"?token="+u.Query().Get("token")[2:]).Status)
	require.Equal(t, 404, c.get(strings.Replace(u.Path, emp.UID, "67", 1)+"?"+u.RawQuery).Status)
}
