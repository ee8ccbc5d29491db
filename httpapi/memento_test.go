package httpapi_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/httpapi"
	"github.com/paykit/paykit/store"
)

// The seed's example request, byte for byte.
const mementoSeedBody = `{"amount": 10.99,"currency": "USD","description": "T-shirt","image_url": "https://upload.wikimedia.org/wikipedia/en/a/a9/Example.jpg","order": "abc123","recipient": "+14155551212","terminal": 1,"expires_in": 90,"notify_url": "https://example.com/notification"}`

const (
	mementoKey      = "um2JjfnJbEUJnCpjKiV94jqp" // the access token of Memento's signature test vector
	mementoOtherKey = "other-merchant-key"
)

// mementoEnv is a Service on a SQLite file with the Memento dialect at
// /memento and its sandbox at /sandbox/memento; a merchant "shop" (key
// mementoKey, signing with it as Memento does, at most 500 USD a request)
// whose payers are alice (+14155551212, 100.00 USD) and a merchant identity
// "store"; and a second merchant "other".
type mementoEnv struct {
	tb      testing.TB
	Clock   *clock.Mock
	DB      *store.DB
	Service *paykit.Service
	Handler http.Handler
	Alice   *paykit.Payer
	closed  bool // the database was closed on purpose: skip the ledger check
}

func mustMementoEnv(tb testing.TB) *mementoEnv {
	tb.Helper()
	db, err := store.Open(filepath.Join(tb.TempDir(), "paykit.db"))
	require.NoError(tb, err)
	clk := clock.NewMock()
	clk.Set(time.Unix(1458748385, 0)) // the seed's created time
	svc := paykit.New(db, paykit.WithClock(clk))
	mux := http.NewServeMux()
	mux.Handle("/memento/", http.StripPrefix("/memento", httpapi.NewMemento(svc)))
	mux.Handle("/sandbox/memento/", http.StripPrefix("/sandbox/memento", httpapi.NewMementoSandbox(svc)))
	e := &mementoEnv{tb: tb, Clock: clk, DB: db, Service: svc, Handler: mux}

	ctx := context.Background()
	for _, tn := range []struct{ id, key string }{{"shop", mementoKey}, {"other", mementoOtherKey}} {
		_, err := svc.CreateTenant(ctx, tn.id, tn.id)
		require.NoError(tb, err)
		_, err = svc.CreateAPIKey(ctx, tn.id, tn.key)
		require.NoError(tb, err)
		_, err = svc.ConfigureMerchant(ctx, tn.id, paykit.MerchantSettings{SigningKey: tn.key,
			RequestLimits: map[paykit.Currency]decimal.Decimal{"USD": decimal.RequireFromString("500")}})
		require.NoError(tb, err)
	}
	e.Alice, err = svc.RegisterPayer(ctx, "shop", paykit.PayerCreate{Username: "alice", Phone: "+14155551212",
		Currency: "USD", Balance: decimal.RequireFromString("100")})
	require.NoError(tb, err)
	_, err = svc.RegisterPayer(ctx, "shop", paykit.PayerCreate{Username: "store", Merchant: true})
	require.NoError(tb, err)
	tb.Cleanup(func() {
		if e.closed {
			return
		}
		require.NoError(tb, svc.CheckAllInvariants(context.Background()))
		require.NoError(tb, db.Close())
	})
	return e
}

// do sends a request as shop, with HTTP Basic auth; headers are name/value
// pairs that override or add to it ("Authorization", "" removes it). Every
// Memento response is HTTP 200 with a JSON body.
func (e *mementoEnv) do(method, path, body string, headers ...string) Response {
	e.tb.Helper()
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(mementoKey+":"))
	r := serve(e.Handler, method, path, body, append([]string{"Authorization", basic}, headers...)...)
	require.Equal(e.tb, http.StatusOK, r.Status, "%s %s: always 200: %s", method, path, r.Body)
	require.Equal(e.tb, "application/json", r.Header.Get("Content-Type"))
	return r
}

// requireError requires the documented error body with code and key.
func (e *mementoEnv) requireError(r Response, code, key string) string {
	e.tb.Helper()
	var body struct {
		Success *bool
		Error   struct{ Code, Key, Message string }
	}
	require.NoError(e.tb, json.Unmarshal(r.Body, &body), "%s", r.Body)
	require.Equal(e.tb, []string{"success", "error", "error.code", "error.key", "error.message"}, objectKeys(e.tb, r.Body), "%s", r.Body)
	require.False(e.tb, *body.Success)
	require.Equal(e.tb, code, body.Error.Code, "%s", r.Body)
	require.Equal(e.tb, key, body.Error.Key, "%s", r.Body)
	require.NotEmpty(e.tb, body.Error.Message)
	require.NotContains(e.tb, string(r.Body), "sqlite")
	return body.Error.Message
}

