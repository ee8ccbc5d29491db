package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/paykit/paykit"
	"github.com/paykit/paykit/httpapi"
	"github.com/paykit/paykit/store"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

// The seed's IDs: the funded business account pays, the user account is paid.
const (
	businessAccountID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
	payeeAccountID    = "4fa85f64-5717-4562-b3fc-2c963f66afa6"
	apiKey            = "acme-key"
	otherAPIKey       = "other-key"
)

// start is the mock clock's time when a test begins.
var start = time.Date(2024, 1, 9, 12, 0, 0, 0, time.UTC)

// Env is a Service on a SQLite file with the GigPay and sandbox handlers
// mounted as the example server mounts them, a tenant "acme" whose business
// account holds 1000 USD, and a second tenant "other".
type Env struct {
	tb      testing.TB
	Clock   *clock.Mock
	Service *paykit.Service
	Handler http.Handler
}

// local lets a Service deliver webhooks to this machine: the tests' receivers
// are httptest servers on 127.0.0.1, which a Service refuses by default
// (issue 13). Every test that posts to one says so with it.
var local = paykit.WithPrivateDestinations()

// MustEnv returns a ready Env; opts configure the Service.
func MustEnv(tb testing.TB, opts ...paykit.Option) *Env {
	tb.Helper()
	db, err := store.Open(filepath.Join(tb.TempDir(), "paykit.db"))
	require.NoError(tb, err)
	clk := clock.NewMock()
	clk.Set(start)
	svc := paykit.New(db, append([]paykit.Option{paykit.WithClock(clk), paykit.WithWalletEnv("stage")}, opts...)...)
	tb.Cleanup(func() {
		require.NoError(tb, svc.CheckAllInvariants(context.Background()))
		require.NoError(tb, db.Close())
	})
	mux := http.NewServeMux()
	mux.Handle("/gigpay/", http.StripPrefix("/gigpay", httpapi.NewGigPay(svc)))
	mux.Handle("/sandbox/", http.StripPrefix("/sandbox", httpapi.NewSandbox(svc)))
	e := &Env{tb: tb, Clock: clk, Service: svc, Handler: mux}

	ctx := context.Background()
	for _, tn := range []struct{ id, key string }{{"acme", apiKey}, {"other", otherAPIKey}} {
		_, err := svc.CreateTenant(ctx, tn.id, tn.id)
		require.NoError(tb, err)
		_, err = svc.CreateAPIKey(ctx, tn.id, tn.key)
		require.NoError(tb, err)
	}
	_, err = svc.CreateAccount(ctx, "acme", paykit.AccountCreate{ID: businessAccountID, Currency: "USD", Name: "Acme", BusinessAccountID: "acme-business"})
	require.NoError(tb, err)
	_, err = svc.CreateAccount(ctx, "acme", paykit.AccountCreate{ID: payeeAccountID, Currency: "USD", UserIdentityID: "payee-1"})
	require.NoError(tb, err)
	p, err := svc.CreateDeposit(ctx, "acme", paykit.DepositCreate{DestinationAccountID: businessAccountID,
		Amount: decimal.RequireFromString("1000.00"), AssetType: "usd", ExternalStorage: "wire"})
	require.NoError(tb, err)
	_, err = svc.CompletePayment(ctx, "acme", p.ID)
	require.NoError(tb, err)
	return e
}

// Response is a recorded HTTP response.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON returns the body's top-level object as raw values by key.
func (r Response) JSON(tb testing.TB) map[string]json.RawMessage {
	tb.Helper()
	var m map[string]json.RawMessage
	require.NoError(tb, json.Unmarshal(r.Body, &m), "body: %s", r.Body)
	return m
}

// Do sends a request with acme's key; headers are name/value pairs that
// override or add to it ("Authorization", "" removes the key).
func (e *Env) Do(method, path, body string, headers ...string) Response {
	e.tb.Helper()
	return serve(e.Handler, method, path, body, append([]string{"Authorization", "Bearer " + apiKey}, headers...)...)
}

