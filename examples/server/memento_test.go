package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit/signing"
)

// The Memento bullets of issue 9, through the example server's wiring, as a
// client written to seed 004 sends them.

// mementoOK is the shape of a Memento answer.
type mementoOK struct {
	Success bool   `json:"success"`
	ID      string `json:"id"`
	Error   struct {
		Code, Key, Message string
	} `json:"error"`
}

// memento sends a Memento request with HTTP Basic auth, the key as the user,
// and returns its decoded answer, always HTTP 200.
func (d *demoServer) memento(key, method, path, body string) (mementoOK, []byte) {
	d.tb.Helper()
	auth := "Basic " + basic(key)
	r := d.mustDo(200, method, path, body, "Authorization", auth)
	var out mementoOK
	require.NoError(d.tb, json.Unmarshal(r.Body, &out), "%s", r.Body)
	return out, r.Body
}

func basic(key string) string {
	req, _ := http.NewRequest("GET", "/", nil)
	req.SetBasicAuth(key, "")
	return strings.TrimPrefix(req.Header.Get("Authorization"), "Basic ")
}

// callbackReceiver records the notify_url callbacks it gets, with their
// headers, and answers 200.
type callbackReceiver struct {
	*httptest.Server
	mu   sync.Mutex
	got  []signing.MementoCallback
	head []http.Header
}

func newCallbackReceiver(tb testing.TB) *callbackReceiver {
	c := &callbackReceiver{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var cb signing.MementoCallback
		if err := json.Unmarshal(b, &cb); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		c.mu.Lock()
		c.got, c.head = append(c.got, cb), append(c.head, r.Header.Clone())
		c.mu.Unlock()
	}))
	tb.Cleanup(c.Close)
	return c
}

func (c *callbackReceiver) callbacks() ([]signing.MementoCallback, []http.Header) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]signing.MementoCallback(nil), c.got...), append([]http.Header(nil), c.head...)
}

// requestBody is the seed's example body with the given amount, recipient and
// notify_url.
func requestBody(amount, recipient, notifyURL string) string {
	return fmt.Sprintf(`{"amount": %s,"currency": "USD","description": "T-shirt","image_url": "https://upload.wikimedia.org/wikipedia/en/a/a9/Example.jpg","order": "abc123","recipient": %q,"terminal": 1,"expires_in": 90,"notify_url": %q}`,
		amount, recipient, notifyURL)
}

// TestMemento_RecipientWithoutCountryCode: "Phone number can include the
// country code (not required)". The demo merchant's default country is its
// payer's, +1, so the number with or without its country code, and with the
// 1 but no "+", finds +14155551212.
func TestMemento_RecipientWithoutCountryCode(t *testing.T) {
	d := mustDemo(t)
	for _, rcpt := range []string{"+14155551212", "4155551212", "14155551212", "(415) 555-1212", "1 415 555 1212"} {
		out, body := d.memento("demo", "POST", "/memento/v1/requests", requestBody("10.99", rcpt, "https://example.com/notification"))
		require.True(t, out.Success, "%s: %s", rcpt, body)
		r, err := d.svc.FindRequestByID(context.Background(), demoTenantID, out.ID)
		require.NoError(t, err)
		require.Equal(t, demoPayerPhone, r.Recipient, rcpt)
	}
	out, _ := d.memento("demo", "POST", "/memento/v1/requests", requestBody("10.99", "4155551213", ""))
	require.Equal(t, "recipient_not_found", out.Error.Key)
	require.Equal(t, "200", out.Error.Code)

	// The host sets the default country in the merchant's settings (here the
	// sandbox's route; paykit.Service.ConfigureMerchant in a program).
	d.memento("demo", "POST", "/sandbox/memento/merchant", `{"default_country_code": "+354"}`)
	out, _ = d.memento("demo", "POST", "/memento/v1/requests", requestBody("10.99", "4155551212", ""))
	require.Equal(t, "recipient_not_found", out.Error.Key, "+3544155551212 now")
	out, _ = d.memento("demo", "POST", "/memento/v1/requests", requestBody("10.99", "+14155551212", ""))
	require.True(t, out.Success)
}

