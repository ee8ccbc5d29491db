package main

import (
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
