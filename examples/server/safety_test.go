package main

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Issue 13, "Safe by default": each finding an attacker made against the
// example server, through its own wiring (mustDemo) or the running server
// (mustRun).

// gigapayHeaders are the demo's Gigapay credentials, as the README's H.
var gigapayHeaders = []string{"Authorization", "Token demo", "Integration-ID", "demo"}

// TestSafety_SSRF (finding 1): without -allow-private-webhooks the server
// refuses webhooks and callbacks to this machine, its networks and the cloud
// metadata service, in every spelling of the address and on every API, and
// headers that would carry credentials; the README's receivers at
// example.com are public and still work.
func TestSafety_SSRF(t *testing.T) {
	d := mustDemo(t)
	bearer := []string{"Authorization", "Bearer demo"}
	for _, u := range []string{"http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://127.0.0.1:8080/hook",
		"http://[::127.0.0.1]/", "http://[::ffff:169.254.169.254]/", "http://2130706433/", "http://localhost/"} {
		r := d.mustDo(400, "POST", "/webhooks/webhook-endpoints", `{"url":"`+u+`"}`, bearer...)
		require.Contains(t, string(r.Body), `"url"`, u)
		r = d.mustDo(400, "POST", "/gigapay/v2/webhooks/", `{"url":"`+u+`","events":["Payout.notified"]}`, gigapayHeaders...)
		require.Contains(t, string(r.Body), `"url"`, u)
		out, body := d.memento("demo", "POST", "/memento/v1/requests", requestBody("10.99", "+14155551212", u))
		require.False(t, out.Success, "%s", body)
		require.Contains(t, string(body), "notify_url", u)
	}
	for _, h := range []string{"Authorization", "Metadata-Flavor", "Cookie", "X-Forwarded-For", "Proxy-Authorization"} {
		r := d.mustDo(400, "POST", "/webhooks/webhook-endpoints", `{"url":"https://example.com/hook","headers":{"`+h+`":"x"}}`, bearer...)
		require.Contains(t, string(r.Body), "may not be sent to an endpoint", h)
	}

	// The README's walkthroughs post to example.com.
	d.mustDo(201, "POST", "/gigapay/v2/webhooks/", `{"url": "https://example.com/hooks", "events": ["Payout.notified", "Invoice.paid"]}`, gigapayHeaders...)
	out, body := d.memento("demo", "POST", "/memento/v1/requests", requestBody("10.99", "+14155551212", "https://example.com/notification"))
	require.True(t, out.Success, "%s", body)
	d.mustDo(201, "POST", "/webhooks/webhook-endpoints", `{"url":"https://example.com/hook","headers":{"X-Tenant":"acme"}}`, bearer...)

	// -allow-private-webhooks lets local receivers in, and only them.
	open := mustDemo(t, allowPrivate)
	open.mustDo(201, "POST", "/webhooks/webhook-endpoints", `{"url":"http://127.0.0.1:8080/hook"}`, bearer...)
	open.mustDo(400, "POST", "/webhooks/webhook-endpoints", `{"url":"https://example.com/hook","headers":{"Authorization":"x"}}`, bearer...)
}

// TestRun_AllowPrivateWebhooks: the flag is logged when given, and -demo
// alone keeps the guard on.
func TestRun_AllowPrivateWebhooks(t *testing.T) {
	rs := mustRun(t, "-demo", "-allow-private-webhooks")
	require.NoError(t, rs.stop())
	require.Contains(t, rs.logs.String(), "-allow-private-webhooks")

	rs = mustRun(t, "-demo")
	require.NoError(t, rs.stop())
	require.NotContains(t, rs.logs.String(), "private")
	require.True(t, strings.Contains(rs.logs.String(), "demo tenant ready"))
}