// mustCreate creates a request with the seed's body and returns its id.
func (e *mementoEnv) mustCreate() string {
	e.tb.Helper()
	m := e.do("POST", "/memento/v1/requests", mementoSeedBody).JSON(e.tb)
	require.Equal(e.tb, "true", string(m["success"]), "%v", m)
	return str(e.tb, m["id"])
}

// events returns how many events the merchants have, to prove that a failed
// write wrote nothing.
func (e *mementoEnv) events() int {
	e.tb.Helper()
	n := 0
	for _, id := range []string{"shop", "other"} {
		evs, err := e.Service.FindEvents(context.Background(), id, paykit.EventFilter{Limit: paykit.MaxLimit})
		require.NoError(e.tb, err)
		n += len(evs)
	}
	return n
}

func unix(tb testing.TB, raw json.RawMessage) int64 {
	tb.Helper()
	n, err := strconv.ParseInt(string(raw), 10, 64)
	require.NoError(tb, err, "not a unix time: %s", raw)
	return n
}

func TestMemento_CreateRequest(t *testing.T) {
	e := mustMementoEnv(t)
	r := e.do("POST", "/memento/v1/requests", mementoSeedBody)
	require.Equal(t, []string{"success", "id", "created"}, objectKeys(t, r.Body))
	m := r.JSON(t)
	require.Equal(t, "true", string(m["success"]))
	require.Equal(t, int64(1458748385), unix(t, m["created"]))
	id := str(t, m["id"])

	got, err := e.Service.FindRequestByID(context.Background(), "shop", id)
	require.NoError(t, err)
	require.Equal(t, e.Alice.ID, got.PayerID)
	require.Equal(t, "10.99 USD", got.Amount.String())
	require.Equal(t, int64(1), *got.Terminal)
	require.Equal(t, "https://example.com/notification", got.NotifyURL)
	require.Equal(t, 90*time.Second, got.ExpiresAt.Sub(got.CreatedAt))
}

func TestMemento_FindRequest(t *testing.T) {
	e := mustMementoEnv(t)
	id := e.mustCreate()

	r := e.do("GET", "/memento/v1/requests/"+id, "")
	require.Equal(t, []string{"id", "amount", "currency", "description", "image_url", "status", "order", "created", "updated", "expires"},
		objectKeys(t, r.Body), "no transaction_id until paid")
	require.JSONEq(t, `{"id":"`+id+`","amount":10.99,"currency":"USD","description":"T-shirt",`+
		`"image_url":"https://upload.wikimedia.org/wikipedia/en/a/a9/Example.jpg","status":"pending","order":"abc123",`+
		`"created":1458748385,"updated":1458748385,"expires":1458748475}`, string(r.Body))
	require.Contains(t, string(r.Body), `"amount":10.99,`, "a JSON number in its shortest form")

	r = e.do("GET", "/memento/v1/requests/"+id+"/status", "")
	require.Equal(t, []string{"id", "status", "expires"}, objectKeys(t, r.Body))
	require.JSONEq(t, `{"id":"`+id+`","status":"pending","expires":1458748475}`, string(r.Body))

	// Paid 37 seconds later, as in the seed's example.
	e.Clock.Add(37 * time.Second)
	paid := e.do("POST", "/sandbox/memento/requests/"+id+"/pay", "").JSON(t)
	require.Equal(t, "true", string(paid["success"]))
	r = e.do("GET", "/memento/v1/requests/"+id, "")
	require.Equal(t, []string{"id", "transaction_id", "amount", "currency", "description", "image_url", "status", "order",
		"created", "updated", "expires"}, objectKeys(t, r.Body), "exactly the seed's example")
	m := r.JSON(t)
	require.Equal(t, `"paid"`, string(m["status"]))
	require.Equal(t, int64(1458748422), unix(t, m["updated"]))
	require.Equal(t, paid["transaction_id"], m["transaction_id"])
	txID := str(t, m["transaction_id"])
	require.Len(t, txID, 36)
	require.NotEqual(t, id, txID)
	require.JSONEq(t, `{"id":"`+id+`","status":"paid","expires":1458748475}`,
		string(e.do("GET", "/memento/v1/requests/"+id+"/status", "").Body))
}