// serve sends a request to h; headers are name/value pairs set in order, an
// empty value removing the header. A body is sent as JSON.
func serve(h http.Handler, method, path, body string, headers ...string) Response {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return Response{Status: w.Code, Header: w.Header(), Body: w.Body.Bytes()}
}

// MustDo is Do that requires the status want.
func (e *Env) MustDo(want int, method, path, body string, headers ...string) Response {
	e.tb.Helper()
	r := e.Do(method, path, body, headers...)
	require.Equal(e.tb, want, r.Status, "%s %s: %s", method, path, r.Body)
	return r
}

// MustCreateToken creates a token of amount from the business account and
// returns its JSON.
func (e *Env) MustCreateToken(amount string) map[string]json.RawMessage {
	e.tb.Helper()
	return e.MustDo(201, "POST", "/gigpay/api/v1/payment-tokens",
		`{"assetType":"usd","sourceAccountId":"`+businessAccountID+`","amount":`+amount+`,"memo":"m"}`).JSON(e.tb)
}

// MustAccept accepts token into the payee account and returns the payment.
func (e *Env) MustAccept(token string) map[string]json.RawMessage {
	e.tb.Helper()
	r := e.MustDo(200, "POST", "/gigpay/api/v1/payment-tokens/"+token+"/accept", `{"destinationAccountId":"`+payeeAccountID+`"}`)
	var out struct{ Payment map[string]json.RawMessage }
	require.NoError(e.tb, json.Unmarshal(r.Body, &out))
	return out.Payment
}

// Balances returns an account's balance fields as their JSON texts.
func (e *Env) Balances(id string) [4]string {
	e.tb.Helper()
	a := e.MustDo(200, "GET", "/gigpay/api/v1/accounts/"+id, "").JSON(e.tb)
	return [4]string{string(a["balance"]), string(a["available"]), string(a["reserved"]), string(a["incoming"])}
}

// Snapshot captures everything a failed write must leave unchanged: the
// payment list, acme's tokens and both accounts' balances.
func (e *Env) Snapshot() string {
	e.tb.Helper()
	ts, err := e.Service.FindTokens(context.Background(), "acme", paykit.TokenFilter{Limit: paykit.MaxLimit})
	require.NoError(e.tb, err)
	tj, err := json.Marshal(ts)
	require.NoError(e.tb, err)
	b := e.Balances(businessAccountID)
	p := e.Balances(payeeAccountID)
	return string(e.MustDo(200, "GET", "/gigpay/api/v1/payments?limit=1000", "").Body) + string(tj) +
		strings.Join(b[:], ",") + strings.Join(p[:], ",")
}

// CheckLedger requires acme's ledger to balance.
func (e *Env) CheckLedger() {
	e.tb.Helper()
	require.NoError(e.tb, e.Service.CheckLedger(context.Background(), "acme"))
}

// str decodes a JSON string value.
func str(tb testing.TB, raw json.RawMessage) string {
	tb.Helper()
	var s string
	require.NoError(tb, json.Unmarshal(raw, &s), "not a string: %s", raw)
	return s
}

// objectKeys returns the keys of a JSON object in order, with the keys of
// nested objects as "outer.inner".
func objectKeys(tb testing.TB, raw []byte) []string {
	tb.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var keys []string
	var walk func(prefix string)
	walk = func(prefix string) {
		tok, err := dec.Token()
		require.NoError(tb, err)
		if d, ok := tok.(json.Delim); !ok || d != '{' {
			if d == '[' {
				for dec.More() {
					walk(prefix + "[]")
				}
				_, err = dec.Token()
				require.NoError(tb, err)
			}
			return
		}
		for dec.More() {
			k, err := dec.Token()
			require.NoError(tb, err)
			keys = append(keys, prefix+k.(string))
			walk(prefix + k.(string) + ".")
		}
		_, err = dec.Token()
		require.NoError(tb, err)
	}
	walk("")
	return keys
}
