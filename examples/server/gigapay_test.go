package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The Gigapay v2 bullets of issue 9, through the example server's wiring: what
// a client written to seed 001 sends, and what it must get back.

// gigapayAuth are the demo's Gigapay credentials, as the README's curl uses them.
var gigapayAuth = []string{"Authorization", "Token demo", "Integration-ID", "demo"}

// gigapay sends a request to the Gigapay dialect with the demo's credentials
// (headers may add to or replace them) and requires the status want.
func (d *demoServer) gigapay(want int, method, path, body string, headers ...string) response {
	d.tb.Helper()
	return d.mustDo(want, method, "/gigapay"+path, body, append(slices.Clone(gigapayAuth), headers...)...)
}

// gigapayIn is gigapay for a subtest: its failures are t's.
func (d *demoServer) gigapayIn(t *testing.T, want int, method, path, body string, headers ...string) response {
	t.Helper()
	r := d.do(method, "/gigapay"+path, body, append(slices.Clone(gigapayAuth), headers...)...)
	require.Equal(t, want, r.Status, "%s %s: %s", method, path, r.Body)
	return r
}

// object decodes r's body as a JSON object.
func (r response) object(tb testing.TB) map[string]any {
	tb.Helper()
	var m map[string]any
	require.NoError(tb, json.Unmarshal(r.Body, &m), "%s", r.Body)
	return m
}

