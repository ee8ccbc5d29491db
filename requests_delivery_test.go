package paykit_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/signing"
)

// TestRequest_CallbackDelivery pays a request whose notify_url is an
// httptest receiver: the webhooks engine posts the signed callback at RunDue
// and retries it until the receiver answers exactly 200, and the receiver
// verifies it with the merchant's key.
func TestRequest_CallbackDelivery(t *testing.T) {
	ctx := context.Background()
	var (
		mu      sync.Mutex
		bodies  [][]byte
		answers = []int{http.StatusInternalServerError, http.StatusCreated, http.StatusOK}
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if err != nil || r.Method != http.MethodPost {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		bodies = append(bodies, b)
		w.WriteHeader(answers[min(len(bodies), len(answers))-1])
	}))
	defer srv.Close()
	received := func() [][]byte {
		mu.Lock()
		defer mu.Unlock()
		return append([][]byte(nil), bodies...)
	}

	e, tenant, _ := requestSetup(t, local, paykit.WithRetrySchedule([]time.Duration{0, time.Second, time.Minute, time.Hour}))
	r, err := e.svc.CreateRequest(ctx, tenant, paykit.RequestCreate{Amount: dec("10.99"), Currency: "USD", Order: "abc123",
		Recipient: "+14155551212", NotifyURL: srv.URL + "/notification"})
	require.NoError(t, err)
	e.MustRunDue(t)
	require.Empty(t, received(), "creation is not a status change")

	e.clock.Add(37 * time.Second)
	paid, err := e.svc.PayRequest(ctx, tenant, r.ID)
	require.NoError(t, err)
	e.MustRunDue(t)
	require.Len(t, received(), 1) // 500: tried again later
	e.clock.Add(time.Second)
	e.MustRunDue(t)
	require.Len(t, received(), 2) // 201 is not 200: tried again later
	e.clock.Add(time.Minute)
	e.MustRunDue(t)
	require.Len(t, received(), 3) // 200: done
	e.clock.Add(24 * time.Hour)
	e.MustRunDue(t)
	got := received()
	require.Len(t, got, 3, "nothing after the 200")

	for _, b := range got {
		require.Equal(t, string(got[0]), string(b), "the same body on every attempt")
	}
	var cb signing.MementoCallback
	require.NoError(t, json.Unmarshal(got[0], &cb))
	require.NoError(t, cb.Verify(signingKey), "the receiver verifies it with its access token")
	// The signature covers the request's own values, not only the body's.
	want := signing.MementoCallback{PaymentRequestID: r.ID, TransactionID: paid.TransactionID, Amount: "10.99",
		Currency: "USD", Status: "paid", Order: "abc123", Completed: epoch.Add(37 * time.Second).Unix(), Signature: cb.Signature}
	require.NoError(t, want.Verify(signingKey))
	require.Equal(t, want, cb)
}

// TestRequest_CallbackDeliveryExpired checks that an expiry, found by the sweep
// in the same RunDue, is delivered in that RunDue.
func TestRequest_CallbackDeliveryExpired(t *testing.T) {
	var (
		mu     sync.Mutex
		bodies [][]byte
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, b)
		mu.Unlock()
	}))
	defer srv.Close()

	e, tenant, _ := requestSetup(t, local)
	r, err := e.svc.CreateRequest(context.Background(), tenant, paykit.RequestCreate{Amount: dec("5"), Currency: "USD",
		Recipient: "alice", NotifyURL: srv.URL})
	require.NoError(t, err)
	e.clock.Add(paykit.DefaultRequestTTL)
	e.MustRunDue(t)

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, bodies, 1)
	var cb signing.MementoCallback
	require.NoError(t, json.Unmarshal(bodies[0], &cb))
	require.NoError(t, cb.Verify(signingKey))
	require.Equal(t, "rejected", cb.Status)
	require.Empty(t, cb.TransactionID)
	require.Equal(t, r.ExpiresAt.Unix(), cb.Completed)
}
