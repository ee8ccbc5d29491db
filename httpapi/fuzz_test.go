package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Fuzz targets of every dialect's request decoding (issue 13): any body, on
// any route of a dialect that reads one, is answered in the dialect's shape,
// never with a 500 and never with a panic; and every write it makes leaves the
// invariants whole (each environment checks them all when the fuzzing ends).
// The seeds are the documents' examples; go test runs them as ordinary tests,
// and .ci/run fuzzes each for a bounded time (-fuzz, -fuzztime), keeping what
// it finds in testdata/fuzz.

// fuzzRoute is a route that reads a body, with what it takes to call it.
type fuzzRoute struct {
	method, path string
	headers      []string
}

// fuzzServe sends body to route r of h, as contentType when not empty.
func fuzzServe(h http.Handler, r fuzzRoute, body []byte, contentType string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(r.method, r.path, strings.NewReader(string(body)))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(r.headers); i += 2 {
		req.Header.Set(r.headers[i], r.headers[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// requireAnswer fails unless w is an answer of the dialect: not a 500, JSON
// (or nothing, for a 204), and an error in the shape shape checks.
func requireAnswer(t *testing.T, r fuzzRoute, body []byte, w *httptest.ResponseRecorder, shape func(map[string]json.RawMessage) bool) {
	t.Helper()
	if w.Code >= 500 {
		t.Fatalf("%s %s %q: %d %s", r.method, r.path, body, w.Code, w.Body)
	}
	if w.Code == http.StatusNoContent {
		return
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		var list []json.RawMessage // Gigapay's bulk errors are a list
		if json.Unmarshal(w.Body.Bytes(), &list) != nil {
			t.Fatalf("%s %s %q: %d, not JSON: %s", r.method, r.path, body, w.Code, w.Body)
		}
		return
	}
	if w.Code >= 400 && !shape(m) {
		t.Fatalf("%s %s %q: %d, not the dialect's error: %s", r.method, r.path, body, w.Code, w.Body)
	}
}

// has reports whether m holds every key.
func has(m map[string]json.RawMessage, keys ...string) bool {
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			return false
		}
	}
	return true
}

// errorObject reports whether m is {"error":{"code","message",...}}.
func errorObject(m map[string]json.RawMessage) bool {
	var e map[string]json.RawMessage
	return json.Unmarshal(m["error"], &e) == nil && has(e, "code", "message")
}

func FuzzGigPayRequest(f *testing.F) {
	e := MustEnv(f)
	tok := e.MustCreateToken("5")
	var token string
	json.Unmarshal(tok["token"], &token)
	auth := []string{"Authorization", "Bearer " + apiKey}
	routes := []fuzzRoute{
		{"POST", "/gigpay/api/v1/payment-tokens", auth},
		{"POST", "/gigpay/api/v1/payment-tokens/batch", auth},
		{"POST", "/gigpay/api/v1/payment-tokens/" + token + "/accept", auth},
		{"POST", "/gigpay/api/v1/payment-tokens/" + token + "/reject", auth},
		{"POST", "/gigpay/api/v1/accounts", auth},
		{"POST", "/gigpay/api/v1/deposits", auth},
		{"POST", "/gigpay/api/v1/withdrawals", auth},
		{"POST", "/sandbox/deposits", auth},
	}
	// The seed's examples (000): a token, a batch, an accept, an account, a
	// deposit and a withdrawal.
	for i, body := range []string{
		`{"assetType":"usd","sourceAccountId":"3fa85f64-5717-4562-b3fc-2c963f66afa6","amount":0,"expiresAtUtc":"2024-01-09T18:00:56.246Z","memo":"string"}`,
		`{"tokens":[{"assetType":"usd","sourceAccountId":"3fa85f64-5717-4562-b3fc-2c963f66afa6","amount":1.5}]}`,
		`{"destinationAccountId":"4fa85f64-5717-4562-b3fc-2c963f66afa6"}`,
		`{}`,
		`{"id":"3fa85f64-5717-4562-b3fc-2c963f66afa7","assetType":"usd","name":"string","businessAccountId":"3fa85f64-5717-4562-b3fc-2c963f66afa6"}`,
		`{"destinationAccountId":"3fa85f64-5717-4562-b3fc-2c963f66afa6","amount":10.25,"assetType":"usd","externalStorage":"string"}`,
		`{"sourceAccountId":"3fa85f64-5717-4562-b3fc-2c963f66afa6","amount":1,"assetType":"usd","externalStorage":"bank"}`,
		`{"destinationAccountId":"3fa85f64-5717-4562-b3fc-2c963f66afa6","amount":1e2,"assetType":"usd"}`,
	} {
		f.Add(uint8(i), []byte(body))
	}
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		r := routes[int(route)%len(routes)]
		requireAnswer(t, r, body, fuzzServe(e.Handler, r, body, "application/json"), errorObject)
	})
}

