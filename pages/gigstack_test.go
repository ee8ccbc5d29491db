package pages_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
)

// mustCharge makes the env's tenant a gigstack team and creates a payment
// through the gigstack API, whose shortURL it returns with the payment's id.
func mustCharge(t *testing.T, e *env, items string) (link, id string) {
	t.Helper()
	ctx := context.Background()
	_, err := e.svc.CreateBillingAccount(ctx, "ba_"+e.tenant, "Acme billing")
	require.NoError(t, err)
	_, err = e.svc.ConfigureTeam(ctx, e.tenant, paykit.TeamSettings{BillingAccountID: "ba_" + e.tenant})
	require.NoError(t, err)
	req, err := http.NewRequest("POST", e.url+gigstackPath+"/v2/payments",
		strings.NewReader(`{"email":"maria@example.com","items":`+items+`}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+e.key)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Equal(t, 200, res.StatusCode, "%s", b)
	var out struct {
		Data struct {
			ID       string `json:"id"`
			ShortURL string `json:"shortURL"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(b, &out))
	return out.Data.ShortURL, strings.TrimPrefix(out.Data.ID, "pay_")
}

// TestGigstack_Browser: the payer opens the payment link the gigstack API
// returned and pays it (the sandbox processor).
func TestGigstack_Browser(t *testing.T) {
	t.Parallel()
	e := mustEnv(t)
	b := mustBrowser(t)
	link, id := mustCharge(t, e, `[{"name":"Consulting <b>","quantity":2,"total":750.5}]`)
	require.True(t, strings.HasPrefix(link, e.url+gigstackPath+"/pay/"), link)

	require.EqualValues(t, 200, b.open(link))
	require.Equal(t, "1,501.00 MXN", b.text("amount"))
	require.Equal(t, "Acme Gigs", b.text("team"))
	require.Contains(t, b.text("items"), "Consulting <b>")
	require.Equal(t, "requires_payment_method", b.text("status"))

	require.EqualValues(t, 200, b.click("pay"))
	require.Equal(t, "succeeded", b.text("status"))
	require.Equal(t, "Pagado. ¡Gracias!", b.text("outcome"))
	require.False(t, b.has("pay"))

	p, err := e.svc.FindPaymentByID(context.Background(), e.tenant, id)
	require.NoError(t, err)
	require.Equal(t, paykit.PaymentStatusSucceeded, p.Status)
	require.NotNil(t, p.Charge.SucceededAt)
}

// TestGigstack_BadInput: a wrong link opens nothing, and the pay form works
// once, with its token only.
func TestGigstack_BadInput(t *testing.T) {
	t.Parallel()
	e := mustEnv(t)
	c := e.client(t)
	link, id := mustCharge(t, e, `[{"name":"Consulting","total":100}]`)
	require.Equal(t, 404, c.get(gigstackPath+"/pay/nope").Status)
	page := c.get(link)
	require.Equal(t, 200, page.Status)
	requireSecure(t, page)
	require.Contains(t, page.Body, `<html lang="es">`)
	action, form := formOf(t, page.Body, "pay-form")
	require.Equal(t, 403, c.post(action, url.Values{}).Status)
	require.Equal(t, 403, c.post(action, url.Values{"csrf": {form.Get("csrf") + "x"}}).Status)
	p, err := e.svc.FindPaymentByID(context.Background(), e.tenant, id)
	require.NoError(t, err)
	require.Equal(t, paykit.PaymentStatusRequiresPaymentMethod, p.Status)

	r := c.post(action, form)
	require.Equal(t, 303, r.Status)
	require.Equal(t, gigstackPath+"/pay/"+p.Charge.LinkToken, r.Header.Get("Location"))
	r = c.post(action, form)
	require.Equal(t, 409, r.Status)
	p, err = e.svc.FindPaymentByID(context.Background(), e.tenant, id)
	require.NoError(t, err)
	require.Equal(t, paykit.PaymentStatusSucceeded, p.Status)
}
