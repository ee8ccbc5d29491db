package httpapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/httpapi"
	"github.com/paykit/paykit/store"
)

// The documentation's credentials: its API key and Integration-ID.
const (
	gpKey         = "1vjv20ksxwvlpp3peize74ievjmx3e"
	gpIntegration = "650fd73ff5"
	gpAccount     = "gigatron" // the tenant that owns gpKey and the integration
	rivalKey      = "rival-key"
)

// GP is a Service on a SQLite file with the Gigapay dialect mounted as the
// example server mounts it (/gigapay, and its sandbox at /sandbox/gigapay),
// an account "gigatron" with the documentation's API key owning the
// documentation's integration 650fd73ff5, and a rival account with an
// integration of its own.
type GP struct {
	tb      testing.TB
	Clock   *clock.Mock
	Service *paykit.Service
	Handler http.Handler
	// Tenant is the tenant of the integration gpIntegration: an
	// integration's id is its client's, its tenant paykit's.
	Tenant string
}

// MustGigapay returns a ready GP; opts configure the Service.
func MustGigapay(tb testing.TB, opts ...paykit.Option) *GP {
	tb.Helper()
	db, err := store.Open(filepath.Join(tb.TempDir(), "paykit.db"))
	require.NoError(tb, err)
	clk := clock.NewMock()
	clk.Set(time.Date(2020, 2, 11, 12, 0, 0, 0, time.UTC))
	svc := paykit.New(db, append([]paykit.Option{paykit.WithClock(clk)}, opts...)...)
	mux := http.NewServeMux()
	mux.Handle("/gigapay/", http.StripPrefix("/gigapay", httpapi.NewGigapay(svc)))
	mux.Handle("/sandbox/gigapay/", http.StripPrefix("/sandbox/gigapay", httpapi.NewGigapaySandbox(svc)))
	e := &GP{tb: tb, Clock: clk, Service: svc, Handler: mux}

	ctx := context.Background()
	for _, a := range []struct{ id, key string }{{gpAccount, gpKey}, {"rival", rivalKey}} {
		_, err := svc.CreateTenant(ctx, a.id, a.id)
		require.NoError(tb, err)
		_, err = svc.CreateAPIKey(ctx, a.id, a.key)
		require.NoError(tb, err)
		_, err = svc.EnsureIntegration(ctx, a.id, paykit.IntegrationCreate{})
		require.NoError(tb, err)
	}
	integ, err := svc.CreateIntegration(ctx, gpAccount, paykit.IntegrationCreate{ID: gpIntegration, Name: "Gigatron",
		Email: "invoices@gigatron.se", Recipient: "Gigatron AB", AddressLine1: "Sveavägen 1", ZipCode: "111 57", City: "Stockholm"})
	require.NoError(tb, err)
	e.Tenant = integ.TenantID
	tb.Cleanup(func() {
		require.NoError(tb, svc.CheckAllInvariants(context.Background()))
		require.NoError(tb, db.Close())
	})
	return e
}

// Do sends a request with the documentation's credentials; headers are
// name/value pairs that override or add to them ("Integration-ID", "" removes
// it). path is the full path, /gigapay included.
func (e *GP) Do(method, path, body string, headers ...string) Response {
	e.tb.Helper()
	return serve(e.Handler, method, path, body,
		append([]string{"Authorization", "Token " + gpKey, "Integration-ID", gpIntegration}, headers...)...)
}

// MustDo is Do that requires the status want.
func (e *GP) MustDo(want int, method, path, body string, headers ...string) Response {
	e.tb.Helper()
	r := e.Do(method, path, body, headers...)
	require.Equal(e.tb, want, r.Status, "%s %s: %s", method, path, r.Body)
	return r
}

// Sandbox performs a sandbox action, like "/employees/67/verify/".
func (e *GP) Sandbox(path string) Response {
	e.tb.Helper()
	return e.MustDo(200, "POST", "/sandbox/gigapay"+path, "")
}

// At sets the mock clock to an ISO 8601 time.
func (e *GP) At(iso string) {
	e.tb.Helper()
	t, err := time.Parse(time.RFC3339Nano, iso)
	require.NoError(e.tb, err)
	e.Clock.Set(t)
}

// MustEmployee registers an employee and returns its JSON.
func (e *GP) MustEmployee(id, name string) map[string]json.RawMessage {
	e.tb.Helper()
	return e.MustDo(201, "POST", "/gigapay/v2/employees/",
		`{"id":"`+id+`","name":"`+name+`","cellphone_number":"+46703000000","country":"SWE"}`).JSON(e.tb)
}

// MustVerify takes an employee through onboarding.
func (e *GP) MustVerify(id string) {
	e.tb.Helper()
	for _, step := range []string{"notify", "claim", "verify"} {
		e.Sandbox("/employees/" + id + "/" + step + "/")
	}
}