func TestMemento_Expiry(t *testing.T) {
	e := mustMementoEnv(t)
	id := e.mustCreate()
	e.Clock.Add(90*time.Second - time.Microsecond)
	require.JSONEq(t, `{"id":"`+id+`","status":"pending","expires":1458748475}`,
		string(e.do("GET", "/memento/v1/requests/"+id+"/status", "").Body))
	e.Clock.Add(time.Microsecond) // exactly at expires, before any sweep
	require.JSONEq(t, `{"id":"`+id+`","status":"rejected","expires":1458748475}`,
		string(e.do("GET", "/memento/v1/requests/"+id+"/status", "").Body))
	r := e.do("GET", "/memento/v1/requests/"+id, "")
	m := r.JSON(t)
	require.Equal(t, `"rejected"`, string(m["status"]))
	require.Equal(t, `"expired"`, string(m["reason"]))
	require.Equal(t, int64(1458748475), unix(t, m["updated"]))
	require.NotContains(t, m, "transaction_id")

	msg := e.requireError(e.do("POST", "/sandbox/memento/requests/"+id+"/pay", ""), "400", "invalid_data")
	require.Contains(t, msg, "expired")
	e.requireError(e.do("DELETE", "/memento/v1/requests/"+id, ""), "400", "invalid_data")
}

func TestMemento_CancelRequest(t *testing.T) {
	e := mustMementoEnv(t)
	id := e.mustCreate()
	e.Clock.Add(5 * time.Second)
	r := e.do("DELETE", "/memento/v1/requests/"+id, "")
	require.Equal(t, []string{"success", "id", "status", "expires"}, objectKeys(t, r.Body))
	want := `{"success":true,"id":"` + id + `","status":"rejected","expires":1458748390}`
	require.JSONEq(t, want, string(r.Body), "expires is the cancel time")
	m := e.do("GET", "/memento/v1/requests/"+id, "").JSON(t)
	require.Equal(t, `"canceled"`, string(m["reason"]))
	require.Equal(t, int64(1458748390), unix(t, m["expires"]))
	require.Equal(t, int64(1458748390), unix(t, m["updated"]))

	e.Clock.Add(time.Second)
	require.JSONEq(t, want, string(e.do("DELETE", "/memento/v1/requests/"+id, "").Body), "a repeated DELETE succeeds unchanged")
	e.requireError(e.do("POST", "/sandbox/memento/requests/"+id+"/pay", ""), "400", "invalid_data")

	paidID := e.mustCreate()
	e.do("POST", "/sandbox/memento/requests/"+paidID+"/pay", "")
	msg := e.requireError(e.do("DELETE", "/memento/v1/requests/"+paidID, ""), "400", "invalid_data")
	require.Contains(t, msg, "paid")
}

