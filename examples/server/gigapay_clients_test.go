package main

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Issue 16, "What real Gigapay clients found", through the example server's
// wiring: a PUT that wiped billing details, the API's invoice close,
// Retry-After on every 429 and 503, and form metadata that is not JSON.

// formHeader sends a body as form data.
var formHeader = []string{"Content-Type", "application/x-www-form-urlencoded"}

// putRoute is one PUT route of a dialect, as its source registers it, with a
// path to an object the demo holds, a body a PUT accepts, and each field that
// body cannot go without, with the error a PUT without it gets.
type putRoute struct {
	route    string            // the pattern the dialect registers
	path     string            // under the example server's mount
	get      string            // the object the PUT replaces, read before and after
	full     string            // a complete body
	required map[string]string // field left out → the 400's JSON body
	// auth is the dialect's credentials (Gigapay's by default).
	auth []string
	// partial is set for a dialect whose documented PUT changes only the
	// fields it is given (gigstack's): then full holds one field, and every
	// other field of the object must read the same after the PUT.
	partial bool
}

// TestPUT_RequiresCreateFields: a PUT is a replace and needs the create
// fields. On every PUT route of every dialect, a PUT that leaves out any one
// required field is a 400 naming it and changes nothing (the object reads the
// same before and after), while the complete body is a 200. The client's own
// case first: only a name on the web app integration, which used to answer
// 200 and empty its invoice address and metadata. Routes whose PUT takes no
// body (resend, ping) are in the table with no required field. gigstack's PUT
// is documented as a partial update: there a PUT of one field must keep every
// other, the same guarantee against the lost fields. The table must list every
// PUT route the dialects' sources register (a new dialect's too).
func TestPUT_RequiresCreateFields(t *testing.T) {
	d := mustDemo(t)
	billing := `"email": "billing@example.com", "recipient": "Demo AB", "address_line_1": "Gatan 1", "zip_code": "11111", "city": "Stockholm"`
	d.gigapay(200, "PATCH", "/v2/integrations/demo/", `{`+billing+`, "metadata": {"crm": "42"}}`)
	d.gigapay(201, "POST", "/v2/integrations/", `{"id": "custom", "name": "Custom", `+billing+`}`)
	d.gigapay(201, "POST", "/v2/employees/", `{"id": 67, "name": "Albin Lindskog", "cellphone_number": "+46703000000", "country": "SWE", "metadata": {"team": "b"}}`)
	d.gigapay(201, "POST", "/v2/payouts/", `{"id": "123", "amount": "1000.00", "currency": "SEK", "description": "Lön genom Gigapay", "employee": "67"}`)
	d.gigapay(201, "POST", "/v2/webhooks/", `{"id": "w", "url": "https://example.com/hooks", "events": ["Invoice.paid"], "metadata": {"k": 1}}`)

	// The client's request: 400 with each missing field, and nothing emptied.
	before := d.gigapay(200, "GET", "/v2/integrations/demo/", "").Body
	r := d.gigapay(400, "PUT", "/v2/integrations/demo/", `{"name": "Demo"}`)
	require.JSONEq(t, `{"email": ["This field is required."], "recipient": ["This field is required."],
		"address_line_1": ["This field is required."], "zip_code": ["This field is required."], "city": ["This field is required."]}`, string(r.Body))
	require.JSONEq(t, string(before), string(d.gigapay(200, "GET", "/v2/integrations/demo/", "").Body))
	require.Contains(t, string(before), `"metadata":{"crm":"42"}`)

	required := func(fields ...string) map[string]string {
		m := map[string]string{}
		for _, f := range fields {
			m[f] = `{"` + f + `": ["This field is required."]}`
		}
		return m
	}
	integration := `{"name": "Demo", ` + billing + `, "metadata": {"crm": "42"}}`
	integrationFields := required("name", "email", "recipient", "address_line_1", "zip_code", "city")
	employee := required("name", "country")
	employee["cellphone_number"] = `{"non_field_errors": ["Either email or cellphone_number is required."]}`
	gigstack := []string{"Authorization", "Bearer demo"}
	hook := string(d.mustDo(200, "POST", "/gigstack/v2/webhooks", `{"url": "https://example.com/hooks", "events": ["payment.succeeded"]}`,
		gigstack...).object(t)["data"].(map[string]any)["id"].(string))
	receipt := d.mustDo(200, "POST", "/gigstack/v2/receipts", `{"clientId": "client_customer123", "paymentMethod": "01",
		"items": [{"name": "Service", "quantity": 1, "total": 100, "product_key": "84111506", "unit_key": "E48"}]}`,
		gigstack...).object(t)["data"].(map[string]any)["id"].(string)
	routes := []putRoute{
		{"/v2/integrations/{id}/", "/gigapay/v2/integrations/demo/", "/gigapay/v2/integrations/demo/", integration, integrationFields, nil, false},
		{"/v2/integrations/{id}/", "/gigapay/v2/integrations/custom/", "/gigapay/v2/integrations/custom/",
			strings.Replace(integration, `"Demo"`, `"Custom"`, 1), integrationFields, nil, false},
		{"/v2/employees/{id}/", "/gigapay/v2/employees/67/", "/gigapay/v2/employees/67/",
			`{"name": "Albin Lindskog", "cellphone_number": "+46703000000", "country": "SWE", "metadata": {"team": "b"}}`, employee, nil, false},
		{"/v2/webhooks/{id}/", "/gigapay/v2/webhooks/w/", "/gigapay/v2/webhooks/w/",
			`{"url": "https://example.com/hooks", "events": ["Invoice.paid"], "secret_key": "s3cr3t", "metadata": {"k": 1}}`,
			required("url", "events"), nil, false},
		// Resend takes no body: nothing is required, nothing is read.
		{"/v2/employees/{id}/resend/", "/gigapay/v2/employees/67/resend/", "/gigapay/v2/employees/67/", `{}`, nil, nil, false},
		{"/v2/payouts/{id}/resend/", "/gigapay/v2/payouts/123/resend/", "/gigapay/v2/payouts/123/", `{}`, nil, nil, false},
		// gigstack's PUTs change what they are given and keep the rest, as its
		// documentation and CLI use them: no field is required, none is lost.
		{"/v2/clients/{id}", "/gigstack/v2/clients/client_customer123", "/gigstack/v2/clients/client_customer123",
			`{"phone": "5512345678"}`, nil, gigstack, true},
		{"/v2/webhooks/{id}", "/gigstack/v2/webhooks/" + hook, "/gigstack/v2/webhooks/" + hook,
			`{"description": "Payments"}`, nil, gigstack, true},
		{"/v2/receipts/{id}", "/gigstack/v2/receipts/" + receipt, "/gigstack/v2/receipts/" + receipt,
			`{"metadata": {"order": "A-1"}}`, nil, gigstack, true},
		// Ping takes no body.
		{"/v2/ping", "/gigstack/v2/ping", "/gigstack/v2/ping", `{}`, nil, gigstack, false},
	}

	for _, rt := range routes {
		t.Run(rt.path, func(t *testing.T) {
			auth := rt.auth
			if auth == nil {
				auth = gigapayAuth
			}
			if rt.partial {
				before := d.mustDo(200, "GET", rt.get, "", auth...).object(t)
				d.mustDo(200, "PUT", rt.path, rt.full, auth...)
				after := d.mustDo(200, "GET", rt.get, "", auth...).object(t)
				var changed map[string]any
				require.NoError(t, json.Unmarshal([]byte(rt.full), &changed))
				b, a := before["data"].(map[string]any), after["data"].(map[string]any)
				for k, v := range changed {
					require.Equal(t, v, a[k], "the PUT changes %s", k)
					delete(a, k)
					delete(b, k)
				}
				require.Equal(t, b, a, "a PUT of one field keeps every other")
				return
			}
			for field, want := range rt.required {
				t.Run("Without_"+field, func(t *testing.T) {
					body := withoutField(t, rt.full, field)
					before := d.mustDo(200, "GET", rt.get, "", auth...).Body
					r := d.mustDo(400, "PUT", rt.path, body, auth...)
					require.JSONEq(t, want, string(r.Body))
					after := d.mustDo(200, "GET", rt.get, "", auth...).Body
					require.JSONEq(t, string(before), string(after))
				})
			}
			r := d.do("PUT", rt.path, rt.full, auth...)
			if rt.required == nil {
				require.NotEqual(t, 400, r.Status, "%s", r.Body)
				return
			}
			require.Equal(t, 200, r.Status, "%s", r.Body)
		})
	}

	var listed []string
	for _, rt := range routes {
		if !slices.Contains(listed, rt.route) {
			listed = append(listed, rt.route)
		}
	}
	require.ElementsMatch(t, putRoutes(t, "../../httpapi"), listed,
		"every PUT route of every dialect belongs in this table")
}

