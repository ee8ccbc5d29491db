package main

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDemo_Links: every link the example server hands out in an API response
// is under its public URL and opens a page of its own that works: a GigPay
// token's wallet link, a Memento request's url, a Gigapay invoice's app link
// and an employee's claim_url, a gigstack payment's shortURL, a RudiqPay
// payment's widget_url. Each page's action is taken, and its outcome read
// back through the API.
func TestDemo_Links(t *testing.T) {
	const public = "http://127.0.0.1:8080"
	ctx := context.Background()
	d := mustDemo(t)
	under := func(t *testing.T, link string) string {
		t.Helper()
		require.True(t, strings.HasPrefix(link, public+"/"), link)
		return link
	}
	object := func(r response) map[string]any {
		t.Helper()
		var m map[string]any
		require.NoError(t, json.Unmarshal(r.Body, &m), "%s", r.Body)
		return m
	}
	bearer := []string{"Authorization", "Bearer demo"}

	t.Run("GigPayWallet", func(t *testing.T) {
		tok := object(d.mustDo(201, "POST", "/gigpay/api/v1/payment-tokens", `{"assetType":"usd","sourceAccountId":"`+
			demoBusinessAccount+`","amount":25.5,"memo":"Logo"}`, bearer...))
		link := under(t, tok["link"].(string))
		require.Contains(t, link, "/wallet/"+demoTenantID+"/payment/")
		page := d.submit(link, "accept-form", "account", demoPayeeAccount)
		require.Equal(t, 200, page.Status)
		require.Contains(t, string(page.Body), "You accepted this payment")
		got := object(d.mustDo(200, "GET", "/gigpay/api/v1/payment-tokens/"+tok["token"].(string), "", bearer...))
		require.NotNil(t, got["paymentId"])
	})
	t.Run("MementoRequest", func(t *testing.T) {
		_, body := d.memento("demo", "POST", "/memento/v1/requests", requestBody("10.99", demoPayerUsername, ""))
		created := object(response{Body: body})
		link := under(t, created["url"].(string))
		got := object(d.mustDo(200, "GET", "/memento/v1/requests/"+created["id"].(string), "", "Authorization", "Basic "+basic("demo")))
		require.Equal(t, link, got["url"])
		page := d.submit(link, "pay-form")
		require.Equal(t, 200, page.Status)
		require.Contains(t, string(page.Body), "Paid ")
		got = object(d.mustDo(200, "GET", "/memento/v1/requests/"+created["id"].(string), "", "Authorization", "Basic "+basic("demo")))
		require.Equal(t, "paid", got["status"])
	})
	t.Run("GigapayInvoiceAndInvitation", func(t *testing.T) {
		emp := d.gigapay(201, "POST", "/v2/employees/", `{"id": "ada", "name": "Ada Lovelace", "cellphone_number": "+46703000001", "country": "SWE"}`).object(t)
		claim := under(t, emp["claim_url"].(string))
		require.Contains(t, claim, "/e/"+demoTenantID+"/")
		d.gigapay(201, "POST", "/v2/payouts/", `{"amount": "100.00", "currency": "SEK", "description": "Gig", "employee": "ada"}`)
		invs := d.gigapay(200, "GET", "/v2/invoices/", "").object(t)["results"].([]any)
		inv := invs[0].(map[string]any)
		page := d.submit(under(t, inv["app"].(string)), "pay-form")
		require.Equal(t, 200, page.Status)
		require.Contains(t, string(page.Body), "This invoice is paid")
		require.NotNil(t, d.gigapay(200, "GET", "/v2/invoices/"+inv["id"].(string)+"/", "").object(t)["paid_at"])

		d.mustDo(200, "POST", "/sandbox/gigapay/employees/ada/notify/", "", gigapayAuth...)
		require.Contains(t, string(d.submit(claim, "claim-form").Body), "Invitation claimed")
		require.Contains(t, string(d.submit(claim, "verify-form").Body), "You are verified")
		emp = d.gigapay(200, "GET", "/v2/employees/ada/", "").object(t)
		require.NotNil(t, emp["claimed_at"])
		require.NotNil(t, emp["verified_at"])
	})
	t.Run("GigstackPaymentLink", func(t *testing.T) {
		p, _ := gigstackData(t, d.mustDo(200, "POST", "/gigstack/v2/payments",
			`{"email":"maria@example.com","items":[{"name":"Consulting","total":100}]}`, bearer...))
		var link string
		require.NoError(t, json.Unmarshal(p["shortURL"], &link))
		require.Contains(t, under(t, link), "/gigstack/pay/")
		require.Contains(t, string(d.submit(link, "pay-form").Body), "Pagado")
		var id string
		require.NoError(t, json.Unmarshal(p["id"], &id))
		p, _ = gigstackData(t, d.mustDo(200, "GET", "/gigstack/v2/payments/"+id, "", bearer...))
		require.Equal(t, `"succeeded"`, string(p["status"]))
	})
	t.Run("RudiqPayWidget", func(t *testing.T) {
		body := `{"external_id":"links-1","node_id":"` + demoRudiqNode + `","network_id":"` + demoRudiqNetwork +
			`","currency_id":"` + demoRudiqCurrency + `","price":5,"paid_price":5,"payment_method":"web3",` +
			`"payment_group":"product","payment_address":"0x71C7656EC7ab88b098defB751B7401B5f6d8976F",` +
			`"expires_at":"` + d.clock.Now().Add(3600e9).Format("2006-01-02T15:04:05Z") + `"}`
		p := object(d.mustDo(201, "POST", "/rudiqpay/api/v1/payments", body, bearer...))
		link := under(t, p["widget_url"].(string))
		d.runDue()
		u, err := url.Parse(link)
		require.NoError(t, err)
		page := d.mustDo(200, "GET", u.RequestURI(), "")
		require.Contains(t, string(page.Body), "5.000000 USDT")
		require.Contains(t, string(page.Body), "0x71C7656EC7ab88b098defB751B7401B5f6d8976F")
		d.mustDo(200, "POST", "/sandbox/rudiqpay/payments/"+p["id"].(string)+"/deposit", "", bearer...)
		d.runDue()
		require.Contains(t, string(d.mustDo(200, "GET", u.RequestURI(), "").Body), "Paid ")
	})
	t.Run("Console", func(t *testing.T) {
		// The console opens, and asks for a key (the client follows the
		// redirect to the login page).
		require.Contains(t, string(d.mustDo(200, "GET", "/console/", "").Body), `id="login-form"`)
	})
	require.NoError(t, d.svc.CheckAllInvariants(ctx))
}

// TestDemo_WalletEnv: -wallet-env asks for GigPay's own wallet links.
func TestDemo_WalletEnv(t *testing.T) {
	d := mustDemo(t, func(o *options) { o.walletEnv, o.vendorWallet = "stage", true })
	tok := d.mustDo(201, "POST", "/gigpay/api/v1/payment-tokens", `{"assetType":"usd","sourceAccountId":"`+
		demoBusinessAccount+`","amount":1}`, "Authorization", "Bearer demo")
	var m map[string]any
	require.NoError(t, json.Unmarshal(tok.Body, &m))
	require.Equal(t, "https://wallet.stage.gigpay.com/payment/"+m["token"].(string), m["link"])
}