// TestMemento_NotifyURLSignedWithAPIKey: a notify_url works for every
// merchant, and its callbacks verify with the merchant's API key, as the
// document says, with no one copying a key anywhere; a merchant that rotates
// its key gets callbacks signed with the new key from then on. The key is
// stored sealed.
func TestMemento_NotifyURLSignedWithAPIKey(t *testing.T) {
	d := mustDemo(t, allowPrivate, func(o *options) { o.sealingKey = bytes.Repeat([]byte{1}, 32) })
	ctx := context.Background()
	rcv := newCallbackReceiver(t)

	// payAndCallback creates a request as the merchant with key, has its payer
	// pay it, performs the due work and returns the callback.
	payAndCallback := func(key, recipient string) (signing.MementoCallback, http.Header) {
		t.Helper()
		before, _ := rcv.callbacks()
		out, body := d.memento(key, "POST", "/memento/v1/requests", requestBody("10.99", recipient, rcv.URL+"/notification"))
		require.True(t, out.Success, "%s", body)
		paid, body := d.memento(key, "POST", "/sandbox/memento/requests/"+out.ID+"/pay", "")
		require.True(t, paid.Success, "%s", body)
		d.runDue()
		got, heads := rcv.callbacks()
		require.Len(t, got, len(before)+1)
		cb := got[len(got)-1]
		require.Equal(t, out.ID, cb.PaymentRequestID)
		require.Equal(t, "paid", cb.Status)
		return cb, heads[len(heads)-1]
	}

	t.Run("Demo", func(t *testing.T) {
		cb, h := payAndCallback("demo", "+14155551212")
		require.NoError(t, cb.Verify("demo"))
		// Signed in its body: none of the Standard Webhooks headers, rather
		// than half of them.
		for _, name := range []string{"webhook-id", "webhook-timestamp", "webhook-signature"} {
			require.Empty(t, h.Get(name), name)
		}
	})

	t.Run("AnyMerchant", func(t *testing.T) {
		_, err := d.svc.CreateTenant(ctx, "acme", "Acme")
		require.NoError(t, err)
		key, err := d.svc.CreateAPIKey(ctx, "acme", "")
		require.NoError(t, err)
		p, body := d.memento(key, "POST", "/sandbox/memento/users",
			`{"username": "bob", "phone": "3545551234", "currency": "USD", "balance": 100}`)
		require.True(t, p.Success, "%s", body)

		cb, _ := payAndCallback(key, "5551234")
		require.NoError(t, cb.Verify(key), "verifies with the merchant's own API key")

		raw, err := d.db.FindMerchant(ctx, "acme")
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(raw.SigningKey, "sealed:v1:"))
		require.NotContains(t, raw.SigningKey, key, "the database never holds the API key in the clear")

		t.Run("Rotated", func(t *testing.T) {
			newKey, err := d.svc.CreateAPIKey(ctx, "acme", "")
			require.NoError(t, err)
			cb, _ := payAndCallback(newKey, "bob")
			require.NoError(t, cb.Verify(newKey), "signed with the new key from then on")
			require.ErrorIs(t, cb.Verify(key), signing.ErrInvalidSignature)
		})
	})
}

// TestMemento_FloatAmount: amount is a float in the document. A value that is
// an amount at the currency's scale plus binary floating-point noise is that
// amount; a value with real extra decimals is invalid_data.
func TestMemento_FloatAmount(t *testing.T) {
	d := mustDemo(t)
	for _, tc := range []struct{ sent, want string }{
		{"10.990000000000002", "10.99"},
		{"10.989999999999998", "10.99"},
		{"0.30000000000000004", "0.3"}, // 0.1 + 0.2
		{"1234567890123.4500002", "1234567890123.45"},
	} {
		out, body := d.memento("demo", "POST", "/memento/v1/requests", requestBody(tc.sent, "+14155551212", ""))
		require.True(t, out.Success, "%s: %s", tc.sent, body)
		r := d.mustDo(200, "GET", "/memento/v1/requests/"+out.ID, "", "Authorization", "Basic "+basic("demo"))
		var got struct{ Amount json.Number }
		require.NoError(t, json.Unmarshal(r.Body, &got))
		require.Equal(t, tc.want, got.Amount.String(), tc.sent)
	}
	for _, sent := range []string{"10.995", "10.991", "10.990000000000009", "1234567890123.4567"} {
		out, body := d.memento("demo", "POST", "/memento/v1/requests", requestBody(sent, "+14155551212", ""))
		require.False(t, out.Success, "%s: %s", sent, body)
		require.Equal(t, "400", out.Error.Code, sent)
		require.Equal(t, "invalid_data", out.Error.Key, sent)
		require.Contains(t, out.Error.Message, "amount", sent)
	}
}