// withoutField returns the JSON object body without its field.
func withoutField(tb testing.TB, body, field string) string {
	tb.Helper()
	var m map[string]any
	require.NoError(tb, json.Unmarshal([]byte(body), &m))
	_, ok := m[field]
	require.True(tb, ok, "%s has no %s", body, field)
	delete(m, field)
	b, err := json.Marshal(m)
	require.NoError(tb, err)
	return string(b)
}

// putRoutes returns the patterns of the routes that take PUT in the dialects'
// sources in dir: a gigapayRouter's route(pattern, ..., methods{"PUT": ...})
// and a router's handle("PUT /pattern", ...). A handle pattern without a
// method would take PUT too, and fails the test.
func putRoutes(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	require.NoError(t, err)
	var out []string
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		require.NoError(t, err)
		ast.Inspect(af, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || (sel.Sel.Name != "route" && sel.Sel.Name != "handle") {
				return true
			}
			// The pattern is the call's first string argument (a gigstack
			// handle takes the router first); one built as method+" /path"
			// takes whatever method the loop gives it, PUT included.
			pattern := ""
			for _, arg := range call.Args {
				if lit, ok := arg.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					pattern, _ = strconv.Unquote(lit.Value)
					break
				}
				if bin, ok := arg.(*ast.BinaryExpr); ok && bin.Op == token.ADD {
					if lit, ok := bin.Y.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						path, _ := strconv.Unquote(lit.Value)
						pattern = "PUT" + path
						break
					}
				}
			}
			where := fset.Position(call.Pos()).String()
			if sel.Sel.Name == "handle" {
				if pattern == "" {
					return true
				}
				method, path, ok := strings.Cut(pattern, " ")
				require.True(t, ok, "%s: %q takes every method, PUT included", where, pattern)
				if method == "PUT" {
					out = append(out, path)
				}
				return true
			}
			lit, ok := call.Args[len(call.Args)-1].(*ast.CompositeLit)
			if !ok {
				return true
			}
			for _, e := range lit.Elts {
				kv, ok := e.(*ast.KeyValueExpr)
				if k, isLit := kv.Key.(*ast.BasicLit); ok && isLit && k.Value == `"PUT"` {
					require.NotEmpty(t, pattern, "%s: a PUT route whose pattern is not a literal", where)
					if !slices.Contains(out, pattern) {
						out = append(out, pattern)
					}
				}
			}
			return true
		})
	}
	return out
}