// requireDocShape requires got to hold every key of the documentation's
// example doc, with its value (objects compared the same way, recursively),
// in the documented order; got may have more keys (the ones the example
// omits).
func requireDocShape(tb testing.TB, doc, got string) {
	tb.Helper()
	var d, g map[string]json.RawMessage
	require.NoError(tb, json.Unmarshal([]byte(doc), &d), "doc: %s", doc)
	require.NoError(tb, json.Unmarshal([]byte(got), &g), "got: %s", got)
	for k, dv := range d {
		gv, ok := g[k]
		require.True(tb, ok, "missing key %q in %s", k, got)
		if len(dv) > 0 && dv[0] == '{' && string(dv) != "{}" {
			requireDocShape(tb, string(dv), string(gv))
			continue
		}
		require.JSONEq(tb, string(dv), string(gv), "key %q", k)
	}
	order := map[string]int{}
	for i, k := range objectKeys(tb, []byte(got)) {
		if !strings.Contains(k, ".") {
			order[k] = i
		}
	}
	last := -1
	for _, k := range objectKeys(tb, []byte(doc)) {
		if strings.Contains(k, ".") {
			continue
		}
		require.Greater(tb, order[k], last, "key %q out of the documented order in %s", k, got)
		last = order[k]
	}
}

func TestGigapay_Authentication(t *testing.T) {
	e := MustGigapay(t)
	t.Run("NoCredentials", func(t *testing.T) {
		// "API requests without authentication will fail with the HTTP response code 403."
		r := e.MustDo(403, "GET", "/gigapay/v2/payouts/", "", "Authorization", "")
		require.Equal(t, `{"detail":"Authentication credentials were not provided."}`+"\n", string(r.Body))
		r = e.MustDo(403, "GET", "/gigapay/v2/payouts/", "", "Authorization", "Bearer "+gpKey)
		require.Equal(t, `{"detail":"Authentication credentials were not provided."}`+"\n", string(r.Body))
	})
	t.Run("InvalidToken", func(t *testing.T) {
		// 403 too, as the document says of every request without
		// authentication (issue 9), and no challenge.
		r := e.MustDo(403, "GET", "/gigapay/v2/payouts/", "", "Authorization", "Token nope")
		require.Equal(t, `{"detail":"Invalid token."}`+"\n", string(r.Body))
		require.Empty(t, r.Header.Get("WWW-Authenticate"))
		r = e.MustDo(403, "GET", "/gigapay/v2/payouts/", "", "Authorization", "Token")
		require.Equal(t, `{"detail":"Invalid token header. No credentials provided."}`+"\n", string(r.Body))
	})
	t.Run("IntegrationID", func(t *testing.T) {
		r := e.MustDo(403, "GET", "/gigapay/v2/payouts/", "", "Integration-ID", "")
		require.Equal(t, `{"detail":"The Integration-ID header is required."}`+"\n", string(r.Body))
		// The rival's integration exists, but not for this key: the same
		// answer as for an unknown one.
		r = e.MustDo(403, "GET", "/gigapay/v2/payouts/", "", "Integration-ID", "rival")
		require.Equal(t, `{"detail":"Integration \"rival\" does not exist or does not belong to this API key."}`+"\n", string(r.Body))
		e.MustDo(403, "GET", "/gigapay/v2/payouts/", "", "Integration-ID", "nope")
		// The key's own tenant is an integration too (type 1, the web app).
		e.MustDo(200, "GET", "/gigapay/v2/payouts/", "", "Integration-ID", gpAccount)
		// /integrations/ needs no Integration-ID.
		e.MustDo(200, "GET", "/gigapay/v2/integrations/", "", "Integration-ID", "")
	})
	t.Run("HeaderNamesAnyCase", func(t *testing.T) {
		req := httptest.NewRequest("GET", "/gigapay/v2/payouts/", nil)
		req.Header["authorization"] = []string{"token " + gpKey}
		req.Header["integration-id"] = []string{gpIntegration}
		w := httptest.NewRecorder()
		e.Handler.ServeHTTP(w, req)
		require.Equal(t, 200, w.Code, w.Body.String())
		e.MustDo(200, "GET", "/gigapay/v2/payouts/", "", "Integration-Id", gpIntegration)
	})
	t.Run("Isolation", func(t *testing.T) {
		e.MustEmployee("iso", "Isolde")
		e.MustDo(404, "GET", "/gigapay/v2/employees/iso/", "", "Authorization", "Token "+rivalKey, "Integration-ID", "rival")
		e.MustDo(200, "GET", "/gigapay/v2/employees/iso/", "")
	})
	t.Run("PublicRoot", func(t *testing.T) {
		r := e.MustDo(200, "GET", "/gigapay/v2/", "", "Authorization", "", "Integration-ID", "", "Accept-Language", "en")
		require.Equal(t, `{"integrations":"http://example.com/gigapay/v2/integrations/","employees":"http://example.com/gigapay/v2/employees/",`+
			`"payouts":"http://example.com/gigapay/v2/payouts/","pricing":"http://example.com/gigapay/v2/pricing/",`+
			`"invoices":"http://example.com/gigapay/v2/invoices/","webhooks":"http://example.com/gigapay/v2/webhooks/"}`+"\n", string(r.Body))
	})
}