// TestMemento_BadInput sends each bad request and gets its documented error
// code, with nothing written.
func TestMemento_BadInput(t *testing.T) {
	e := mustMementoEnv(t)
	seed := func(field, value string) string {
		var m map[string]json.RawMessage
		require.NoError(t, json.Unmarshal([]byte(mementoSeedBody), &m))
		if value == "" {
			delete(m, field)
		} else {
			m[field] = json.RawMessage(value)
		}
		b, err := json.Marshal(m)
		require.NoError(t, err)
		return string(b)
	}
	for _, tc := range []struct {
		name, body, code, key, field string
	}{
		{"EmptyBody", ``, "400", "invalid_data", "body"},
		{"Malformed", `{"amount": 10.99,`, "400", "invalid_data", "body"},
		{"NotAnObject", `[1]`, "400", "invalid_data", "body"},
		{"Trailing", mementoSeedBody + `{}`, "400", "invalid_data", "body"},
		{"UnknownField", seed("tip", `1`), "400", "invalid_data", "tip"},
		{"NoAmount", seed("amount", ""), "400", "invalid_data", "amount"},
		{"AmountString", seed("amount", `"10.99"`), "400", "invalid_data", "amount"},
		{"ZeroAmount", seed("amount", `0`), "400", "invalid_data", "amount"},
		{"NegativeAmount", seed("amount", `-10.99`), "400", "invalid_data", "amount"},
		{"OverPreciseAmount", seed("amount", `10.999`), "400", "invalid_data", "amount"},
		{"HugeAmount", seed("amount", `1e400`), "400", "invalid_data", "amount"},
		{"NoCurrency", seed("currency", ""), "400", "invalid_data", "currency"},
		{"UnknownCurrency", seed("currency", `"XXX"`), "400", "invalid_data", "currency"},
		{"CurrencyNumber", seed("currency", `840`), "400", "invalid_data", "currency"},
		{"NoRecipient", seed("recipient", ""), "400", "invalid_data", "recipient"},
		{"FractionalTerminal", seed("terminal", `1.5`), "400", "invalid_data", "terminal"},
		{"StringTerminal", seed("terminal", `"1"`), "400", "invalid_data", "terminal"},
		{"ShortExpiry", seed("expires_in", `9`), "400", "invalid_data", "expires_in"},
		{"LongExpiry", seed("expires_in", `604801`), "400", "invalid_data", "expires_in"},
		{"HugeExpiry", seed("expires_in", `9223372036854775807`), "400", "invalid_data", "expires_in"},
		{"NegativeExpiry", seed("expires_in", `-9223372036854775808`), "400", "invalid_data", "expires_in"},
		{"BadNotifyURL", seed("notify_url", `"example.com/notification"`), "400", "invalid_data", "notify_url"},
		{"BadImageURL", seed("image_url", `"javascript:alert(1)"`), "400", "invalid_data", "image_url"},
		{"UnknownPhone", seed("recipient", `"+14155551213"`), "200", "recipient_not_found", ""},
		{"UnknownUsername", seed("recipient", `"bob"`), "200", "recipient_not_found", ""},
		{"MerchantRecipient", seed("recipient", `"store"`), "201", "merchant_cannot_be_recipient", ""},
		{"OverLimit", seed("amount", `500.01`), "301", "payment_exceeds_limits", "amount"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.events()
			msg := e.requireError(e.do("POST", "/memento/v1/requests", tc.body), tc.code, tc.key)
			if tc.field != "" {
				require.Contains(t, msg, tc.field+":", "the message names the field")
			}
			require.Equal(t, before, e.events(), "nothing written")
		})
	}
	// The seed's own error example, exactly.
	r := e.do("POST", "/memento/v1/requests", seed("recipient", `"+14155551213"`))
	require.JSONEq(t, `{"success":false,"error":{"code":"200","key":"recipient_not_found","message":"Recipient not found"}}`, string(r.Body))
}

func TestMemento_Auth(t *testing.T) {
	e := mustMementoEnv(t)
	id := e.mustCreate()
	for _, tc := range []struct {
		name    string
		headers []string
	}{
		{"NoCredentials", []string{"Authorization", ""}},
		{"WrongKey", []string{"Authorization", "Basic " + basic("nope", "")}},
		{"EmptyUsername", []string{"Authorization", "Basic " + basic("", mementoKey)}},
		{"Bearer", []string{"Authorization", "Bearer " + mementoKey}},
		{"Garbage", []string{"Authorization", "Basic !!!"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.events()
			e.requireError(e.do("POST", "/memento/v1/requests", mementoSeedBody, tc.headers...), "100", "merchant_not_found")
			e.requireError(e.do("GET", "/memento/v1/requests/"+id, "", tc.headers...), "100", "merchant_not_found")
			require.Equal(t, before, e.events())
		})
	}
	t.Run("PasswordIgnored", func(t *testing.T) {
		e.do("GET", "/memento/v1/requests/"+id, "", "Authorization", "Basic "+basic(mementoKey, "x")).JSON(t)
	})
	t.Run("Locked", func(t *testing.T) {
		ctx := context.Background()
		tn, err := e.DB.FindTenantByID(ctx, "shop")
		require.NoError(t, err)
		tn.Locked = true
		require.NoError(t, e.DB.InTx(ctx, func(tx paykit.Tx) error { return tx.UpdateTenant(ctx, tn) }))
		before := e.events()
		e.requireError(e.do("POST", "/memento/v1/requests", mementoSeedBody), "101", "merchant_account_locked")
		e.requireError(e.do("GET", "/memento/v1/requests/"+id, ""), "101", "merchant_account_locked")
		e.requireError(e.do("DELETE", "/memento/v1/requests/"+id, ""), "101", "merchant_account_locked")
		require.Equal(t, before, e.events())
	})
}

func basic(user, pass string) string {
	r := httptest.NewRequest("GET", "/", nil)
	r.SetBasicAuth(user, pass)
	return strings.TrimPrefix(r.Header.Get("Authorization"), "Basic ")
}