// TestGigapay_CloseInvoice: POST /v2/invoices/{id}/close/ on the API, for an
// integration that batches payouts on one invoice: the open invoice closes
// and the next payout opens a new one, as the sandbox control does; an
// invoice that is not open is 409, an unknown one 404.
func TestGigapay_CloseInvoice(t *testing.T) {
	d := mustDemo(t)
	d.mustDo(200, "POST", "/sandbox/gigapay/settings/", `{"invoice_batching": true}`, gigapayAuth...)
	d.gigapay(201, "POST", "/v2/employees/", `{"id": 67, "name": "Albin Lindskog", "cellphone_number": "+46703000000", "country": "SWE"}`)
	payout := func(id string) string {
		p := d.gigapay(201, "POST", "/v2/payouts/", `{"id": "`+id+`", "amount": "100.00", "currency": "SEK", "description": "d", "employee": "67"}`).object(t)
		return p["invoice"].(string)
	}
	first := payout("p1")
	require.Equal(t, first, payout("p2"), "a batching invoice stays open across requests")
	require.Equal(t, true, d.gigapay(200, "GET", "/v2/invoices/"+first+"/", "").object(t)["open"])

	r := d.gigapay(200, "POST", "/v2/invoices/"+first+"/close/", "")
	inv := r.object(t)
	require.Equal(t, first, inv["id"])
	require.Equal(t, false, inv["open"])
	second := payout("p3")
	require.NotEqual(t, first, second, "the next payout opens a new invoice")

	// Its errors, in Django REST Framework's shapes.
	r = d.gigapay(409, "POST", "/v2/invoices/"+first+"/close/", "")
	require.JSONEq(t, `{"detail": "Invoice \"`+first+`\" is not open."}`, string(r.Body))
	r = d.gigapay(404, "POST", "/v2/invoices/nope/close/", "")
	require.JSONEq(t, `{"detail": "Not found."}`, string(r.Body))
	r = d.gigapay(405, "GET", "/v2/invoices/"+second+"/close/", "")
	require.Equal(t, "POST, OPTIONS", r.Header.Get("Allow"))
	// It takes an Idempotency-Key, as every POST: a retry replays the close.
	d.gigapay(200, "POST", "/v2/invoices/"+second+"/close/", "", "Idempotency-Key", "close-1")
	d.gigapay(200, "POST", "/v2/invoices/"+second+"/close/", "", "Idempotency-Key", "close-1")
	d.gigapay(409, "POST", "/v2/invoices/"+second+"/close/", "")
	// Without batching, each request's invoice is closed when it ends.
	d.mustDo(200, "POST", "/sandbox/gigapay/settings/", `{"invoice_batching": false}`, gigapayAuth...)
	d.gigapay(409, "POST", "/v2/invoices/"+payout("p4")+"/close/", "")
}