func TestGigapay_Errors(t *testing.T) {
	e := MustGigapay(t)
	t.Run("MethodNotAllowed", func(t *testing.T) {
		// The documentation's example of a 405, a payout, which allows only
		// GET: byte for byte, with its Allow header.
		r := e.MustDo(405, "DELETE", "/gigapay/v2/payouts/123/", "")
		require.Equal(t, "GET, HEAD, OPTIONS", r.Header.Get("Allow"))
		require.Equal(t, `{"detail":"Method \"DELETE\" not allowed."}`+"\n", string(r.Body))
		r = e.MustDo(405, "DELETE", "/gigapay/v2/pricing/123/", "")
		require.Equal(t, "GET, HEAD, OPTIONS", r.Header.Get("Allow"))
		r = e.MustDo(405, "PUT", "/gigapay/v2/payouts/123/", "{}")
		require.Equal(t, "GET, HEAD, OPTIONS", r.Header.Get("Allow"))
		r = e.MustDo(405, "POST", "/gigapay/v2/invoices/", "{}")
		require.Equal(t, "GET, HEAD, OPTIONS", r.Header.Get("Allow"))
	})
	t.Run("NotFound", func(t *testing.T) {
		r := e.MustDo(404, "GET", "/gigapay/v2/payouts/123/", "")
		require.Equal(t, `{"detail":"Not found."}`+"\n", string(r.Body))
		r = e.MustDo(404, "GET", "/gigapay/v2/nothing/", "")
		require.Equal(t, `{"detail":"Not found."}`+"\n", string(r.Body))
	})
	t.Run("Validation", func(t *testing.T) {
		// The documentation's example: a field's messages under its name,
		// blank when given as "" (issue 9), required when left out.
		e.MustEmployee("67", "Albin Lindskog")
		r := e.MustDo(400, "POST", "/gigapay/v2/payouts/", `{"amount":"100","currency":"SEK","employee":"67","description":""}`)
		require.Equal(t, `{"description":["This field may not be blank."]}`+"\n", string(r.Body))
		r = e.MustDo(400, "POST", "/gigapay/v2/payouts/", `{"amount":"100","currency":"SEK","employee":"67"}`)
		require.Equal(t, `{"description":["This field is required."]}`+"\n", string(r.Body))
		r = e.MustDo(400, "POST", "/gigapay/v2/payouts/", `{"amount":"100","cost":"120","currency":"SEK","employee":"67","description":"d"}`)
		require.Equal(t, `{"non_field_errors":["Exactly one of amount, invoiced_amount and cost is required."]}`+"\n", string(r.Body))
		// The old documentation's relational error.
		r = e.MustDo(400, "POST", "/gigapay/v2/payouts/", `{"amount":"100","currency":"SEK","employee":"nobody","description":"d"}`)
		require.Equal(t, `{"employee":["Object with id \"nobody\" does not exist."]}`+"\n", string(r.Body))
		r = e.MustDo(400, "POST", "/gigapay/v2/payouts/", `{"amount":"ten","currency":"SEK","employee":"67","description":"d","start_at":"soon"}`)
		require.JSONEq(t, `{"amount":["A valid number is required."],
			"start_at":["Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."]}`, string(r.Body))
		r = e.MustDo(400, "POST", "/gigapay/v2/payouts/", `{"amount":"10.001","currency":"SEK","employee":"67","description":"d"}`)
		require.Equal(t, `{"amount":["Amount has more than 2 decimals for SEK."]}`+"\n", string(r.Body))
		// An inline employee's errors nest under employee.
		r = e.MustDo(400, "POST", "/gigapay/v2/payouts/?expand=employee",
			`{"amount":"100","currency":"SEK","description":"d","employee":{"name":"","country":"SWE"}}`)
		require.JSONEq(t, `{"employee":{"name":["This field may not be blank."],"non_field_errors":["Either email or cellphone_number is required."]}}`, string(r.Body))
	})
	t.Run("Bulk", func(t *testing.T) {
		// A bulk request's errors are a list aligned with its items.
		r := e.MustDo(400, "POST", "/gigapay/v2/payouts/", `[
			{"amount":"100","currency":"SEK","employee":"67","description":"ok"},
			{"amount":"-5","currency":"SEK","employee":"67","description":"bad"},
			{"amount":"5","currency":"SEK","employee":"67"}]`)
		require.JSONEq(t, `[{}, {"amount":["Amount must be greater than zero."]},
			{"description":["This field is required."]}]`, string(r.Body))
		// Items that are not objects at all are reported first, on their own.
		r = e.MustDo(400, "POST", "/gigapay/v2/payouts/", `[{"amount":"100","currency":"SEK","employee":"67","description":"ok"},"nonsense"]`)
		require.JSONEq(t, `[{}, {"non_field_errors":["Invalid data. Expected a dictionary, but got str."]}]`, string(r.Body))
		r = e.MustDo(400, "POST", "/gigapay/v2/payouts/", `[]`)
		require.Equal(t, `{"non_field_errors":["This list may not be empty."]}`+"\n", string(r.Body))
	})
	t.Run("Bodies", func(t *testing.T) {
		r := e.MustDo(400, "POST", "/gigapay/v2/employees/", `{"name": `)
		require.Contains(t, string(r.Body), `{"detail":"JSON parse error - `)
		r = e.MustDo(400, "POST", "/gigapay/v2/employees/", `["a"]`)
		require.Equal(t, `{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}`+"\n", string(r.Body))
		r = e.MustDo(415, "POST", "/gigapay/v2/employees/", `name=x`, "Content-Type", "text/plain")
		require.Equal(t, `{"detail":"Unsupported media type \"text/plain\" in request."}`+"\n", string(r.Body))
		r = e.MustDo(413, "POST", "/gigapay/v2/employees/", `{"name":"`+strings.Repeat("x", 1<<20)+`"}`)
		require.Contains(t, string(r.Body), `"detail"`)
		// Unknown and read-only fields are ignored, as Django REST Framework does.
		e.MustDo(201, "POST", "/gigapay/v2/employees/", `{"name":"Ulla","email":"ulla@example.com","country":"swe","created_at":"x","colour":"red"}`)
		// Form data works too.
		r = e.MustDo(201, "POST", "/gigapay/v2/employees/", "id=form&name=Form+Person&email=form%40example.com&country=SWE&metadata=%7B%22a%22%3A1%7D",
			"Content-Type", "application/x-www-form-urlencoded")
		require.JSONEq(t, `{"a":1}`, string(r.JSON(t)["metadata"]))
	})
	t.Run("Guards", func(t *testing.T) {
		// Forbidden by the documentation: 403. Forbidden by the state: 409.
		r := e.MustDo(403, "DELETE", "/gigapay/v2/integrations/"+gpAccount+"/", "")
		require.Equal(t, `{"detail":"The web app integration cannot be deleted."}`+"\n", string(r.Body))
		p := e.MustDo(201, "POST", "/gigapay/v2/payouts/", `{"id":"g1","amount":"100","currency":"SEK","employee":"67","description":"d"}`).JSON(t)
		r = e.MustDo(403, "DELETE", "/gigapay/v2/employees/67/", "")
		require.Equal(t, `{"detail":"Employee \"67\" cannot be deleted: payouts have been registered to them."}`+"\n", string(r.Body))
		r = e.MustDo(409, "PATCH", "/gigapay/v2/payouts/g1/resend/", "")
		require.Contains(t, string(r.Body), `{"detail":"The employee has not been notified of payout \"g1\" yet`)
		e.Sandbox("/invoices/" + str(t, p["invoice"]) + "/pay/")
		// A payout has no DELETE (the seed's own 405); its paid invoice cannot go either.
		r = e.MustDo(405, "DELETE", "/gigapay/v2/payouts/g1/", "")
		require.Equal(t, "GET, HEAD, OPTIONS", r.Header.Get("Allow"))
		e.MustDo(403, "DELETE", "/gigapay/v2/invoices/"+str(t, p["invoice"])+"/", "")
		r = e.MustDo(409, "POST", "/sandbox/gigapay/payouts/g1/accept/", "")
		require.Contains(t, string(r.Body), `"detail"`)
	})
	t.Run("Swedish", func(t *testing.T) {
		r := e.MustDo(404, "GET", "/gigapay/v2/payouts/nope/", "", "Accept-Language", "sv-SE,sv;q=0.9,en;q=0.8")
		require.Equal(t, `{"detail":"Hittades inte."}`+"\n", string(r.Body))
		require.Equal(t, "sv", r.Header.Get("Content-Language"))
		r = e.MustDo(405, "DELETE", "/gigapay/v2/pricing/1/", "", "Accept-Language", "sv")
		require.Equal(t, `{"detail":"Metoden \"DELETE\" tillåts inte."}`+"\n", string(r.Body))
		r = e.MustDo(400, "POST", "/gigapay/v2/employees/", `{"country":"SWE","email":"a@b.se"}`, "Accept-Language", "sv")
		require.Equal(t, `{"name":["Det här fältet är obligatoriskt."]}`+"\n", string(r.Body))
		r = e.MustDo(404, "GET", "/gigapay/v2/payouts/nope/", "", "Accept-Language", "en")
		require.Equal(t, "en", r.Header.Get("Content-Language"))
		require.Equal(t, `{"detail":"Not found."}`+"\n", string(r.Body))
	})
	t.Run("Options", func(t *testing.T) {
		r := e.MustDo(200, "OPTIONS", "/gigapay/v2/payouts/", "")
		require.Equal(t, "GET, POST, HEAD, OPTIONS", r.Header.Get("Allow"))
		require.Equal(t, `"Payout List"`, string(r.JSON(t)["name"]))
		r = e.MustDo(200, "HEAD", "/gigapay/v2/payouts/", "")
		require.Empty(t, r.Body)
	})
}