// TestSafety_CSRF (finding 2): a page on another site cannot make a browser
// that is logged in to the browsable Gigapay API (HTTP Basic) create a
// webhook or a payout, nor post to Memento (HTTP Basic too); the same
// requests from the server's own pages, or from programs, work. JSON routes
// refuse bodies a browser may send across sites without asking (text/plain).
func TestSafety_CSRF(t *testing.T) {
	d := mustDemo(t)
	d.mustDo(201, "POST", "/gigapay/v2/employees/", `{"id": 67, "name": "Albin Lindskog", "cellphone_number": "+46703000000", "country": "SWE"}`, gigapayHeaders...)
	// What the browser sends for a form on https://evil.example, with the
	// credentials it keeps for the API.
	browser := func(origin, site string) []string {
		h := []string{"Content-Type", "application/x-www-form-urlencoded", "Accept", "text/html,application/xhtml+xml,*/*;q=0.8",
			"Authorization", "Basic " + basicPair("demo", "demo")}
		if origin != "" {
			h = append(h, "Origin", origin)
		}
		if site != "" {
			h = append(h, "Sec-Fetch-Site", site)
		}
		return h
	}
	webhook := "url=https%3A%2F%2Fexample.com%2Fhooks&events=Payout.notified"
	payout := "amount=500&currency=SEK&employee=67&description=gift"
	for _, attack := range [][]string{
		browser("https://evil.example", "cross-site"),
		browser("https://evil.example", ""), // a browser without Sec-Fetch-Site: Origin against Host
		browser("", "cross-site"),
		browser("https://demo.example", "same-site"), // a sibling subdomain is another origin
	} {
		r := d.mustDo(403, "POST", "/gigapay/v2/webhooks/", webhook, attack...)
		require.Contains(t, string(r.Body), "CSRF Failed")
		d.mustDo(403, "POST", "/gigapay/v2/payouts/", payout, attack...)
		d.mustDo(403, "DELETE", "/gigapay/v2/employees/67/", "", attack...)
	}
	r := d.mustDo(403, "POST", "/gigapay/v2/webhooks/?format=json", webhook, browser("https://evil.example", "cross-site")...)
	require.JSONEq(t, `{"detail":"CSRF Failed: Origin checker failed - https://evil.example does not match any trusted origins."}`, string(r.Body))
	r = d.mustDo(200, "GET", "/gigapay/v2/webhooks/", "", gigapayHeaders...)
	require.Contains(t, string(r.Body), `"count":0`, "no webhook was created")
	r = d.mustDo(200, "GET", "/gigapay/v2/payouts/", "", gigapayHeaders...)
	require.Contains(t, string(r.Body), `"count":0`, "no payout was created")

	// The browsable API's own pages post from the same origin.
	d.mustDo(201, "POST", "/gigapay/v2/webhooks/", webhook, browser(d.url, "same-origin")...)
	d.mustDo(201, "POST", "/gigapay/v2/payouts/", payout, browser(d.url, "")...)
	// A link followed or a URL typed: no site, and reads are never refused.
	d.mustDo(200, "GET", "/gigapay/v2/payouts/", "", browser("https://evil.example", "cross-site")...)

	// Memento takes HTTP Basic too; a cross-site request is refused in its
	// own shape, and creates nothing.
	req := requestBody("10.99", "+14155551212", "https://example.com/notification")
	r = d.mustDo(200, "POST", "/memento/v1/requests", req, "Authorization", "Basic "+basicPair("demo", ""),
		"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
	require.Contains(t, string(r.Body), `"success":false`)
	require.Contains(t, string(r.Body), `"invalid_data"`)
	require.Contains(t, string(r.Body), "Cross-origin request refused")
	// JSON as text/plain, which a form can send across sites, is refused
	// too, with Memento's invalid_data, and so on every JSON API.
	r = d.mustDo(200, "POST", "/memento/v1/requests", req, "Authorization", "Basic "+basicPair("demo", ""), "Content-Type", "text/plain")
	require.Contains(t, string(r.Body), `"invalid_data"`)
	require.Contains(t, string(r.Body), "Content-Type")
	r = d.mustDo(415, "POST", "/gigpay/api/v1/payment-tokens", `{"assetType":"usd","sourceAccountId":"`+demoBusinessAccount+`","amount":1}`,
		"Authorization", "Bearer demo", "Content-Type", "text/plain;charset=UTF-8")
	require.Contains(t, string(r.Body), `"Content-Type"`)
	d.mustDo(415, "POST", "/webhooks/webhook-endpoints", `{"url":"https://example.com/hook"}`, "Authorization", "Bearer demo", "Content-Type", "text/plain")
	// Programs send no Origin; JSON with its type, or none, works.
	out, body := d.memento("demo", "POST", "/memento/v1/requests", req)
	require.True(t, out.Success, "%s", body)
	d.mustDo(201, "POST", "/gigpay/api/v1/payment-tokens", `{"assetType":"usd","sourceAccountId":"`+demoBusinessAccount+`","amount":1}`,
		"Authorization", "Bearer demo", "Content-Type", "application/json; charset=utf-8")
	d.mustDo(201, "POST", "/gigpay/api/v1/payment-tokens", `{"assetType":"usd","sourceAccountId":"`+demoBusinessAccount+`","amount":1}`,
		"Authorization", "Bearer demo", "Content-Type", "")
}

// basicPair is the HTTP Basic credentials of user and password.
func basicPair(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
}
