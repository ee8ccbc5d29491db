package paykit_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/signing"
)

// TestRequest_CallbackTestVector renders the callback of Memento's published
// example, a paid request of 2199, from the request's snapshot in the memento
// scheme, and gets the published signature.
func TestRequest_CallbackTestVector(t *testing.T) {
	e := MustOpen(t)
	completed := time.Unix(1458748422, 0).UTC()
	r := &paykit.Request{ID: "3e6975e8-77cb-48b7-7722-3dfe47677bbc", TransactionID: "a917be59-f35a-478f-a5d9-19bf467972ad",
		Order: "abc123", Amount: paykit.MoneyFromMinor(2199, "ISK"), Status: paykit.RequestStatusPaid, CompletedAt: &completed}
	snapshot, err := json.Marshal(r)
	require.NoError(t, err)
	body, err := e.svc.RenderDelivery(paykit.SchemeMemento, &paykit.Event{ID: "ev", Type: paykit.EventRequestPaid, Data: snapshot}, signingKey)
	require.NoError(t, err)
	require.Equal(t, `{"payment_request_id":"3e6975e8-77cb-48b7-7722-3dfe47677bbc",`+
		`"transaction_id":"a917be59-f35a-478f-a5d9-19bf467972ad","amount":2199,"currency":"ISK","status":"paid",`+
		`"order":"abc123","completed":1458748422,`+
		`"signature":"8022cb71924dba2e24f849fdc83596e80a3966465f6b3f1702326afa31229b11"}`, string(body))

	var cb signing.MementoCallback
	require.NoError(t, json.Unmarshal(body, &cb))
	require.NoError(t, cb.Verify(signingKey))
	require.Equal(t, "3e6975e8-77cb-48b7-7722-3dfe47677bbc&a917be59-f35a-478f-a5d9-19bf467972ad&abc123&2199&paid&1458748422", cb.SignedString())
}

// callback is a callback the webhooks engine is asked to deliver, with the
// body its scheme renders.
type callback struct {
	paykit.Callback
	Body []byte
}

// callbacksOf returns what the webhooks engine is asked to deliver for each of
// the request's events, by event type, rendered as the fan-out renders it.
func (e *env) callbacksOf(tb testing.TB, tenantID, requestID string) map[string][]callback {
	tb.Helper()
	evs, err := e.svc.FindEvents(context.Background(), tenantID, paykit.EventFilter{SubjectID: &requestID})
	require.NoError(tb, err)
	out := map[string][]callback{}
	for _, ev := range evs {
		cbs, err := e.svc.RequestCallbacks(context.Background(), ev)
		require.NoError(tb, err)
		for _, cb := range cbs {
			body, err := e.svc.RenderDelivery(cb.Scheme, ev, cb.Secret)
			require.NoError(tb, err)
			out[ev.Type] = append(out[ev.Type], callback{cb, body})
		}
	}
	return out
}

// requireCallback decodes and verifies a callback.
func requireCallback(tb testing.TB, c callback) (signing.MementoCallback, map[string]json.RawMessage) {
	tb.Helper()
	require.Equal(tb, "https://example.com/notification", c.URL)
	require.Equal(tb, paykit.SchemeMemento, c.Scheme)
	require.Equal(tb, signingKey, c.Secret)
	var cb signing.MementoCallback
	require.NoError(tb, json.Unmarshal(c.Body, &cb))
	require.NoError(tb, cb.Verify(signingKey))
	var raw map[string]json.RawMessage
	require.NoError(tb, json.Unmarshal(c.Body, &raw))
	return cb, raw
}