// TestGigapay_RetryAfter: the resend throttle's 429 carries Retry-After, the
// seconds by the Clock until a resend can succeed, beside Django REST
// Framework's throttle text; a retry then, with the same Idempotency-Key,
// succeeds (the 429 is not recorded under the key).
func TestGigapay_RetryAfter(t *testing.T) {
	d := mustDemo(t)
	d.gigapay(201, "POST", "/v2/employees/", `{"id": 67, "name": "Albin Lindskog", "cellphone_number": "+46703000000", "country": "SWE"}`)
	d.mustDo(200, "POST", "/sandbox/gigapay/employees/67/notify/", "", gigapayAuth...)

	r := d.gigapay(429, "PATCH", "/v2/employees/67/resend/", "", "Idempotency-Key", "resend-1")
	require.Equal(t, "86400", r.Header.Get("Retry-After"))
	require.JSONEq(t, `{"detail": "The invitation can be resent once every 24 hours. Expected available in 86400 seconds."}`, string(r.Body))

	d.clock.Add(time.Hour + 500*time.Millisecond) // a part of a second counts as one
	r = d.gigapay(429, "PUT", "/v2/employees/67/resend/", "", "Idempotency-Key", "resend-1")
	require.Equal(t, "82800", r.Header.Get("Retry-After"))
	d.clock.Add(82799 * time.Second)
	require.Equal(t, "1", d.gigapay(429, "PATCH", "/v2/employees/67/resend/", "").Header.Get("Retry-After"))
	d.clock.Add(500 * time.Millisecond)
	d.gigapay(204, "PATCH", "/v2/employees/67/resend/", "", "Idempotency-Key", "resend-1")
	d.gigapay(204, "PATCH", "/v2/employees/67/resend/", "", "Idempotency-Key", "resend-1") // replayed

	// A payout's notification, the dialect's other 429.
	p := d.gigapay(201, "POST", "/v2/payouts/", `{"id": "123", "amount": "100.00", "currency": "SEK", "description": "d", "employee": "67"}`).object(t)
	for _, step := range []string{"employees/67/claim", "employees/67/verify", "invoices/" + p["invoice"].(string) + "/pay"} {
		d.mustDo(200, "POST", "/sandbox/gigapay/"+step+"/", "", gigapayAuth...)
	}
	d.clock.Add(10 * time.Second)
	r = d.gigapay(429, "PUT", "/v2/payouts/123/resend/", "")
	require.Equal(t, "86390", r.Header.Get("Retry-After"))
	// A browser's HTML page of the same error has it too.
	r = d.gigapay(429, "PUT", "/v2/payouts/123/resend/", "", "Accept", "text/html")
	require.Equal(t, "86390", r.Header.Get("Retry-After"))
	// Other errors do not.
	require.Empty(t, d.gigapay(404, "PUT", "/v2/payouts/nope/resend/", "").Header.Get("Retry-After"))
}