func TestGigapay_TrailingSlash(t *testing.T) {
	e := MustGigapay(t)
	r := e.MustDo(307, "GET", "/gigapay/v2/payouts?page_size=2", "")
	require.Equal(t, "http://example.com/gigapay/v2/payouts/?page_size=2", r.Header.Get("Location"))
	// A POST is redirected with 307, so a client repeats it as a POST.
	r = e.MustDo(307, "POST", "/gigapay/v2/employees", `{}`)
	require.Equal(t, "http://example.com/gigapay/v2/employees/", r.Header.Get("Location"))
	r = e.MustDo(307, "PATCH", "/gigapay/v2/employees/x/resend", ``)
	require.Equal(t, "http://example.com/gigapay/v2/employees/x/resend/", r.Header.Get("Location"))
	e.MustDo(404, "GET", "/gigapay/v2/nothing", "")

	// Behind a proxy that says how it was reached.
	r = e.MustDo(307, "GET", "/gigapay/v2/payouts", "", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "api.demo.gigapay.se",
		"X-Forwarded-Prefix", "/edge/")
	require.Equal(t, "https://api.demo.gigapay.se/edge/gigapay/v2/payouts/", r.Header.Get("Location"))

	// Mounted at the root, with no prefix at all.
	h := httpapi.NewGigapay(e.Service)
	req := httptest.NewRequest("GET", "/v2/invoices", nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	require.Equal(t, 307, w.Code)
	require.Equal(t, "http://example.com/v2/invoices/", w.Header().Get("Location"))
}

func TestGigapay_Pagination(t *testing.T) {
	e := MustGigapay(t)
	// The documentation's pagination example lists two of four employees; its
	// two are the newest: Albin (2019-05-22) before Karl (2019-05-20).
	e.At("2019-05-01T08:00:00Z")
	e.MustEmployee("first", "Första Person")
	e.At("2019-05-02T08:00:00Z")
	e.MustEmployee("second", "Andra Person")
	e.At("2019-05-20T15:33:08.974624Z")
	e.MustDo(201, "POST", "/gigapay/v2/employees/", `{"id":"25d2af38-59b9-4f73-9452-51787fed5c84","name":"Karl Karlsson",
		"email":"karl.karlsson@gmail.com","country":"SWE","metadata":{"user_id":3}}`)
	e.At("2019-05-20T15:33:12.581720Z")
	e.Sandbox("/employees/25d2af38-59b9-4f73-9452-51787fed5c84/notify/")
	e.At("2019-05-21T09:13:32.575721Z")
	e.Sandbox("/employees/25d2af38-59b9-4f73-9452-51787fed5c84/claim/")
	e.At("2019-05-21T09:13:48.625263Z")
	e.Sandbox("/employees/25d2af38-59b9-4f73-9452-51787fed5c84/verify/")
	e.At("2019-05-22T10:32:36.118753Z")
	e.MustDo(201, "POST", "/gigapay/v2/employees/", `{"id":"1f1d1263-0e79-4787-b573-6df81b44bfc2","name":"Albin Lindskog",
		"cellphone_number":"+46703000000","email":null,"country":"SWE","metadata":{"user_id":2}}`)

	r := e.MustDo(200, "GET", "/gigapay/v2/employees/?page_size=2&page=1", "")
	var page struct {
		Count    int
		Next     *string
		Previous *string
		Results  []json.RawMessage
	}
	require.NoError(t, json.Unmarshal(r.Body, &page))
	require.Equal(t, []string{"count", "next", "previous", "results"}, objectKeys(t, r.Body)[:4])
	require.Equal(t, 4, page.Count)
	require.Nil(t, page.Previous)
	require.Len(t, page.Results, 2)
	requireDocShape(t, `{
		"id": "1f1d1263-0e79-4787-b573-6df81b44bfc2",
		"name": "Albin Lindskog",
		"cellphone_number": "+46703000000",
		"email": null,
		"metadata": {"user_id": 2},
		"created_at": "2019-05-22T10:32:36.118753Z",
		"verified_at": null
	}`, string(page.Results[0]))
	// The documentation prints this verified_at without its Z, a slip: every
	// time is UTC and written with one.
	requireDocShape(t, `{
		"id": "25d2af38-59b9-4f73-9452-51787fed5c84",
		"name": "Karl Karlsson",
		"cellphone_number": null,
		"email": "karl.karlsson@gmail.com",
		"metadata": {"user_id": 3},
		"created_at": "2019-05-20T15:33:08.974624Z",
		"verified_at": "2019-05-21T09:13:48.625263Z"
	}`, string(page.Results[1]))

	// The next link is absolute, keeps page_size and the mount prefix, and
	// carries a cursor beside the page number.
	require.NotNil(t, page.Next)
	next, err := url.Parse(*page.Next)
	require.NoError(t, err)
	require.Equal(t, "http://example.com/gigapay/v2/employees/", next.Scheme+"://"+next.Host+next.Path)
	require.Equal(t, "2", next.Query().Get("page"))
	require.Equal(t, "2", next.Query().Get("page_size"))
	require.NotEmpty(t, next.Query().Get("cursor"))

	r2 := e.MustDo(200, "GET", strings.TrimPrefix(*page.Next, "http://example.com"), "")
	var page2 struct {
		Count    int
		Next     *string
		Previous *string
		Results  []struct{ ID string }
	}
	require.NoError(t, json.Unmarshal(r2.Body, &page2))
	require.Equal(t, []string{"second", "first"}, []string{page2.Results[0].ID, page2.Results[1].ID})
	require.Nil(t, page2.Next)
	// Page 1 is written without page (and cursor), as Django REST Framework does.
	require.Equal(t, "http://example.com/gigapay/v2/employees/?page_size=2", *page2.Previous)

	// A page number without a cursor is served by offset, with the same result.
	r3 := e.MustDo(200, "GET", "/gigapay/v2/employees/?page=2&page_size=2", "")
	require.JSONEq(t, string(r2.JSON(t)["results"]), string(r3.JSON(t)["results"]))
	r4 := e.MustDo(200, "GET", "/gigapay/v2/employees/?page=last&page_size=3", "")
	var last struct{ Results []struct{ ID string } }
	require.NoError(t, json.Unmarshal(r4.Body, &last))
	require.Equal(t, []string{"first"}, []string{last.Results[0].ID})

	// Walking back from page 3 with cursors.
	p1 := e.MustDo(200, "GET", "/gigapay/v2/employees/?page_size=1", "").JSON(t)
	n2 := str(t, p1["next"])
	p2 := e.MustDo(200, "GET", strings.TrimPrefix(n2, "http://example.com"), "").JSON(t)
	p3 := e.MustDo(200, "GET", strings.TrimPrefix(str(t, p2["next"]), "http://example.com"), "").JSON(t)
	back := e.MustDo(200, "GET", strings.TrimPrefix(str(t, p3["previous"]), "http://example.com"), "").JSON(t)
	require.JSONEq(t, string(p2["results"]), string(back["results"]))
	require.Contains(t, str(t, p3["previous"]), "cursor=")

	r = e.MustDo(404, "GET", "/gigapay/v2/employees/?page=3&page_size=2", "")
	require.Equal(t, `{"detail":"Invalid page."}`+"\n", string(r.Body))
	e.MustDo(404, "GET", "/gigapay/v2/employees/?page=x", "")
	e.MustDo(404, "GET", "/gigapay/v2/employees/?page=2&cursor=garbage", "")
	// An unusable page_size means the default, 25.
	r = e.MustDo(200, "GET", "/gigapay/v2/employees/?page_size=abc", "")
	require.Equal(t, "null", string(r.JSON(t)["next"]))

	// Behind a proxy, the links say how the client reached us.
	r = e.MustDo(200, "GET", "/gigapay/v2/employees/?page_size=2", "", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "api.gigapay.se")
	require.True(t, strings.HasPrefix(str(t, r.JSON(t)["next"]), "https://api.gigapay.se/gigapay/v2/employees/?cursor="), str(t, r.JSON(t)["next"]))
}

func TestGigapay_IDs(t *testing.T) {
	e := MustGigapay(t)
	// A number in, a string out.
	r := e.MustDo(201, "POST", "/gigapay/v2/employees/", `{"id":9472,"name":"Numbered","email":"n@example.com","country":"SWE"}`)
	require.Equal(t, `"9472"`, string(r.JSON(t)["id"]))
	e.MustDo(201, "POST", "/gigapay/v2/employees/", `{"id":1847,"name":"Renamed","email":"r@example.com","country":"SWE"}`)
	// The documentation's renames: employee 1847 → 8472.
	r = e.MustDo(200, "PATCH", "/gigapay/v2/employees/1847/", `{"id": 8472}`)
	require.Equal(t, `"8472"`, string(r.JSON(t)["id"]))
	e.MustDo(404, "GET", "/gigapay/v2/employees/1847/", "")
	e.MustDo(200, "GET", "/gigapay/v2/employees/8472/", "")
	// Creating with an id in use is an error: the second idempotency mechanism.
	r = e.MustDo(400, "POST", "/gigapay/v2/employees/", `{"id":"8472","name":"Again","email":"a@example.com","country":"SWE"}`)
	require.Equal(t, `{"id":["employee with this id already exists."]}`+"\n", string(r.Body))
	r = e.MustDo(400, "PATCH", "/gigapay/v2/employees/8472/", `{"id":"9472"}`)
	require.Equal(t, `{"id":["employee with this id already exists."]}`+"\n", string(r.Body))

	// Payouts follow their employee's new id; invoices are renamed too
	// (2859272 → 846271 in the documentation).
	p := e.MustDo(201, "POST", "/gigapay/v2/payouts/", `{"id":123,"amount":1000,"currency":"SEK","description":"Lön","employee":8472}`).JSON(t)
	require.Equal(t, `"123"`, string(p["id"]))
	inv := str(t, p["invoice"])
	r = e.MustDo(200, "PATCH", "/gigapay/v2/invoices/"+inv+"/", `{"id":"2859272","price":"1.00"}`)
	require.Equal(t, `"2859272"`, string(r.JSON(t)["id"]))
	require.Equal(t, `"1379.91"`, string(r.JSON(t)["price"]), "read-only fields are ignored")
	r = e.MustDo(200, "PATCH", "/gigapay/v2/invoices/2859272/", `{"id":"846271","metadata":{"ref":"x"}}`)
	require.JSONEq(t, `{"ref":"x"}`, string(r.JSON(t)["metadata"]))
	e.MustDo(200, "PATCH", "/gigapay/v2/employees/8472/", `{"id":"1847"}`)
	got := e.MustDo(200, "GET", "/gigapay/v2/payouts/123/", "").JSON(t)
	require.Equal(t, `"1847"`, string(got["employee"]))
	require.Equal(t, `"846271"`, string(got["invoice"]))
}

func TestGigapay_Idempotency(t *testing.T) {
	e := MustGigapay(t)
	// Metadata with HTML's special characters: the replay is byte for byte the
	// first answer, not the same JSON with & escaped as \u0026.
	body := `{"id":"idem","name":"Idem Potent","email":"i@example.com","country":"SWE","metadata":{"note":"<b>Tom & Jerry</b>"}}`
	a := e.MustDo(201, "POST", "/gigapay/v2/employees/", body, "Idempotency-Key", "d03de720-5768-424d-ae93-17406e1be9b7")
	b := e.MustDo(201, "POST", "/gigapay/v2/employees/", body, "idempotency-key", "d03de720-5768-424d-ae93-17406e1be9b7")
	require.Equal(t, string(a.Body), string(b.Body))
	require.Contains(t, string(b.Body), `"note":"<b>Tom & Jerry</b>"`)
	// The same key on another request is a conflict.
	e.MustDo(409, "POST", "/gigapay/v2/employees/", `{"name":"Other","email":"o@example.com","country":"SWE"}`,
		"Idempotency-Key", "d03de720-5768-424d-ae93-17406e1be9b7")
	// Errors are replayed too, even once their cause is gone.
	bad := `{"amount":"100","currency":"SEK","employee":"later","description":"d"}`
	r1 := e.MustDo(400, "POST", "/gigapay/v2/payouts/", bad, "Idempotency-Key", "k2")
	e.MustEmployee("later", "Later")
	r2 := e.MustDo(400, "POST", "/gigapay/v2/payouts/", bad, "Idempotency-Key", "k2")
	require.Equal(t, string(r1.Body), string(r2.Body))
	e.MustDo(201, "POST", "/gigapay/v2/payouts/", bad, "Idempotency-Key", "k3")
	// A bulk create replays as a whole.
	bulk := `[{"amount":"1","currency":"SEK","employee":"later","description":"a"},{"amount":"2","currency":"SEK","employee":"later","description":"b"}]`
	c1 := e.MustDo(201, "POST", "/gigapay/v2/payouts/", bulk, "Idempotency-Key", "k4")
	c2 := e.MustDo(201, "POST", "/gigapay/v2/payouts/", bulk, "Idempotency-Key", "k4")
	require.Equal(t, string(c1.Body), string(c2.Body))
	require.Equal(t, "3", string(e.MustDo(200, "GET", "/gigapay/v2/payouts/", "").JSON(t)["count"]))
	// Resend honours the key: a retry is not a second resend.
	e.MustDo(204, "PATCH", "/gigapay/v2/employees/idem/resend/", "", "Idempotency-Key", "k5")
	e.MustDo(204, "PATCH", "/gigapay/v2/employees/idem/resend/", "", "Idempotency-Key", "k5")
	r := e.MustDo(429, "PATCH", "/gigapay/v2/employees/idem/resend/", "")
	require.Equal(t, `{"detail":"The invitation can be resent once every 24 hours. Expected available in 86400 seconds."}`+"\n", string(r.Body))
	// Keys expire after 24 hours by the clock.
	e.Clock.Add(24 * time.Hour)
	e.MustDo(204, "PATCH", "/gigapay/v2/employees/idem/resend/", "", "Idempotency-Key", "k5")
	e.MustDo(429, "PATCH", "/gigapay/v2/employees/idem/resend/", "")
}

func TestGigapay_Integrations(t *testing.T) {
	e := MustGigapay(t)
	r := e.MustDo(200, "GET", "/gigapay/v2/integrations/", "", "Integration-ID", "")
	var list struct {
		Count   int
		Results []json.RawMessage
	}
	require.NoError(t, json.Unmarshal(r.Body, &list))
	require.Equal(t, 2, list.Count)
	if !strings.Contains(string(list.Results[0]), gpIntegration) {
		list.Results[0], list.Results[1] = list.Results[1], list.Results[0]
	}
	require.Equal(t, []string{"id", "name", "type", "logo", "metadata", "email", "recipient", "address_line_1",
		"address_line_2", "zip_code", "city"}, gpTopKeys(t, list.Results[0]))
	require.JSONEq(t, `{"id":"650fd73ff5","name":"Gigatron","type":3,"logo":null,"metadata":{},"email":"invoices@gigatron.se",
		"recipient":"Gigatron AB","address_line_1":"Sveavägen 1","address_line_2":null,"zip_code":"111 57","city":"Stockholm"}`,
		string(list.Results[0]))
	r = e.MustDo(200, "GET", "/gigapay/v2/integrations/?type=1", "")
	require.Equal(t, "1", string(r.JSON(t)["count"]))
	e.MustDo(400, "GET", "/gigapay/v2/integrations/?type=9", "")

	// A 1×1 PNG, base64 in JSON: rendered as a URL.
	png := "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
	r = e.MustDo(201, "POST", "/gigapay/v2/integrations/", `{"id":"custom","name":"Custom","logo":"`+png+`",
		"email":"c@example.com","recipient":"Custom AB","address_line_1":"Gatan 1","zip_code":"11122","city":"Stockholm"}`,
		"Integration-ID", "")
	in := r.JSON(t)
	require.Equal(t, `3`, string(in["type"]))
	require.Equal(t, `"data:image/png;base64,`+png+`"`, string(in["logo"]))
	require.Equal(t, `null`, string(in["address_line_2"]))
	require.Equal(t, `{}`, string(in["metadata"]))
	r = e.MustDo(400, "POST", "/gigapay/v2/integrations/", `{"id":"custom","name":"x","logo":"bm90IGFuIGltYWdl"}`)
	require.JSONEq(t, `{"id":["integration with this id already exists."],
		"logo":["Upload a valid image. The file you uploaded was either not an image or a corrupted image."],
		"email":["This field is required."],"recipient":["This field is required."],"address_line_1":["This field is required."],
		"zip_code":["This field is required."],"city":["This field is required."]}`, string(r.Body))

	// Multipart, with the logo as a file.
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range map[string]string{"id": "multi", "name": "Multi", "email": "m@example.com", "recipient": "M",
		"address_line_1": "A", "zip_code": "1", "city": "C", "metadata": `{"k":"v"}`} {
		require.NoError(t, mw.WriteField(k, v))
	}
	fw, err := mw.CreateFormFile("logo", "logo.png")
	require.NoError(t, err)
	raw, err := base64Decode(png)
	require.NoError(t, err)
	fw.Write(raw)
	require.NoError(t, mw.Close())
	r = e.MustDo(201, "POST", "/gigapay/v2/integrations/", buf.String(), "Content-Type", mw.FormDataContentType())
	require.Equal(t, `"data:image/png;base64,`+png+`"`, string(r.JSON(t)["logo"]))
	require.JSONEq(t, `{"k":"v"}`, string(r.JSON(t)["metadata"]))

	r = e.MustDo(200, "PATCH", "/gigapay/v2/integrations/custom/", `{"name":"Renamed","logo":null,"address_line_2":"Box 7"}`)
	require.Equal(t, `"Renamed"`, string(r.JSON(t)["name"]))
	require.Equal(t, `null`, string(r.JSON(t)["logo"]))
	require.Equal(t, `"Box 7"`, string(r.JSON(t)["address_line_2"]))
	r = e.MustDo(400, "PATCH", "/gigapay/v2/integrations/custom/", `{"id":"other"}`)
	require.Equal(t, `{"id":["The id of an integration cannot be changed."]}`+"\n", string(r.Body))
	r = e.MustDo(400, "PUT", "/gigapay/v2/integrations/custom/", `{"name":"Only a name"}`)
	require.Contains(t, string(r.Body), `"email":["This field is required."]`)
	e.MustDo(200, "PUT", "/gigapay/v2/integrations/custom/", `{"name":"Put","email":"p@example.com","recipient":"P",
		"address_line_1":"A","zip_code":"1","city":"C"}`)
	// The new integration is usable at once, and isolated.
	e.MustDo(200, "GET", "/gigapay/v2/payouts/", "", "Integration-ID", "custom")
	e.MustDo(404, "GET", "/gigapay/v2/integrations/custom/", "", "Authorization", "Token "+rivalKey)
	e.MustDo(204, "DELETE", "/gigapay/v2/integrations/custom/", "")
	e.MustDo(404, "GET", "/gigapay/v2/integrations/custom/", "")
	e.MustDo(403, "GET", "/gigapay/v2/payouts/", "", "Integration-ID", "custom")
}

func TestGigapay_HTML(t *testing.T) {
	e := MustGigapay(t)
	e.MustDo(201, "POST", "/gigapay/v2/employees/", `{"id":"x","name":"<script>alert(1)</script>","email":"x@example.com","country":"SWE","metadata":{"u":"javascript:alert(1)"}}`)
	e.MustEmployee("y", "Yngve")
	browser := "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	r := e.MustDo(200, "GET", "/gigapay/v2/employees/?page_size=1", "", "Accept", browser)
	require.Equal(t, "text/html; charset=utf-8", r.Header.Get("Content-Type"))
	page := string(r.Body)
	require.Contains(t, page, "<h1>Employee List</h1>")
	require.Contains(t, page, "<code>GET</code><code>POST</code><code>HEAD</code><code>OPTIONS</code>")
	require.Contains(t, page, `<a rel="next" href="http://example.com/gigapay/v2/employees/?cursor=`)
	require.Contains(t, page, `&#34;count&#34;: 2`)
	r = e.MustDo(200, "GET", "/gigapay/v2/employees/x/", "", "Accept", browser)
	require.NotContains(t, string(r.Body), "<script>alert")
	require.Contains(t, string(r.Body), "&lt;script&gt;alert(1)&lt;/script&gt;")
	require.NotContains(t, string(r.Body), `href="javascript`)
	// Errors are pages too; a browser without credentials is asked for them.
	r = e.MustDo(401, "GET", "/gigapay/v2/employees/", "", "Accept", browser, "Authorization", "")
	require.Contains(t, r.Header.Get("WWW-Authenticate"), "Basic")
	require.Contains(t, string(r.Body), "Authentication credentials were not provided.")
	r = e.MustDo(200, "GET", "/gigapay/v2/employees/", "", "Accept", browser, "Integration-ID", "",
		"Authorization", "Basic "+base64Encode(gpKey+":"+gpIntegration))
	require.Contains(t, string(r.Body), "Yngve")
	// ?format= chooses either way; curl's */* gets JSON.
	r = e.MustDo(200, "GET", "/gigapay/v2/employees/?format=api", "")
	require.Contains(t, string(r.Body), "<!DOCTYPE html>")
	r = e.MustDo(200, "GET", "/gigapay/v2/employees/?format=json", "", "Accept", browser)
	require.Equal(t, "application/json", r.Header.Get("Content-Type"))
	r = e.MustDo(200, "GET", "/gigapay/v2/employees/", "", "Accept", "*/*")
	require.Equal(t, "application/json", r.Header.Get("Content-Type"))
	r = e.MustDo(200, "GET", "/gigapay/v2/", "", "Accept", browser, "Authorization", "")
	require.Contains(t, string(r.Body), `<a href="http://example.com/gigapay/v2/payouts/">`)
}

func gpTopKeys(tb testing.TB, raw []byte) []string {
	tb.Helper()
	var out []string
	for _, k := range objectKeys(tb, raw) {
		if !strings.Contains(k, ".") {
			out = append(out, k)
		}
	}
	return out
}

func base64Decode(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }

func base64Encode(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