func TestMemento_NotFound(t *testing.T) {
	e := mustMementoEnv(t)
	id := e.mustCreate()
	other := []string{"Authorization", "Basic " + basic(mementoOtherKey, "")}
	for _, tc := range []struct{ method, path string }{
		{"GET", "/memento/v1/requests/" + id},
		{"GET", "/memento/v1/requests/" + id + "/status"},
		{"DELETE", "/memento/v1/requests/" + id},
		{"POST", "/sandbox/memento/requests/" + id + "/pay"},
		{"POST", "/sandbox/memento/requests/" + id + "/decline"},
	} {
		e.requireError(e.do(tc.method, tc.path, "", other...), "300", "payment_not_found")
	}
	e.requireError(e.do("GET", "/memento/v1/requests/3e6975e8-77cb-48b7-7722-3dfe47677bbc", ""), "300", "payment_not_found")
	e.requireError(e.do("GET", "/memento/v1/requests/nope", ""), "300", "payment_not_found")
	e.requireError(e.do("PUT", "/memento/v1/requests/"+id, ""), "400", "invalid_data")
	// Shop's request is untouched.
	require.Equal(t, `"pending"`, string(e.do("GET", "/memento/v1/requests/"+id, "").JSON(t)["status"]))
}

func TestMemento_Idempotency(t *testing.T) {
	e := mustMementoEnv(t)
	a := e.do("POST", "/memento/v1/requests", mementoSeedBody, "Idempotency-Key", "k1").JSON(t)
	e.Clock.Add(time.Second)
	b := e.do("POST", "/memento/v1/requests", mementoSeedBody, "Idempotency-Key", "k1").JSON(t)
	require.Equal(t, a, b)
	c := e.do("POST", "/memento/v1/requests", mementoSeedBody).JSON(t)
	require.NotEqual(t, a["id"], c["id"])
	e.requireError(e.do("POST", "/memento/v1/requests", strings.Replace(mementoSeedBody, "10.99", "11", 1), "Idempotency-Key", "k1"),
		"400", "invalid_data")

	// A replayed error keeps its own code: the Service's code and field, which
	// the replay stores, pick it.
	for i, tc := range []struct{ recipient, code, key string }{
		{`"bob"`, "200", "recipient_not_found"},
		{`"store"`, "201", "merchant_cannot_be_recipient"},
	} {
		body := strings.Replace(mementoSeedBody, `"+14155551212"`, tc.recipient, 1)
		key := "recipient-" + strconv.Itoa(i)
		e.requireError(e.do("POST", "/memento/v1/requests", body, "Idempotency-Key", key), tc.code, tc.key)
		e.requireError(e.do("POST", "/memento/v1/requests", body, "Idempotency-Key", key), tc.code, tc.key)
	}
}

func TestMemento_SystemError(t *testing.T) {
	e := mustMementoEnv(t)
	id := e.mustCreate()
	require.NoError(t, e.DB.Close())
	e.closed = true
	// Authentication itself now fails inside the store: a system error that
	// says nothing more.
	r := e.do("GET", "/memento/v1/requests/"+id, "")
	require.JSONEq(t, `{"success":false,"error":{"code":"500","key":"system_error","message":"System error"}}`, string(r.Body))
}