// TestGigapay_FormMetadataNotJSON: metadata in form data is JSON text, as
// Django REST Framework's JSONField reads it; text that does not parse is 400
// "Value must be valid JSON." (empty text too), and nothing is stored, on
// create, PATCH and PUT alike. Like the body's other values that do not parse
// (a number, a date), it is reported before the Service sees the body. JSON
// text is stored as the JSON it holds.
func TestGigapay_FormMetadataNotJSON(t *testing.T) {
	d := mustDemo(t)
	r := d.gigapay(400, "POST", "/v2/employees/", "id=67&name=Albin&cellphone_number=%2B46703000000&country=SWE&metadata=hello", formHeader...)
	require.JSONEq(t, `{"metadata": ["Value must be valid JSON."]}`, string(r.Body))
	d.gigapay(404, "GET", "/v2/employees/67/", "")
	r = d.gigapay(400, "POST", "/v2/employees/", "id=67&name=Albin&cellphone_number=%2B46703000000&country=SWE&metadata=", formHeader...)
	require.JSONEq(t, `{"metadata": ["Value must be valid JSON."]}`, string(r.Body))

	e := d.gigapay(201, "POST", "/v2/employees/", `id=67&name=Albin&cellphone_number=%2B46703000000&country=SWE&metadata={"team":"b"}`, formHeader...).object(t)
	require.Equal(t, map[string]any{"team": "b"}, e["metadata"])
	before := d.gigapay(200, "GET", "/v2/employees/67/", "").Body
	for _, c := range []struct{ method, path, body string }{
		{"PATCH", "/v2/employees/67/", "metadata=hello"},
		{"PUT", "/v2/employees/67/", "name=Albin&cellphone_number=%2B46703000000&country=SWE&metadata={team:b}"},
		{"PATCH", "/v2/integrations/demo/", "metadata=hello"},
	} {
		r := d.gigapay(400, c.method, c.path, c.body, formHeader...)
		require.JSONEq(t, `{"metadata": ["Value must be valid JSON."]}`, string(r.Body), "%s %s", c.method, c.path)
	}
	require.JSONEq(t, string(before), string(d.gigapay(200, "GET", "/v2/employees/67/", "").Body))
	require.Equal(t, map[string]any{}, d.gigapay(200, "GET", "/v2/integrations/demo/", "").object(t)["metadata"])
	// A JSON string is JSON: quoted, it is stored as a string.
	e = d.gigapay(200, "PATCH", "/v2/employees/67/", `metadata="hello"`, formHeader...).object(t)
	require.Equal(t, "hello", e["metadata"])
}