func FuzzGigapayRequest(f *testing.F) {
	e := MustGigapay(f)
	auth := []string{"Authorization", "Token " + gpKey, "Integration-ID", gpIntegration, "Accept", "application/json"}
	e.MustDo(201, "POST", "/gigapay/v2/employees/", `{"id":"67","name":"Albin Lindskog","cellphone_number":"+46703000000","country":"SWE"}`)
	p := e.MustDo(201, "POST", "/gigapay/v2/payouts/", `{"id":"123","amount":"100","currency":"SEK","description":"d","employee":"67"}`).JSON(f)
	var inv string
	json.Unmarshal(p["invoice"], &inv)
	e.MustDo(201, "POST", "/gigapay/v2/webhooks/", `{"id":"w","url":"https://example.com/hooks","events":["Invoice.paid"]}`)
	routes := []fuzzRoute{
		{"POST", "/gigapay/v2/integrations/", auth},
		{"PATCH", "/gigapay/v2/integrations/" + gpIntegration + "/", auth},
		{"PUT", "/gigapay/v2/integrations/" + gpIntegration + "/", auth},
		{"POST", "/gigapay/v2/employees/", auth},
		{"PATCH", "/gigapay/v2/employees/67/", auth},
		{"PUT", "/gigapay/v2/employees/67/", auth},
		{"POST", "/gigapay/v2/payouts/", auth},
		{"POST", "/gigapay/v2/pricing/", auth},
		{"PATCH", "/gigapay/v2/invoices/" + inv + "/", auth},
		{"POST", "/gigapay/v2/webhooks/", auth},
		{"PATCH", "/gigapay/v2/webhooks/w/", auth},
		{"PUT", "/gigapay/v2/webhooks/w/", auth},
		{"POST", "/sandbox/gigapay/settings/", auth},
	}
	contentTypes := []string{"application/json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=xYzZY", ""}
	// The documents' examples (seed 001 and specs/gigapay.md).
	for i, body := range []string{
		`{"name":"Gigatron","email":"invoices@gigatron.se","recipient":"Gigatron AB","address_line_1":"Sveavägen 1","zip_code":"111 57","city":"Stockholm"}`,
		`{"metadata":{"user_id":2}}`,
		`{"name":"Gigatron","email":"invoices@gigatron.se","recipient":"Gigatron AB","address_line_1":"Sveavägen 1","zip_code":"111 57","city":"Stockholm","metadata":{}}`,
		`{"id":"25d2af38-59b9-4f73-9452-51787fed5c84","name":"Karl Karlsson","email":"karl@example.com","country":"SWE","metadata":{"user_id":3}}`,
		`{"cellphone_number":"+46703000000"}`,
		`{"name":"Albin Lindskog","cellphone_number":"+46703000000","country":"SWE"}`,
		`[{"amount":"120","currency":"SEK","description":"Lön genom Gigapay","employee":"67"},{"invoiced_amount":"1314.20","currency":"SEK","description":"d","employee":{"name":"Ada","email":"ada@example.com","country":"SWE"}}]`,
		`{"cost":"1379.91","currency":"SEK","description":"d","employee":"67","start_at":"2020-02-11T12:00:00Z","end_at":"2020-02-12"}`,
		`{"id":"inv-1","metadata":{"order":42}}`,
		`{"url":"https://example.com/hooks","events":["Payout.accepted","Employee.claimed"],"secret_key":"s3cr3t","metadata":{}}`,
		`{"events":["Invoice.paid"]}`,
		`{"url":"https://example.com/hooks","events":["Invoice.paid"]}`,
		`{"fee":"0.02","invoice_batching":true}`,
	} {
		f.Add(uint8(i*len(contentTypes)), []byte(body))
	}
	f.Add(uint8(3*len(contentTypes)+1), []byte(`name=Ada&email=ada%40example.com&country=SWE&metadata=%7B%22a%22%3A1%7D`))
	f.Add(uint8(3*len(contentTypes)+2), []byte("--xYzZY\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nAda\r\n--xYzZY--\r\n"))
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		r := routes[int(route)/len(contentTypes)%len(routes)]
		ct := contentTypes[int(route)%len(contentTypes)]
		requireAnswer(t, r, body, fuzzServe(e.Handler, r, body, ct), func(m map[string]json.RawMessage) bool {
			return len(m) > 0 // {"detail"} or {"<field>":[...]}
		})
	})
}