// TestGigapay_BlankMissingNull: as Django REST Framework's CharField, a
// required string that is left out "is required", one given as "" (or only
// spaces) "may not be blank", and one given as null "may not be null", in
// every body of the dialect; errors of all kinds come back together.
func TestGigapay_BlankMissingNull(t *testing.T) {
	d := mustDemo(t)
	d.gigapay(201, "POST", "/v2/employees/", `{"id": 67, "name": "Albin Lindskog", "cellphone_number": "+46703000000", "country": "SWE"}`)
	p := d.gigapay(201, "POST", "/v2/payouts/", `{"id": "123", "amount": "1000.00", "currency": "SEK", "description": "Lön genom Gigapay", "employee": "67"}`).object(t)
	invoice := p["invoice"].(string)
	d.gigapay(201, "POST", "/v2/webhooks/", `{"id": "w", "url": "https://example.com/hooks", "events": ["Invoice.paid"]}`)

	for _, c := range []struct {
		name, method, path, body, want string
	}{
		// The seed's example, and its two siblings.
		{"PayoutBlank", "POST", "/v2/payouts/", `{"amount": "1000.00", "currency": "SEK", "description": "", "employee": "67"}`,
			`{"description": ["This field may not be blank."]}`},
		{"PayoutMissing", "POST", "/v2/payouts/", `{"amount": "1000.00", "currency": "SEK", "employee": "67"}`,
			`{"description": ["This field is required."]}`},
		{"PayoutNull", "POST", "/v2/payouts/", `{"amount": "1000.00", "currency": "SEK", "description": null, "employee": "67"}`,
			`{"description": ["This field may not be null."]}`},
		{"PayoutSpaces", "POST", "/v2/payouts/", `{"amount": "1000.00", "currency": "SEK", "description": "   ", "employee": "67"}`,
			`{"description": ["This field may not be blank."]}`},
		{"PayoutEveryField", "POST", "/v2/payouts/", `{"amount": "1000.00", "currency": "", "description": null}`,
			`{"currency": ["This field may not be blank."], "description": ["This field may not be null."], "employee": ["This field is required."]}`},
		// A relational field reads "" as null, as Django REST Framework's do.
		{"PayoutEmployeeBlank", "POST", "/v2/payouts/", `{"amount": "1", "currency": "SEK", "description": "d", "employee": ""}`,
			`{"employee": ["This field may not be null."]}`},
		{"PayoutInlineEmployee", "POST", "/v2/payouts/", `{"amount": "1", "currency": "SEK", "description": "d", "employee": {"name": "", "email": "a@example.com"}}`,
			`{"employee": {"name": ["This field may not be blank."], "country": ["This field is required."]}}`},
		{"PayoutBulk", "POST", "/v2/payouts/", `[{"amount": "1", "currency": "SEK", "description": "d", "employee": "67"}, {"amount": "1", "currency": "SEK", "description": "", "employee": "67"}]`,
			`[{}, {"description": ["This field may not be blank."]}]`},
		{"PricingBlank", "POST", "/v2/pricing/", `{"amount": "1", "currency": "SEK", "description": "", "employee": "67"}`,
			`{"description": ["This field may not be blank."]}`},
		{"EmployeeCreate", "POST", "/v2/employees/", `{"name": "", "email": "a@example.com"}`,
			`{"name": ["This field may not be blank."], "country": ["This field is required."]}`},
		{"EmployeeCountryNull", "POST", "/v2/employees/", `{"name": "A", "email": "a@example.com", "country": null}`,
			`{"country": ["This field may not be null."]}`},
		{"EmployeePatch", "PATCH", "/v2/employees/67/", `{"name": "", "country": null}`,
			`{"name": ["This field may not be blank."], "country": ["This field may not be null."]}`},
		{"EmployeePatchID", "PATCH", "/v2/employees/67/", `{"id": ""}`,
			`{"id": ["This field may not be blank."]}`},
		{"EmployeePut", "PUT", "/v2/employees/67/", `{"name": " ", "cellphone_number": "+46703000000"}`,
			`{"name": ["This field may not be blank."], "country": ["This field is required."]}`},
		{"IntegrationCreate", "POST", "/v2/integrations/", `{"name": "", "email": "", "recipient": null, "address_line_1": "Gatan 1", "zip_code": "11111"}`,
			`{"name": ["This field may not be blank."], "email": ["This field may not be blank."], "recipient": ["This field may not be null."], "city": ["This field is required."]}`},
		{"IntegrationPatch", "PATCH", "/v2/integrations/demo/", `{"name": ""}`,
			`{"name": ["This field may not be blank."]}`},
		{"WebhookCreateBlank", "POST", "/v2/webhooks/", `{"url": "", "events": ["Invoice.paid"]}`,
			`{"url": ["This field may not be blank."]}`},
		{"WebhookCreateMissing", "POST", "/v2/webhooks/", `{"events": ["Invoice.paid"]}`,
			`{"url": ["This field is required."]}`},
		{"WebhookPatch", "PATCH", "/v2/webhooks/w/", `{"url": null}`,
			`{"url": ["This field may not be null."]}`},
		{"WebhookPut", "PUT", "/v2/webhooks/w/", `{"url": "", "events": ["Invoice.paid"]}`,
			`{"url": ["This field may not be blank."]}`},
		{"InvoicePatchID", "PATCH", "/v2/invoices/" + invoice + "/", `{"id": ""}`,
			`{"id": ["This field may not be blank."]}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := d.gigapayIn(t, 400, c.method, c.path, c.body)
			require.JSONEq(t, c.want, string(r.Body))
		})
	}

	// Swedish, as the other common messages.
	r := d.gigapay(400, "POST", "/v2/payouts/", `{"amount": "1", "currency": "SEK", "description": "", "employee": "67"}`, "Accept-Language", "sv")
	require.JSONEq(t, `{"description": ["Det här fältet får inte vara blankt."]}`, string(r.Body))
	// Optional fields keep taking "" and null for "none".
	d.gigapay(201, "POST", "/v2/employees/", `{"id": "", "name": "Karl", "email": "karl@example.com", "cellphone_number": null, "country": "SWE"}`)
	d.gigapay(200, "PATCH", "/v2/employees/67/", `{"email": null}`)
}

// TestGigapay_AuthenticationFailures: "API requests without authentication
// will fail with the HTTP response code 403", a wrong key included, with
// Django REST Framework's detail texts; only a browser asking for HTML gets
// the 401 that makes it ask for HTTP Basic credentials.
func TestGigapay_AuthenticationFailures(t *testing.T) {
	d := mustDemo(t)
	for _, c := range []struct {
		name, authorization, detail string
	}{
		{"Missing", "", "Authentication credentials were not provided."},
		{"OtherScheme", "Bearer demo", "Authentication credentials were not provided."},
		{"WrongKey", "Token 1vjv20ksxwvlpp3peize74ievjmx3e", "Invalid token."},
		{"EmptyToken", "Token", "Invalid token header. No credentials provided."},
		{"TokenWithSpaces", "Token a b", "Invalid token header. Token string should not contain spaces."},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := d.gigapayIn(t, 403, "GET", "/v2/payouts/", "", "Authorization", c.authorization)
			require.JSONEq(t, `{"detail": "`+c.detail+`"}`, string(r.Body))
			require.Empty(t, r.Header.Get("WWW-Authenticate"))
		})
	}
	// The browsable API asks a browser for credentials.
	browser := "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	r := d.mustDo(401, "GET", "/gigapay/v2/payouts/", "", "Accept", browser)
	require.Contains(t, r.Header.Get("WWW-Authenticate"), "Basic")
	r = d.mustDo(401, "GET", "/gigapay/v2/payouts/", "", "Accept", browser, "Authorization", "Basic bm9wZTpkZW1v") // nope:demo
	require.Contains(t, r.Header.Get("WWW-Authenticate"), "Basic")
	r = d.mustDo(401, "GET", "/gigapay/v2/payouts/", "", "Accept", browser, "Authorization", "Token nope")
	require.Contains(t, r.Header.Get("WWW-Authenticate"), "Basic")
	require.Contains(t, string(r.Body), "Invalid token.")
}

// TestGigapay_AllowedMethods: the seed's own example, DELETE of a payout, is
// 405 with Allow: GET, HEAD, OPTIONS; every route's Allow lists what the
// documents give it, in Django REST Framework's order.
func TestGigapay_AllowedMethods(t *testing.T) {
	d := mustDemo(t)
	d.gigapay(201, "POST", "/v2/employees/", `{"id": 67, "name": "Albin Lindskog", "cellphone_number": "+46703000000", "country": "SWE"}`)
	p := d.gigapay(201, "POST", "/v2/payouts/", `{"id": "123", "amount": "1000.00", "currency": "SEK", "description": "Lön genom Gigapay", "employee": "67"}`).object(t)
	d.gigapay(201, "POST", "/v2/webhooks/", `{"id": "w", "url": "https://example.com/hooks", "events": ["Invoice.paid"]}`)

	r := d.gigapay(405, "DELETE", "/v2/payouts/123/", "")
	require.Equal(t, "GET, HEAD, OPTIONS", r.Header.Get("Allow"))
	require.Equal(t, `{"detail":"Method \"DELETE\" not allowed."}`, strings.TrimSpace(string(r.Body)))
	d.gigapay(200, "GET", "/v2/payouts/123/", "") // still there

	for path, allow := range map[string]string{
		"/v2/":                     "GET, HEAD, OPTIONS",
		"/v2/integrations/":        "GET, POST, HEAD, OPTIONS",
		"/v2/integrations/demo/":   "GET, PUT, PATCH, DELETE, HEAD, OPTIONS",
		"/v2/employees/":           "GET, POST, HEAD, OPTIONS",
		"/v2/employees/67/":        "GET, PUT, PATCH, DELETE, HEAD, OPTIONS",
		"/v2/employees/67/resend/": "PUT, PATCH, OPTIONS",
		"/v2/payouts/":             "GET, POST, HEAD, OPTIONS",
		"/v2/payouts/123/":         "GET, HEAD, OPTIONS",
		"/v2/payouts/123/resend/":  "PUT, PATCH, OPTIONS",
		"/v2/pricing/":             "GET, POST, HEAD, OPTIONS",
		"/v2/pricing/123/":         "GET, HEAD, OPTIONS",
		"/v2/invoices/":            "GET, HEAD, OPTIONS",
		"/v2/invoices/" + p["invoice"].(string) + "/": "GET, PATCH, DELETE, HEAD, OPTIONS",
		"/v2/webhooks/":   "GET, POST, HEAD, OPTIONS",
		"/v2/webhooks/w/": "GET, PUT, PATCH, DELETE, HEAD, OPTIONS",
	} {
		r := d.gigapay(200, "OPTIONS", path, "")
		require.Equal(t, allow, r.Header.Get("Allow"), path)
	}
	// A method a route lacks is 405 everywhere, with the route's Allow.
	r = d.gigapay(405, "POST", "/v2/invoices/", "{}")
	require.Equal(t, "GET, HEAD, OPTIONS", r.Header.Get("Allow"))
	require.Equal(t, `{"detail":"Method \"POST\" not allowed."}`, strings.TrimSpace(string(r.Body)))
}

// TestGigapay_InvoiceAppLink: an invoice's app link is the example server's
// own page, under -public-url (by default the server's address), named by the
// invoice's id as clients see it; the page answers, and only with the link's
// token.
func TestGigapay_InvoiceAppLink(t *testing.T) {
	t.Run("Default", func(t *testing.T) {
		d := mustDemo(t)
		d.gigapay(201, "POST", "/v2/employees/", `{"id": 67, "name": "Albin Lindskog", "cellphone_number": "+46703000000", "country": "SWE"}`)
		d.gigapay(201, "POST", "/v2/payouts/", `{"id": "123", "amount": "1000.00", "currency": "SEK", "description": "Lön genom Gigapay", "employee": "67"}`)
		inv := d.gigapay(200, "GET", "/v2/invoices/1/", "").object(t)
		app := inv["app"].(string)
		require.NotContains(t, app, "gigapay.se")
		require.True(t, strings.HasPrefix(app, "http://127.0.0.1:8080/i/1/?token="), app)
		require.NotContains(t, inv["pdf"].(string), "gigapay.se")

		// The page is served by the server itself.
		u, err := url.Parse(app)
		require.NoError(t, err)
		r := d.mustDo(200, "GET", u.RequestURI(), "")
		require.Contains(t, string(r.Body), "1,379.91 SEK")
		require.Contains(t, string(r.Body), inv["ocr_number"].(string))
		d.mustDo(404, "GET", "/i/1/?token=nope", "")
		d.mustDo(404, "GET", "/i/1/", "")

		// The link follows the invoice's id when a client changes it.
		inv = d.gigapay(200, "PATCH", "/v2/invoices/1/", `{"id": "inv-2026-01"}`).object(t)
		app = inv["app"].(string)
		require.True(t, strings.HasPrefix(app, "http://127.0.0.1:8080/i/inv-2026-01/?token="), app)
		u, err = url.Parse(app)
		require.NoError(t, err)
		d.mustDo(200, "GET", u.RequestURI(), "")
		d.mustDo(404, "GET", "/i/1/?"+u.RawQuery, "")
	})
	t.Run("PublicURL", func(t *testing.T) {
		d := mustDemo(t, func(o *options) { o.publicURL = "https://pay.example.com/demo/" })
		d.gigapay(201, "POST", "/v2/employees/", `{"id": 67, "name": "Albin Lindskog", "cellphone_number": "+46703000000", "country": "SWE"}`)
		p := d.gigapay(201, "POST", "/v2/payouts/?expand=invoice", `{"amount": "10", "currency": "SEK", "description": "d", "employee": "67"}`).object(t)
		app := p["invoice"].(map[string]any)["app"].(string)
		require.True(t, strings.HasPrefix(app, "https://pay.example.com/demo/i/1/?token="), app)
	})
}

// TestGigapay_WebhookRetries: "up to 10 retries": a Gigapay webhook's
// delivery is attempted 11 times, at once and then after 1, 2, 4, ... 512
// minutes (exponential backoff), and then fails.
func TestGigapay_WebhookRetries(t *testing.T) {
	d := mustDemo(t, allowPrivate)
	var hits atomic.Int32
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		require.NotEmpty(t, r.Header.Get("Gigapay-Signature"))
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer receiver.Close()
	d.gigapay(201, "POST", "/v2/webhooks/", `{"url": "`+receiver.URL+`", "events": ["Employee.created"]}`)
	d.gigapay(201, "POST", "/v2/employees/", `{"id": 67, "name": "Albin Lindskog", "cellphone_number": "+46703000000", "country": "SWE"}`)

	d.runDue()
	require.EqualValues(t, 1, hits.Load(), "the first attempt, at once")
	for i := range 10 {
		delay := time.Minute << i
		d.clock.Add(delay - time.Second)
		d.runDue()
		require.EqualValues(t, 1+i, hits.Load(), "retry %d is not due before %s", i+1, delay)
		d.clock.Add(time.Second)
		d.runDue()
		require.EqualValues(t, 2+i, hits.Load(), "retry %d is due after %s", i+1, delay)
	}
	d.clock.Add(7 * 24 * time.Hour)
	d.runDue()
	require.EqualValues(t, 11, hits.Load(), "10 retries, no more")
	r := d.mustDo(200, "GET", "/webhooks/webhook-deliveries", "", "Authorization", "Bearer demo")
	require.Contains(t, string(r.Body), `"failed"`)
}

// TestRun_PublicURL: by default the invoice links of `go run ./examples/server
// -demo` point at the address it really listens on, and open there.
func TestRun_PublicURL(t *testing.T) {
	addr := mustRun(t, "-demo").addr
	do := func(method, path, body string) map[string]any {
		req, err := http.NewRequest(method, "http://"+addr+path, strings.NewReader(body))
		require.NoError(t, err)
		for i := 0; i < len(gigapayAuth); i += 2 {
			req.Header.Set(gigapayAuth[i], gigapayAuth[i+1])
		}
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		var m map[string]any
		require.NoError(t, json.NewDecoder(res.Body).Decode(&m))
		return m
	}
	do("POST", "/gigapay/v2/employees/", `{"id": 67, "name": "Albin Lindskog", "cellphone_number": "+46703000000", "country": "SWE"}`)
	p := do("POST", "/gigapay/v2/payouts/?expand=invoice", `{"amount": "1000.00", "currency": "SEK", "description": "d", "employee": "67"}`)
	app := p["invoice"].(map[string]any)["app"].(string)
	require.True(t, strings.HasPrefix(app, "http://"+addr+"/i/"), app)
	res, err := http.Get(app)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, 200, res.StatusCode)
}

func TestPublicURLOf(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1:8080": "http://127.0.0.1:8080",
		":9000":          "http://localhost:9000",
		"0.0.0.0:80":     "http://localhost:80",
		"[::]:8080":      "http://localhost:8080",
		"[::1]:8080":     "http://[::1]:8080",
		"pay.local:8080": "http://pay.local:8080",
	} {
		require.Equal(t, want, publicURLOf(addr), addr)
	}
}