func TestMementoSandbox(t *testing.T) {
	e := mustMementoEnv(t)
	t.Run("RegisterUser", func(t *testing.T) {
		r := e.do("POST", "/sandbox/memento/users", `{"username":"Bob","phone":"+354 555 1234","currency":"usd","balance":12.5}`)
		m := r.JSON(t)
		require.Equal(t, []string{"success", "id", "username", "phone", "merchant", "currency", "balance"}, objectKeys(t, r.Body))
		require.Equal(t, `"bob"`, string(m["username"]))
		require.Equal(t, `"+3545551234"`, string(m["phone"]))
		require.Equal(t, `12.5`, string(m["balance"]))
		e.requireError(e.do("POST", "/sandbox/memento/users", `{"username":"bob"}`), "400", "invalid_data")
		e.requireError(e.do("POST", "/sandbox/memento/users", `{"username":"carl","balance":"1"}`), "400", "invalid_data")
		e.requireError(e.do("POST", "/sandbox/memento/users", `{"username":"carl","balance":1}`), "400", "invalid_data")
	})
	t.Run("PayDecline", func(t *testing.T) {
		big := e.do("POST", "/memento/v1/requests", `{"amount":100.01,"currency":"USD","recipient":"alice"}`).JSON(t)
		e.requireError(e.do("POST", "/sandbox/memento/requests/"+str(t, big["id"])+"/pay", ""), "301", "payment_exceeds_limits")
		require.Equal(t, `"pending"`, string(e.do("GET", "/memento/v1/requests/"+str(t, big["id"]), "").JSON(t)["status"]))

		id := e.mustCreate()
		r := e.do("POST", "/sandbox/memento/requests/"+id+"/decline", "")
		require.Equal(t, []string{"success", "id", "amount", "currency", "description", "image_url", "status", "order",
			"created", "updated", "expires", "reason"}, objectKeys(t, r.Body))
		m := r.JSON(t)
		require.Equal(t, `"rejected"`, string(m["status"]))
		require.Equal(t, `"declined"`, string(m["reason"]))
		e.requireError(e.do("POST", "/sandbox/memento/requests/"+id+"/pay", ""), "400", "invalid_data")
	})
	t.Run("Merchant", func(t *testing.T) {
		r := e.do("POST", "/sandbox/memento/merchant", `{"signing_key":"k","default_country_code":"+1","request_limits":{"usd":5,"ISK":1000}}`)
		require.JSONEq(t, `{"success":true,"default_country_code":"+1","request_limits":{"USD":5,"ISK":1000}}`, string(r.Body))
		e.requireError(e.do("POST", "/memento/v1/requests", mementoSeedBody), "301", "payment_exceeds_limits")
		msg := e.requireError(e.do("POST", "/sandbox/memento/merchant", `{"default_country_code":"1"}`), "400", "invalid_data")
		require.Contains(t, msg, "default_country_code:")
		msg = e.requireError(e.do("POST", "/sandbox/memento/merchant", `{"request_limits":{"USD":0.001}}`), "400", "invalid_data")
		require.Contains(t, msg, "request_limits.USD:")
	})
	t.Run("RunDue", func(t *testing.T) {
		require.JSONEq(t, `{"success":true}`, string(e.do("POST", "/sandbox/memento/run-due", "").Body))
	})
}

// TestMemento_FloatAmount: an amount at the currency's scale plus float64
// noise is that amount; one with real extra decimals stays as it came, for the
// root to refuse. The line: within 4 ULPs, and 4 ULPs less than half a minor
// unit.
func TestMemento_FloatAmount(t *testing.T) {
	for _, tc := range []struct{ amount, currency, want string }{
		{"10.99", "USD", "10.99"},
		{"10.990000000000002", "USD", "10.99"}, // 1 ULP above
		{"10.989999999999998", "USD", "10.99"}, // 1 ULP below
		{"0.30000000000000004", "USD", "0.3"},  // 0.1 + 0.2
		{"0.10000000000000001", "usd", "0.1"},  // printed with 17 digits (%.17g)
		{"10.99000000000000021316", "USD", "10.99"},
		{"10.990000000000007", "USD", "10.99"},              // 4 ULPs: the last accepted
		{"10.990000000000009", "USD", "10.990000000000009"}, // 5 ULPs
		{"10.995", "USD", "10.995"},
		{"10.991", "USD", "10.991"},
		{"1000.0000000000001", "JPY", "1000"},
		{"999.5", "JPY", "999.5"},
		{"1.0000000000000002", "USDT", "1"},
		{"1.0000005", "USDT", "1.0000005"},
		// Big amounts: noise is still noise while 4 ULPs are under half a cent
		// (up to 2^43, about 8.8e12), and real decimals are still refused.
		{"1234567890123.4500002", "USD", "1234567890123.45"},
		{"1234567890123.4567", "USD", "1234567890123.4567"},
		{"8000000000000.001", "USD", "8000000000000"},
		{"8999999999999.99", "USD", "8999999999999.99"},
		{"8999999999999.991", "USD", "8999999999999.991"}, // 4 ULPs of 2^-9 reach half a cent: no guess
		{"10.990000000000002", "XYZ", "10.990000000000002"},
		{"0.000000000000000001", "USD", "0.000000000000000001"},
		{"1e400", "USD", "1e400"},
	} {
		t.Run(tc.amount+tc.currency, func(t *testing.T) {
			got := httpapi.MementoAmount(decimal.RequireFromString(tc.amount), tc.currency)
			require.True(t, decimal.RequireFromString(tc.want).Equal(got), "got %s", got)
		})
	}
}