func FuzzGigstackRequest(f *testing.F) {
	e := MustGigstack(f)
	auth := []string{"Authorization", "Bearer master-key"}
	client := e.MustDo(200, "POST", "/v2/clients", `{"name":"Maria","email":"maria@example.com"}`).Data(f)
	var clientID string
	json.Unmarshal(client["id"], &clientID)
	routes := []fuzzRoute{
		{"POST", "/gigstack/v2/payments", auth},
		{"POST", "/gigstack/v2/clients", auth},
		{"PUT", "/gigstack/v2/clients/" + clientID, auth},
		{"POST", "/gigstack/v2/services", auth},
		{"POST", "/gigstack/v2/webhooks", auth},
		{"POST", "/gigstack/v2/invoices/income", auth},
		{"POST", "/gigstack/v2/receipts", auth},
		{"POST", "/sandbox/gigstack/teams/sub/sat", auth},
	}
	// The seed's examples (002).
	for i, body := range []string{
		`{"client":{"name":"Maria Rodriguez Santos","email":"maria.rodriguez@example.com","rfc":"ROSM850315QT8","legal_name":"MARIA RODRIGUEZ SANTOS","tax_system":"601","address":{"zip":"06100","country":"MEX"},"use":"G01"},` +
			`"items":[{"name":"Consulting","quantity":2,"total":1500,"product_key":"84111506","unit_key":"E48","taxes":[{"type":"IVA","rate":0.16,"factor":"Tasa","inclusive":true}]}],` +
			`"currency":"MXN","paymentMethod":"03","automaticInvoice":true,"metadata":{"internalId":"INV-2024-001","reference":"Monthly subscription"}}`,
		`{"name":"Maria Rodriguez Santos","email":"maria@example.com","rfc":"ROSM850315QT8","tax_system":"601","address":{"zip":"06100"},"metadata":{"a":1}}`,
		`{"email":"new@example.com","zip":"06100"}`,
		`{"name":"Monthly Software License","description":"Premium SaaS","total":1500,"product_key":"43232408","unit_key":"E48","taxes":[{"type":"IVA","rate":0.16,"factor":"Tasa"}]}`,
		`{"url":"https://example.com/hooks","events":["payment.succeeded","invoice.created"],"description":"d"}`,
		`{"client":{"id":"` + clientID + `"},"items":[{"description":"Service","quantity":1,"unit_price":100,"product_key":"84111506","unit_key":"E48"}],"payment_form":"03","use":"G03"}`,
		`{"clientId":"` + clientID + `","paymentMethod":"01","items":[{"name":"Service","quantity":1,"total":100,"product_key":"84111506","unit_key":"E48"}],"validUntil":"2026-12-31T00:00:00Z"}`,
		`{"rfc":"SUB190101AB2","legal_name":"SUB SERVICIOS","tax_system":"601","zip":"06100"}`,
	} {
		f.Add(uint8(i), []byte(body))
	}
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		r := routes[int(route)%len(routes)]
		requireAnswer(t, r, body, fuzzServe(e.Handler, r, body, "application/json"), func(m map[string]json.RawMessage) bool {
			return errorObject(m) && has(m, "message")
		})
	})
}

