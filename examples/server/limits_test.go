package main

import (
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"

	"github.com/paykit/paykit"
)

// The input limits of issue 13 (paykit's limits.go), through the HTTP API of
// every dialect: a refused body is the dialect's own error and writes nothing.

// rowCounts returns how many rows each table of the demo's database holds:
// what "nothing written" compares.
func (d *demoServer) rowCounts() map[string]int {
	d.tb.Helper()
	db, err := sql.Open("sqlite", "file:"+d.path+"?mode=ro")
	require.NoError(d.tb, err)
	defer db.Close()
	rows, err := db.Query(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
	require.NoError(d.tb, err)
	var tables []string
	for rows.Next() {
		var name string
		require.NoError(d.tb, rows.Scan(&name))
		tables = append(tables, name)
	}
	require.NoError(d.tb, rows.Err())
	rows.Close()
	out := map[string]int{}
	for _, name := range tables {
		var n int
		require.NoError(d.tb, db.QueryRow(`SELECT count(*) FROM "`+name+`"`).Scan(&n))
		out[name] = n
	}
	return out
}

// nested returns a JSON value nested depth levels deep: {"a":{"a":...1...}}.
func nested(depth int) string {
	return strings.Repeat(`{"a":`, depth) + "1" + strings.Repeat("}", depth)
}

// TestLimits_JSONDepth: a body nested deeper than paykit.MaxJSONDepth is
// refused before it is decoded, by every dialect in its own shape, and
// nothing is written. The report's case, metadata nested 5,000 levels deep,
// is one such body.
func TestLimits_JSONDepth(t *testing.T) {
	d := mustDemo(t)
	deep := nested(5000)
	msg := fmt.Sprintf("JSON nests at most %d levels deep.", paykit.MaxJSONDepth)
	bearer := []string{"Authorization", "Bearer demo"}
	for _, tc := range []struct {
		name, path, body string
		headers          []string
		status           int
		want             string // the error, as the dialect says it
	}{
		{"GigPay", "/gigpay/api/v1/payment-tokens", `{"assetType":"usd","memo":` + deep + `}`, bearer, 400,
			`{"error":{"code":"invalid","message":"` + msg + `","fields":{"body":"` + msg + `"}}}`},
		{"Gigapay", "/gigapay/v2/employees/", `{"name":"Ada","email":"ada@example.com","country":"SWE","metadata":` + deep + `}`,
			gigapayAuth, 400, `{"detail":"` + msg + `"}`},
		{"gigstack", "/gigstack/v2/clients", `{"name":"Ada","metadata":` + deep + `}`, bearer, 400,
			`{"error":{"code":"VALIDATION_ERROR","message":"Invalid request parameters","details":{"body":"` + msg + `"}},"message":"Request validation failed"}`},
		{"Memento", "/memento/v1/requests", `{"amount":1,"currency":"USD","recipient":"demopayer","order":` + deep + `}`,
			[]string{"Authorization", "Basic ZGVtbzo="}, 200, `{"success":false,"error":{"code":"400","key":"invalid_data","message":"Invalid data: body: ` + msg + `"}}`},
		{"events API", "/webhooks/webhook-endpoints", `{"url":"https://example.com/hooks","metadata":` + deep + `}`, bearer, 400,
			`{"error":{"code":"invalid","message":"` + msg + `","fields":{"body":"` + msg + `"}}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := d.rowCounts()
			r := d.do("POST", tc.path, tc.body, tc.headers...)
			require.Equal(t, tc.status, r.Status, "%s", r.Body)
			require.JSONEq(t, tc.want, string(r.Body))
			require.Equal(t, before, d.rowCounts(), "nothing written")
		})
	}

	// At the limit, the depth is not what is refused.
	atLimit := nested(paykit.MaxJSONDepth - 1) // inside the body's own object
	r := d.do("POST", "/gigpay/api/v1/payment-tokens", `{"memo":`+atLimit+`}`, bearer...)
	require.Equal(t, 400, r.Status)
	require.NotContains(t, string(r.Body), "levels deep")

	// Metadata as form data is JSON text, which the body's depth does not
	// see: the metadata's own limit refuses it.
	before := d.rowCounts()
	form := url.Values{"name": {"Ada"}, "email": {"ada@example.com"}, "country": {"SWE"}, "metadata": {nested(1000)}}.Encode()
	r = d.gigapay(400, "POST", "/v2/employees/", form, "Content-Type", "application/x-www-form-urlencoded")
	require.JSONEq(t, fmt.Sprintf(`{"metadata":["Metadata nests at most %d levels deep."]}`, paykit.MaxMetadataDepth), string(r.Body))
	require.Equal(t, before, d.rowCounts(), "nothing written")
}

// TestLimits_Metadata: every route that stores metadata refuses, in its
// dialect's shape and writing nothing, metadata over each limit (Stripe's: 50
// keys, keys of 40 characters, values of 500; values that are not strings
// count by their JSON; at most 5 levels deep), and takes it at the limit.
func TestLimits_Metadata(t *testing.T) {
	d := mustDemo(t)
	bearer := []string{"Authorization", "Bearer demo"}
	d.gigapay(201, "POST", "/v2/employees/", `{"id":"e1","name":"Ada","email":"ada@example.com","country":"SWE"}`)
	invoice := d.gigapay(201, "POST", "/v2/payouts/", `{"amount":"10.00","currency":"SEK","description":"d","employee":"e1"}`).object(t)["invoice"].(string)

	keys := func(n int) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = fmt.Sprintf(`"k%d":"v"`, i)
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	str := func(n int) string { return `"` + strings.Repeat("é", n) + `"` }
	// An array of n-2 one-digit numbers and commas: n characters of JSON.
	arr := func(n int) string { return "[" + strings.TrimSuffix(strings.Repeat("1,", (n-1)/2), ",") + "]" }
	msgs := map[string]string{
		"keys":  fmt.Sprintf("Metadata has at most %d keys.", paykit.MaxMetadataKeys),
		"key":   fmt.Sprintf("Metadata keys have at most %d characters.", paykit.MaxMetadataKeyLength),
		"value": fmt.Sprintf("Metadata values have at most %d characters (a value that is not a string counts by its JSON).", paykit.MaxMetadataValueLength),
		"depth": fmt.Sprintf("Metadata nests at most %d levels deep.", paykit.MaxMetadataDepth),
	}
	cases := []struct {
		name, over, at, limit string
	}{
		{"51 keys", keys(paykit.MaxMetadataKeys + 1), keys(paykit.MaxMetadataKeys), "keys"},
		{"a key of 41 characters", `{"` + strings.Repeat("ü", 41) + `":1}`, `{"` + strings.Repeat("ü", 40) + `":1}`, "key"},
		{"a value of 501 characters", `{"k":` + str(501) + `}`, `{"k":` + str(500) + `}`, "value"},
		{"a nested value of 501 characters of JSON", `{"k":` + arr(501) + `}`, `{"k":` + arr(499) + `}`, "value"},
		{"6 levels deep", nested(6), nested(5), "depth"},
	}

	// Each route that stores metadata: its body with the metadata in place of
	// %s, its credentials, and its statuses and error shape.
	type route struct {
		name, method, path, body string
		headers                  []string
		ok                       int
		refusal                  func(msg string) string
	}
	gigapayErr := func(msg string) string { return `{"metadata":["` + msg + `"]}` }
	gigstackErr := func(msg string) string {
		return `{"error":{"code":"VALIDATION_ERROR","message":"Invalid request parameters","details":{"metadata":"` + msg + `"}},"message":"Request validation failed"}`
	}
	paykitErr := func(msg string) string {
		return `{"error":{"code":"invalid","message":"Invalid input.","fields":{"metadata":"` + msg + `"}}}`
	}
	n := 0
	next := func() int { n++; return n }
	routes := []route{
		{"Gigapay integration", "POST", "/gigapay/v2/integrations/", `{"name":"X","email":"x@example.com","recipient":"X",
			"address_line_1":"Street 1","zip_code":"11111","city":"Town","metadata":%s}`, gigapayAuth, 201, gigapayErr},
		{"Gigapay employee", "POST", "/gigapay/v2/employees/", `{"name":"Bo","email":"bo%d@example.com","country":"SWE","metadata":%s}`, gigapayAuth, 201, gigapayErr},
		{"Gigapay payout", "POST", "/gigapay/v2/payouts/", `{"amount":"10.00","currency":"SEK","description":"d","employee":"e1","metadata":%s}`,
			gigapayAuth, 201, gigapayErr},
		{"Gigapay invoice", "PATCH", "/gigapay/v2/invoices/" + invoice + "/", `{"metadata":%s}`, gigapayAuth, 200, gigapayErr},
		{"Gigapay webhook", "POST", "/gigapay/v2/webhooks/", `{"url":"https://example.com/hooks","events":["Invoice.paid"],"metadata":%s}`,
			gigapayAuth, 201, gigapayErr},
		{"gigstack payment", "POST", "/gigstack/v2/payments", `{"clientId":"client_customer123","items":[{"name":"S","quantity":1,"total":100,
			"product_key":"84111506","unit_key":"E48"}],"metadata":%s}`, bearer, 200, gigstackErr},
		{"gigstack client", "POST", "/gigstack/v2/clients", `{"name":"Ada","email":"ada%d@example.com","metadata":%s}`, bearer, 200, gigstackErr},
		{"gigstack service", "POST", "/gigstack/v2/services", `{"name":"S%d","total":100,"product_key":"43232408","unit_key":"E48","metadata":%s}`,
			bearer, 200, gigstackErr},
		{"gigstack receipt", "POST", "/gigstack/v2/receipts", `{"clientId":"client_customer123","paymentMethod":"01",
			"items":[{"name":"S","quantity":1,"total":100,"product_key":"84111506","unit_key":"E48"}],"metadata":%s}`, bearer, 200, gigstackErr},
		{"events API endpoint", "POST", "/webhooks/webhook-endpoints", `{"url":"https://example.com/hooks","metadata":%s}`, bearer, 201, paykitErr},
	}
	body := func(rt route, meta string) string {
		if strings.Count(rt.body, "%") == 2 {
			return fmt.Sprintf(rt.body, next(), meta)
		}
		return fmt.Sprintf(rt.body, meta)
	}
	for _, rt := range routes {
		t.Run(rt.name, func(t *testing.T) {
			for _, tc := range cases {
				before := d.rowCounts()
				r := d.do(rt.method, rt.path, body(rt, tc.over), rt.headers...)
				require.Equal(t, 400, r.Status, "%s: %s", tc.name, r.Body)
				require.JSONEq(t, rt.refusal(msgs[tc.limit]), string(r.Body), tc.name)
				require.Equal(t, before, d.rowCounts(), "%s: nothing written", tc.name)

				r = d.do(rt.method, rt.path, body(rt, tc.at), rt.headers...)
				require.Equal(t, rt.ok, r.Status, "%s at the limit: %s", tc.name, r.Body)
			}
		})
	}
}