func TestRequest_Callbacks(t *testing.T) {
	ctx := context.Background()
	t.Run("Paid", func(t *testing.T) {
		e, tenant, _ := requestSetup(t)
		terminal := int64(1)
		r, err := e.svc.CreateRequest(ctx, tenant, paykit.RequestCreate{Amount: dec("10.99"), Currency: "USD", Order: "abc123",
			Recipient: "alice", Terminal: &terminal, NotifyURL: "https://example.com/notification"})
		require.NoError(t, err)
		e.clock.Add(37 * time.Second)
		paid, err := e.svc.PayRequest(ctx, tenant, r.ID)
		require.NoError(t, err)

		cbs := e.callbacksOf(t, tenant, r.ID)
		require.Empty(t, cbs[paykit.EventRequestCreated], "creation is not a status change")
		require.Len(t, cbs[paykit.EventRequestPaid], 1)
		cb, raw := requireCallback(t, cbs[paykit.EventRequestPaid][0])
		require.Equal(t, signing.MementoCallback{PaymentRequestID: r.ID, TransactionID: paid.TransactionID, Amount: "10.99",
			Currency: "USD", Status: "paid", Order: "abc123", Completed: epoch.Add(37 * time.Second).Unix(), Signature: cb.Signature}, cb)
		require.Equal(t, "10.99", string(raw["amount"]), "a JSON number")
		require.Equal(t, "1", string(raw["terminal"]))
	})

	t.Run("Declined", func(t *testing.T) {
		e, tenant, _ := requestSetup(t)
		r := e.MustRequest(t, tenant, "alice", "10.50", time.Minute)
		_, err := e.svc.DeclineRequest(ctx, tenant, r.ID)
		require.NoError(t, err)
		cb, raw := requireCallback(t, e.callbacksOf(t, tenant, r.ID)[paykit.EventRequestDeclined][0])
		require.Equal(t, "rejected", cb.Status)
		require.NotContains(t, raw, "transaction_id")
		require.NotContains(t, raw, "terminal")
		require.Equal(t, "10.5", string(raw["amount"]))
		require.Equal(t, r.ID+"&&abc123&10.5&rejected&"+strconv.FormatInt(epoch.Unix(), 10), cb.SignedString())
	})

	t.Run("Canceled", func(t *testing.T) {
		e, tenant, _ := requestSetup(t)
		r := e.MustRequest(t, tenant, "alice", "10.00", time.Minute)
		e.clock.Add(3 * time.Second)
		_, err := e.svc.CancelRequest(ctx, tenant, r.ID)
		require.NoError(t, err)
		cb, _ := requireCallback(t, e.callbacksOf(t, tenant, r.ID)[paykit.EventRequestCanceled][0])
		require.Equal(t, "rejected", cb.Status)
		require.Equal(t, epoch.Unix()+3, cb.Completed)
	})

	t.Run("Expired", func(t *testing.T) {
		e, tenant, _ := requestSetup(t)
		r := e.MustRequest(t, tenant, "alice", "10.00", time.Minute)
		e.clock.Add(time.Hour) // the sweep runs late; completed is still the expiry
		e.MustRunDue(t)
		cb, _ := requireCallback(t, e.callbacksOf(t, tenant, r.ID)[paykit.EventRequestExpired][0])
		require.Equal(t, "rejected", cb.Status)
		require.Equal(t, r.ExpiresAt.Unix(), cb.Completed)
	})

	t.Run("NoNotifyURL", func(t *testing.T) {
		e, tenant, _ := requestSetup(t)
		r, err := e.svc.CreateRequest(ctx, tenant, paykit.RequestCreate{Amount: dec("1"), Currency: "USD", Recipient: "alice"})
		require.NoError(t, err)
		_, err = e.svc.PayRequest(ctx, tenant, r.ID)
		require.NoError(t, err)
		require.Empty(t, e.callbacksOf(t, tenant, r.ID)[paykit.EventRequestPaid])
	})

	t.Run("RotatedKey", func(t *testing.T) {
		e, tenant, _ := requestSetup(t)
		r := e.MustRequest(t, tenant, "alice", "1.00", time.Minute)
		_, err := e.svc.ConfigureMerchant(ctx, tenant, paykit.MerchantSettings{SigningKey: "new-key"})
		require.NoError(t, err)
		_, err = e.svc.PayRequest(ctx, tenant, r.ID)
		require.NoError(t, err)
		c := e.callbacksOf(t, tenant, r.ID)[paykit.EventRequestPaid][0]
		require.Equal(t, "new-key", c.Secret, "signed with the key current at delivery")
		var cb signing.MementoCallback
		require.NoError(t, json.Unmarshal(c.Body, &cb))
		require.NoError(t, cb.Verify("new-key"))
		require.ErrorIs(t, cb.Verify(signingKey), signing.ErrInvalidSignature)

		// Settings without a key keep it; a new API key becomes the key.
		r = e.MustRequest(t, tenant, "alice", "1.00", time.Minute)
		_, err = e.svc.ConfigureMerchant(ctx, tenant, paykit.MerchantSettings{DefaultCountryCode: "+1"})
		require.NoError(t, err)
		key, err := e.svc.CreateAPIKey(ctx, tenant, "")
		require.NoError(t, err)
		_, err = e.svc.PayRequest(ctx, tenant, r.ID)
		require.NoError(t, err)
		c = e.callbacksOf(t, tenant, r.ID)[paykit.EventRequestPaid][0]
		require.NoError(t, json.Unmarshal(c.Body, &cb))
		require.NoError(t, cb.Verify(key), "signed with the newest API key")
	})
}
