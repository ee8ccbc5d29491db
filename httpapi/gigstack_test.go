package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benbjohnson/clock"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/httpapi"
	"github.com/paykit/paykit/store"
)

// GigstackEnv is a Service with the gigstack dialect and its sandbox mounted
// as the example server mounts them, and teams:
//
//   - master (key "master-key"): the master team of billing account ba_main,
//     splitting payments whose metadata has vendor_id or vendor_code, keeping
//     10 %;
//   - sub and vendor (metadata vendor_code ABC123), teams of ba_main; sub's
//     key is "sub-key";
//   - outsider (key "out-key"): the master team of another billing account.
type GigstackEnv struct {
	tb      testing.TB
	Clock   *clock.Mock
	Service *paykit.Service
	Handler http.Handler
}

// MustGigstack returns a ready GigstackEnv; opts configure its Service.
func MustGigstack(tb testing.TB, opts ...paykit.Option) *GigstackEnv {
	tb.Helper()
	db, err := store.Open(filepath.Join(tb.TempDir(), "paykit.db"))
	require.NoError(tb, err)
	clk := clock.NewMock()
	clk.Set(start)
	svc := paykit.New(db, append([]paykit.Option{paykit.WithClock(clk)}, opts...)...)
	tb.Cleanup(func() {
		require.NoError(tb, svc.CheckAllInvariants(context.Background()))
		require.NoError(tb, db.Close())
	})
	mux := http.NewServeMux()
	mux.Handle("/gigstack/", http.StripPrefix("/gigstack", httpapi.NewGigstack(svc)))
	mux.Handle("/sandbox/gigstack/", http.StripPrefix("/sandbox/gigstack", httpapi.NewGigstackSandbox(svc)))
	e := &GigstackEnv{tb: tb, Clock: clk, Service: svc, Handler: mux}

	ctx := context.Background()
	for _, b := range []string{"ba_main", "ba_other"} {
		_, err := svc.CreateBillingAccount(ctx, b, b)
		require.NoError(tb, err)
	}
	split := paykit.SplitBilling{Enabled: true, MasterPercent: decimal.NewFromInt(10), MetadataKeys: []string{"vendor_id", "vendor_code"},
		MasterClient: paykit.SplitClientClient, ConnectClient: paykit.SplitClientClient}
	for _, tm := range []struct {
		id, key string
		in      paykit.TeamSettings
	}{
		{"master", "master-key", paykit.TeamSettings{BillingAccountID: "ba_main", Master: true, Split: split}},
		{"sub", "sub-key", paykit.TeamSettings{BillingAccountID: "ba_main"}},
		{"vendor", "", paykit.TeamSettings{BillingAccountID: "ba_main", Metadata: json.RawMessage(`{"vendor_code":"ABC123"}`)}},
		{"outsider", "out-key", paykit.TeamSettings{BillingAccountID: "ba_other", Master: true}},
	} {
		_, err := svc.CreateTenant(ctx, tm.id, strings.ToUpper(tm.id[:1])+tm.id[1:])
		require.NoError(tb, err)
		if tm.key != "" {
			_, err = svc.CreateAPIKey(ctx, tm.id, tm.key)
			require.NoError(tb, err)
		}
		_, err = svc.ConfigureTeam(ctx, tm.id, tm.in)
		require.NoError(tb, err)
	}
	return e
}

// Do sends a request to the gigstack dialect with the master's key; headers
// are name/value pairs ("Authorization", "" removes the key).
func (e *GigstackEnv) Do(method, path, body string, headers ...string) Response {
	e.tb.Helper()
	return serve(e.Handler, method, "/gigstack"+path, body, append([]string{"Authorization", "Bearer master-key"}, headers...)...)
}

// MustDo is Do that requires the status want.
func (e *GigstackEnv) MustDo(want int, method, path, body string, headers ...string) Response {
	e.tb.Helper()
	r := e.Do(method, path, body, headers...)
	require.Equal(e.tb, want, r.Status, "%s %s: %s", method, path, r.Body)
	return r
}

// Data returns the data of an envelope.
func (r Response) Data(tb testing.TB) map[string]json.RawMessage {
	tb.Helper()
	var m map[string]json.RawMessage
	require.NoError(tb, json.Unmarshal(r.JSON(tb)["data"], &m), "body: %s", r.Body)
	return m
}

// gsError is gigstack's error body.
type gsError struct {
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Details map[string]string `json:"details"`
	} `json:"error"`
	Message string `json:"message"`
}