func FuzzMementoRequest(f *testing.F) {
	e := mustMementoEnv(f)
	id := e.mustCreate()
	auth := []string{"Authorization", basic(mementoKey, "")}
	routes := []fuzzRoute{
		{"POST", "/memento/v1/requests", auth},
		{"DELETE", "/memento/v1/requests/" + id, auth},
		{"POST", "/sandbox/memento/users", auth},
		{"POST", "/sandbox/memento/requests/" + id + "/pay", auth},
		{"POST", "/sandbox/memento/merchant", auth},
	}
	// The seed's examples (004).
	for i, body := range []string{
		`{"amount":2199,"currency":"ISK","recipient":"alice","description":"Bíómiðar","order":"abc123","expires_in":90,"notify_url":"https://example.com/notify","terminal":1,"image_url":"https://example.com/i.png"}`,
		``,
		`{"username":"bob","phone":"+3548885555","currency":"ISK","balance":5000}`,
		`{}`,
		`{"default_country_code":"+1","request_limits":{"USD":500}}`,
		`{"amount":10.990000000000002,"currency":"USD","recipient":"4155551212"}`,
	} {
		f.Add(uint8(i), []byte(body))
	}
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		r := routes[int(route)%len(routes)]
		w := fuzzServe(e.Handler, r, body, "application/json")
		if w.Code != http.StatusOK {
			t.Fatalf("%s %s %q: Memento answers 200, not %d: %s", r.method, r.path, body, w.Code, w.Body)
		}
		requireAnswer(t, r, body, w, nil)
		var m struct {
			Success *bool
			Error   struct{ Code string }
		}
		if json.Unmarshal(w.Body.Bytes(), &m) != nil || m.Success == nil || (!*m.Success && m.Error.Code == "") || m.Error.Code == "500" {
			t.Fatalf("%s %s %q: not Memento's answer: %s", r.method, r.path, body, w.Body)
		}
	})
}

func FuzzEventsRequest(f *testing.F) {
	e := mustHooksEnv(f)
	auth := []string{"Authorization", "Bearer " + apiKey}
	e.MustDo(201, "POST", "/hooks/webhook-endpoints", `{"id":"ep","url":"https://example.com/hooks"}`)
	routes := []fuzzRoute{
		{"POST", "/hooks/webhook-endpoints", auth},
		{"PATCH", "/hooks/webhook-endpoints/ep", auth},
	}
	for i, body := range []string{
		`{"url":"https://example.com/hooks","events":["token.created"],"scheme":"standard","description":"d","headers":{"X-Tenant":"acme"},"metadata":{"k":"v"},"enabled":true}`,
		`{"secret":"","standardSecret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw","scheme":"gigapay","events":["Payout.accepted"]}`,
	} {
		f.Add(uint8(i), []byte(body))
	}
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		r := routes[int(route)%len(routes)]
		requireAnswer(t, r, body, fuzzServe(e.Handler, r, body, "application/json"), errorObject)
	})
}

func FuzzRudiqPayRequest(f *testing.F) {
	e := mustRQ(f)
	auth := []string{"Authorization", "Bearer " + rqShopKey}
	var created struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(e.MustDo(201, "POST", "/rudiqpay/api/v1/payments", e.seedBody("fuzz-seed")).Body, &created); err != nil {
		f.Fatal(err)
	}
	routes := []fuzzRoute{
		{"POST", "/rudiqpay/api/v1/payments", auth},
		{"POST", "/rudiqpay/api/v1/payments/" + created.ID + "/cancel", auth},
		{"POST", "/rudiqpay/api/v1/payments/" + created.ID + "/retry-send", auth},
		{"POST", "/sandbox/rudiqpay/payments/" + created.ID + "/deposit", auth},
		{"POST", "/sandbox/rudiqpay/mine", auth},
	}
	// The seed's create body (003), and the sandbox's.
	for i, body := range []string{
		e.seedBody("fuzz-1"),
		`{}`,
		``,
		`{"arguments":["1","100000000"]}`,
		`{"blocks":2}`,
	} {
		f.Add(uint8(i), []byte(body))
	}
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		r := routes[int(route)%len(routes)]
		requireAnswer(t, r, body, fuzzServe(e.Handler, r, body, "application/json"), errorObject)
	})
}