func gigstackError(tb testing.TB, r Response) gsError {
	tb.Helper()
	var e gsError
	require.NoError(tb, json.Unmarshal(r.Body, &e), "body: %s", r.Body)
	return e
}

// MustClient creates a client of the master team and returns its wire ID.
func (e *GigstackEnv) MustClient(body string, headers ...string) string {
	e.tb.Helper()
	r := e.MustDo(200, "POST", "/v2/clients", body, headers...)
	return str(e.tb, r.Data(e.tb)["id"])
}

// MustPayment creates a payment and returns its data.
func (e *GigstackEnv) MustPayment(body string, headers ...string) map[string]json.RawMessage {
	e.tb.Helper()
	return e.MustDo(200, "POST", "/v2/payments", body, headers...).Data(e.tb)
}

// item returns a payment body for client with one item of quantity × total
// and the taxes' JSON (or none), and extra top-level fields.
func item(client string, quantity, total, taxes, extra string) string {
	if taxes == "" {
		taxes = "[]"
	}
	return `{"clientId":"` + client + `","items":[{"name":"Thing","quantity":` + quantity + `,"total":` + total +
		`,"product_key":"84111506","unit_key":"E48","taxes":` + taxes + `}]` + extra + `}`
}

const mariaClient = `{"name":"Maria Rodriguez Santos","email":"maria.rodriguez@example.com","rfc":"ROSM850315QT8",
	"legal_name":"MARIA RODRIGUEZ SANTOS","tax_system":"612","address":{"zip":"06100","country":"MEX"},"use":"G01"}`

func TestGigstack_Ping(t *testing.T) {
	e := MustGigstack(t)
	for _, m := range []string{"GET", "POST", "PUT", "DELETE"} {
		d := e.MustDo(200, m, "/v2/ping", "").Data(t)
		require.Equal(t, `"`+m+`"`, string(d["method"]))
		require.Equal(t, `"master"`, string(d["team"]))
		require.Equal(t, "true", string(d["pong"]))
	}
	r := e.MustDo(200, "GET", "/v2/ping?team=sub", "")
	require.Equal(t, `"sub"`, string(r.Data(t)["team"]))
	require.Equal(t, `"pong"`, string(r.JSON(t)["message"]))
	require.Equal(t, "null", string(r.JSON(t)["next"]))

	t.Run("ErrUnauthorized", func(t *testing.T) {
		for _, auth := range []string{"", "Bearer nope", "Token master-key"} {
			r := e.MustDo(401, "GET", "/v2/ping", "", "Authorization", auth)
			ge := gigstackError(t, r)
			require.Equal(t, "UNAUTHORIZED", ge.Error.Code)
			require.Equal(t, "Authentication failed", ge.Message)
			require.Equal(t, `Bearer realm="gigstack"`, r.Header.Get("WWW-Authenticate"))
		}
	})
	t.Run("ErrRoute", func(t *testing.T) {
		ge := gigstackError(t, e.MustDo(404, "GET", "/v2/nothing", ""))
		require.Equal(t, "NOT_FOUND", ge.Error.Code)
		ge = gigstackError(t, e.MustDo(405, "PATCH", "/v2/ping", ""))
		require.Equal(t, "METHOD_NOT_ALLOWED", ge.Error.Code)
	})
}

// TestGigstack_ErrorShapes: the seed's two error examples, key for key.
func TestGigstack_ErrorShapes(t *testing.T) {
	e := MustGigstack(t)
	r := e.MustDo(404, "GET", "/v2/payments/pay_0192f0c8-0000-7000-8000-000000000000", "")
	require.JSONEq(t, `{"error":{"code":"NOT_FOUND","message":"Payment not found"},"message":"The requested payment does not exist"}`, string(r.Body))
	r = e.MustDo(400, "POST", "/v2/payments", `{"items":[{"name":"x","total":0}]}`)
	require.Equal(t, []string{"error", "error.code", "error.message", "error.details", "error.details.clientId",
		"error.details.items[0].total", "message"}, objectKeys(t, r.Body))
	require.JSONEq(t, `{"error":{"code":"VALIDATION_ERROR","message":"Invalid request parameters","details":{
		"clientId":"Client ID is required (or a client object, or an email)",
		"items[0].total":"Amount must be greater than zero."}},"message":"Request validation failed"}`, string(r.Body))
}
