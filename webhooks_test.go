package paykit_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/httpapi"
	"github.com/paykit/paykit/signing"
	"github.com/paykit/paykit/store"
)

// receiver is a webhook receiver: it records every request and answers with
// the status respond gives for it (n counts from 1).
type receiver struct {
	*httptest.Server
	respond func(n int, r *http.Request) int

	mu   sync.Mutex
	reqs []*received
}

type received struct {
	Path   string
	Header http.Header
	Body   []byte
}

func newReceiver(tb testing.TB, respond func(n int, r *http.Request) int) *receiver {
	tb.Helper()
	rc := &receiver{respond: respond}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		rc.mu.Lock()
		rc.reqs = append(rc.reqs, &received{Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
		n := len(rc.reqs)
		rc.mu.Unlock()
		status := http.StatusNoContent
		if rc.respond != nil {
			status = rc.respond(n, r)
		}
		w.WriteHeader(status)
		fmt.Fprintf(w, "answer %d", n)
	}))
	tb.Cleanup(rc.Close)
	return rc
}

// ok answers 200 to everything.
func ok(int, *http.Request) int { return http.StatusOK }

func (rc *receiver) requests() []*received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]*received(nil), rc.reqs...)
}

// mustEvent appends an event to the outbox, as a Service method would, at the
// clock's now.
func (e *env) mustEvent(tb testing.TB, tenantID, typ, data string) *paykit.Event {
	tb.Helper()
	ev := &paykit.Event{ID: storeID(), TenantID: tenantID, Type: typ, SubjectID: "subj", Data: json.RawMessage(data),
		CreatedAt: e.clock.Now().UTC()}
	require.NoError(tb, e.db.InTx(context.Background(), func(tx paykit.Tx) error { return tx.AppendEvent(context.Background(), ev) }))
	return ev
}

func storeID() string { return uuid.Must(uuid.NewV7()).String() }

// mustEndpoint creates a standard endpoint for the events of types; opts adjust
// the input.
func (e *env) mustEndpoint(tb testing.TB, tenantID, url string, types []string, opts ...func(*paykit.EndpointCreate)) *paykit.Endpoint {
	tb.Helper()
	in := paykit.EndpointCreate{URL: url, Events: types}
	for _, o := range opts {
		o(&in)
	}
	ep, err := e.svc.CreateEndpoint(context.Background(), tenantID, in)
	require.NoError(tb, err)
	return ep
}

// mustDeliveries returns the tenant's deliveries of an event.
func (e *env) mustDeliveries(tb testing.TB, tenantID, eventID string) []*paykit.Delivery {
	tb.Helper()
	ds, err := e.svc.FindDeliveries(context.Background(), tenantID, paykit.DeliveryFilter{EventID: &eventID})
	require.NoError(tb, err)
	return ds
}

func (e *env) mustDelivery(tb testing.TB, tenantID, id string) (*paykit.Delivery, []*paykit.DeliveryAttempt) {
	tb.Helper()
	d, err := e.svc.FindDeliveryByID(context.Background(), tenantID, id)
	require.NoError(tb, err)
	as, err := e.svc.FindDeliveryAttempts(context.Background(), tenantID, id)
	require.NoError(tb, err)
	return d, as
}

func (e *env) mustEndpointNow(tb testing.TB, tenantID, id string) *paykit.Endpoint {
	tb.Helper()
	ep, err := e.svc.FindEndpointByID(context.Background(), tenantID, id)
	require.NoError(tb, err)
	return ep
}

// The independently computed vectors of signing/signing_test.go, which tell how
// each was computed.
const (
	gigapaySecret  = "gp_secret_key"
	gigapayUnix    = 1583327301 // the timestamp of the seed's documented example
	gigapayBody    = `{"id":"25d2af38-59b9-4f73-9452-51787fed5c84","name":"Karl Karlsson","claimed_at":"2019-05-21T09:13:32.575721Z"}`
	gigapaySig     = "cba3c577b108aa18f2bf967fa829be468f0b77cbb8a62a2fff5761f40d37c3f3"
	gigstackSecret = "gigstack_secret"
	gigstackBody   = `{"id":"evt_1","event":"payment.succeeded","timestamp":"2024-01-15T10:30:00.000Z","data":{"amount":1160}}`
	gigstackSig    = "8cdccea5d1677f0dc790bcd51794997eb36431c044367af7fb946fa3d873405f"
	mementoKey     = "um2JjfnJbEUJnCpjKiV94jqp" // Memento's published test vector
	mementoSig     = "8022cb71924dba2e24f849fdc83596e80a3966465f6b3f1702326afa31229b11"
	standardSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
)

// TestWebhooks_Schemes checks every scheme on the wire: the bytes posted and
// the signatures, which verify with the signing package at the mock clock's
// time and reproduce the independently computed vectors above.
func TestWebhooks_Schemes(t *testing.T) {
	ctx := context.Background()
	// The request of Memento's published example, whose callback the memento
	// scheme renders from its snapshot.
	completed := time.Unix(1458748422, 0).UTC()
	memento, err := json.Marshal(paykit.Request{ID: "3e6975e8-77cb-48b7-7722-3dfe47677bbc",
		TransactionID: "a917be59-f35a-478f-a5d9-19bf467972ad", Amount: paykit.MoneyFromMinor(2199, "ISK"),
		Status: paykit.RequestStatusPaid, Order: "abc123", CompletedAt: &completed})
	require.NoError(t, err)
	var rcv *receiver
	e := MustOpen(t, local, paykit.WithTestCallback(func(_ context.Context, _ paykit.Store, ev *paykit.Event) ([]paykit.Callback, error) {
		if ev.Type != paykit.EventRequestPaid {
			return nil, nil
		}
		return []paykit.Callback{{URL: rcv.URL + "/memento", Scheme: paykit.SchemeMemento, Secret: mementoKey}}, nil
	}))
	rcv = newReceiver(t, ok)
	// The documented vector's body is the event's data as it is: a gigapay
	// scheme that posts the bare snapshot, as the Gigapay dialect's posts the
	// Gigapay object of one.
	e.svc.RegisterScheme(paykit.WebhookScheme{Name: httpapi.SchemeGigapay, Render: bareSnapshot,
		Sign: func(h http.Header, _, secret string, at time.Time, body []byte) error {
			h.Set(signing.GigapayHeader, signing.SignGigapay(secret, at, body))
			return nil
		}, Headers: []string{signing.GigapayHeader}})
	e.clock.Set(time.Unix(gigapayUnix, 0)) // the documented example's send time
	tenant := e.MustTenant(t)

	gigapay := e.mustEndpoint(t, tenant, rcv.URL+"/gigapay", []string{paykit.EventEmployeeClaimed}, func(in *paykit.EndpointCreate) {
		in.Scheme, in.Secret, in.StandardSecret = httpapi.SchemeGigapay, gigapaySecret, standardSecret
		in.Headers = map[string]string{"X-Receiver-Key": "abc"}
	})
	gigstack := e.mustEndpoint(t, tenant, rcv.URL+"/gigstack", []string{"payment.succeeded"}, func(in *paykit.EndpointCreate) {
		in.Scheme, in.Secret = httpapi.SchemeGigstack, gigstackSecret
	})
	standard := e.mustEndpoint(t, tenant, rcv.URL+"/standard", []string{"thing.happened"}, func(in *paykit.EndpointCreate) {
		in.Secret = standardSecret
	})
	require.Equal(t, paykit.SchemeStandard, standard.Scheme)

	evGigapay := e.mustEvent(t, tenant, paykit.EventEmployeeClaimed, gigapayBody)
	// The envelope of gigstack's vector: event "1" of 2024-01-15T10:30:00Z.
	evGigstack := &paykit.Event{ID: "1", TenantID: tenant, Type: "payment.succeeded", Data: json.RawMessage(`{"amount":1160}`),
		CreatedAt: time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC)}
	require.NoError(t, e.db.InTx(ctx, func(tx paykit.Tx) error { return tx.AppendEvent(ctx, evGigstack) }))
	evStandard := e.mustEvent(t, tenant, "thing.happened", `{"n":1,"html":"<b>&</b>"}`)
	evMemento := e.mustEvent(t, tenant, paykit.EventRequestPaid, string(memento))
	e.MustRunDue(t)

	now := e.clock.Now()
	byPath := map[string]*received{}
	for _, r := range rcv.requests() {
		byPath[r.Path] = r
		require.Equal(t, "application/json", r.Header.Get("Content-Type"))
		require.Contains(t, r.Header.Get("User-Agent"), "paykit")
		if r.Path != "/memento" {
			require.Equal(t, strconv.FormatInt(gigapayUnix, 10), r.Header.Get("webhook-timestamp"))
		}
	}
	require.Len(t, byPath, 4)
	deliveryID := func(ev *paykit.Event) string {
		ds := e.mustDeliveries(t, tenant, ev.ID)
		require.Len(t, ds, 1)
		require.Equal(t, paykit.DeliveryStatusSucceeded, ds[0].Status)
		return ds[0].ID
	}

	t.Run("Gigapay", func(t *testing.T) {
		r := byPath["/gigapay"]
		require.Equal(t, gigapayBody, string(r.Body), "the bare object, byte for byte")
		require.Equal(t, "t=1583327301,v1="+gigapaySig, r.Header.Get("Gigapay-Signature"))
		require.NoError(t, signing.VerifyGigapay(r.Header.Get("Gigapay-Signature"), r.Body, gigapay.Secret, now, 0))
		require.Equal(t, deliveryID(evGigapay), r.Header.Get("webhook-id"))
		// Its StandardSecret adds a Standard Webhooks signature to the same body.
		require.NoError(t, signing.VerifyStandard(r.Header, r.Body, standardSecret, now, 0))
		require.Equal(t, "abc", r.Header.Get("X-Receiver-Key"))
		require.Empty(t, r.Header.Get("X-Gigstack-Signature"))
	})
	t.Run("Gigstack", func(t *testing.T) {
		r := byPath["/gigstack"]
		require.Equal(t, gigstackBody, string(r.Body))
		require.Equal(t, gigstackSig, r.Header.Get("X-Gigstack-Signature"))
		require.NoError(t, signing.VerifyGigstack(r.Header.Get("X-Gigstack-Signature"), r.Body, gigstack.Secret))
		require.Equal(t, deliveryID(evGigstack), r.Header.Get("webhook-id"))
		require.True(t, strings.HasPrefix(gigstack.StandardSecret, "whsec_"), "drawn, as every endpoint has one")
		require.NoError(t, signing.VerifyStandard(r.Header, r.Body, gigstack.StandardSecret, now, 0))
	})
	t.Run("Standard", func(t *testing.T) {
		r := byPath["/standard"]
		require.JSONEq(t, `{"type":"thing.happened","timestamp":"2020-03-04T13:08:21Z","data":{"n":1,"html":"<b>&</b>"}}`, string(r.Body))
		require.Contains(t, string(r.Body), `"<b>&</b>"`, "data is posted as the event holds it")
		require.NoError(t, signing.VerifyStandard(r.Header, r.Body, standardSecret, now, 0))
		// And by the specification, without the kit.
		id := deliveryID(evStandard)
		require.Equal(t, id, r.Header.Get("webhook-id"))
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(standardSecret, "whsec_"))
		require.NoError(t, err)
		m := hmac.New(sha256.New, key)
		fmt.Fprintf(m, "%s.%d.%s", id, gigapayUnix, r.Body)
		require.Equal(t, "v1,"+base64.StdEncoding.EncodeToString(m.Sum(nil)), r.Header.Get("webhook-signature"))
		require.Error(t, signing.VerifyStandard(r.Header, r.Body, standardSecret, now.Add(6*time.Minute), 0), "stale")
	})
	t.Run("Memento", func(t *testing.T) {
		r := byPath["/memento"]
		var cb signing.MementoCallback
		require.NoError(t, json.Unmarshal(r.Body, &cb))
		require.Equal(t, mementoSig, cb.Signature, "Memento's published test vector")
		require.NoError(t, cb.Verify(mementoKey))
		require.Empty(t, r.Header.Get("Gigapay-Signature"))
		// Signed in its body; it has no whsec_ secret, so it sends none of the
		// Standard Webhooks headers rather than half of them.
		for _, h := range []string{"webhook-id", "webhook-timestamp", "webhook-signature"} {
			require.Empty(t, r.Header.Get(h), h)
		}
		deliveryID(evMemento)
		d, _ := e.mustDelivery(t, tenant, deliveryID(evMemento))
		require.Empty(t, d.EndpointID)
		require.Empty(t, d.Secret, "a merchant's access token is never stored with a callback")
	})
}

// TestWebhooks_RetrySchedule: a receiver failing three times and then
// succeeding gets the event at exactly the scheduled times, by the mock clock,
// with the same delivery ID and body every time.
// bareSnapshot renders an event as its snapshot.
func bareSnapshot(ev *paykit.Event, _ string) (json.RawMessage, error) { return ev.Data, nil }

// TestService_RegisterScheme_Replaces: a scheme a dialect registers renders
// the body of every delivery to an endpoint of that scheme, given the
// endpoint's secret; a later registration of the name replaces it.
func TestService_RegisterScheme_Replaces(t *testing.T) {
	e := MustOpen(t, local)
	rcv := newReceiver(t, ok)
	tenant := e.MustTenant(t)
	render := func(prefix string) func(*paykit.Event, string) (json.RawMessage, error) {
		return func(ev *paykit.Event, secret string) (json.RawMessage, error) {
			return json.Marshal(map[string]any{"by": prefix, "type": ev.Type, "secret": secret, "data": ev.Data})
		}
	}
	e.svc.RegisterScheme(paykit.WebhookScheme{Name: httpapi.SchemeGigapay, Render: render("first")})
	e.svc.RegisterScheme(paykit.WebhookScheme{Name: httpapi.SchemeGigapay, Render: render("dialect")})
	e.mustEndpoint(t, tenant, rcv.URL+"/gigapay", []string{"thing.happened"}, func(in *paykit.EndpointCreate) {
		in.Scheme, in.Secret = httpapi.SchemeGigapay, gigapaySecret
	})
	e.mustEndpoint(t, tenant, rcv.URL+"/standard", []string{"thing.happened"})
	e.mustEvent(t, tenant, "thing.happened", `{"n":1}`)
	e.MustRunDue(t)

	got := map[string]string{}
	for _, r := range rcv.requests() {
		got[r.Path] = string(r.Body)
	}
	require.JSONEq(t, `{"by":"dialect","type":"thing.happened","secret":"`+gigapaySecret+`","data":{"n":1}}`, got["/gigapay"])
	require.Contains(t, got["/standard"], `"data":{"n":1}`, "other schemes keep their own bodies")
}

func TestWebhooks_RetrySchedule(t *testing.T) {
	ctx := context.Background()
	e := MustOpen(t, local)
	rcv := newReceiver(t, func(n int, _ *http.Request) int {
		if n <= 3 {
			return http.StatusInternalServerError
		}
		return http.StatusNoContent
	})
	tenant := e.MustTenant(t)
	ep := e.mustEndpoint(t, tenant, rcv.URL, []string{"thing.happened"})
	ev := e.mustEvent(t, tenant, "thing.happened", `{"n":1}`)
	t0 := e.clock.Now()

	e.MustRunDue(t)
	require.Len(t, rcv.requests(), 1, "the first attempt is immediate")
	require.Equal(t, &t0, e.mustEndpointNow(t, tenant, ep.ID).FailingSince)
	want := []time.Time{t0}
	for _, delay := range []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute} {
		e.clock.Add(delay - time.Second)
		e.MustRunDue(t)
		require.Len(t, rcv.requests(), len(want), "nothing is due a second early")
		e.clock.Add(time.Second)
		e.MustRunDue(t)
		want = append(want, e.clock.Now())
		require.Len(t, rcv.requests(), len(want), "the retry %s after the failure", delay)
	}
	e.clock.Add(24 * time.Hour)
	e.MustRunDue(t)
	reqs := rcv.requests()
	require.Len(t, reqs, 4, "delivered: no more attempts")

	ds := e.mustDeliveries(t, tenant, ev.ID)
	require.Len(t, ds, 1)
	for i, r := range reqs {
		require.Equal(t, ds[0].ID, r.Header.Get("webhook-id"), "one delivery ID on every attempt")
		require.Equal(t, strconv.FormatInt(want[i].Unix(), 10), r.Header.Get("webhook-timestamp"))
		require.Equal(t, reqs[0].Body, r.Body, "the same bytes on every attempt")
		require.NoError(t, signing.VerifyStandard(r.Header, r.Body, ep.Secret, want[i], 0))
	}

	d, attempts := e.mustDelivery(t, tenant, ds[0].ID)
	require.Equal(t, paykit.DeliveryStatusSucceeded, d.Status)
	require.Equal(t, 4, d.Attempts)
	require.Nil(t, d.NextAttemptAt)
	require.Equal(t, http.StatusNoContent, d.LastStatusCode)
	require.Empty(t, d.LastError)
	require.Len(t, attempts, 4)
	for i, a := range attempts {
		require.Equal(t, i+1, a.N)
		require.Equal(t, want[i], a.At)
		require.Equal(t, rcv.URL, a.URL)
		if i < 3 {
			require.Equal(t, fmt.Sprintf("answer %d", i+1), a.Response, "the response excerpt")
			require.Equal(t, http.StatusInternalServerError, a.StatusCode)
			require.False(t, a.Succeeded)
			require.Contains(t, a.Error, "500")
		} else {
			require.True(t, a.Succeeded)
			require.Empty(t, a.Error)
		}
	}
	require.Nil(t, e.mustEndpointNow(t, tenant, ep.ID).FailingSince, "a success ends the failure streak")

	t.Run("Exhausted", func(t *testing.T) {
		e := MustOpen(t, local, paykit.WithRetrySchedule([]time.Duration{0, time.Second, time.Minute}))
		rcv := newReceiver(t, func(int, *http.Request) int { return http.StatusBadGateway })
		tenant := e.MustTenant(t)
		e.mustEndpoint(t, tenant, rcv.URL, []string{"thing.happened"})
		ev := e.mustEvent(t, tenant, "thing.happened", `{}`)
		for _, d := range []time.Duration{time.Second, time.Minute, time.Hour, 24 * time.Hour} {
			e.MustRunDue(t)
			e.clock.Add(d)
		}
		e.MustRunDue(t)
		require.Len(t, rcv.requests(), 3)
		ds := e.mustDeliveries(t, tenant, ev.ID)
		d, attempts := e.mustDelivery(t, tenant, ds[0].ID)
		require.Equal(t, paykit.DeliveryStatusFailed, d.Status)
		require.Nil(t, d.NextAttemptAt)
		require.Len(t, attempts, 3)
		require.Equal(t, time.Second, attempts[1].At.Sub(attempts[0].At))
		require.Equal(t, time.Minute, attempts[2].At.Sub(attempts[1].At))
		require.Contains(t, d.LastError, "502")
		_, err := e.svc.FindDeliveryAttempts(ctx, tenant, "missing")
		requireCode(t, paykit.ENOTFOUND, err)
	})
}

// TestWebhooks_Crash: an event committed just before a crash is delivered by
// the next process on the same file, and so is one whose attempt was under way.
func TestWebhooks_Crash(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "paykit.db")
	mock := clock.NewMock()
	mock.Set(epoch)
	rcv := newReceiver(t, nil)
	open := func() (*store.DB, *paykit.Service) {
		db, err := store.Open(path)
		require.NoError(t, err)
		return db, paykit.New(db, paykit.WithClock(mock), local)
	}

	db, svc := open()
	tn, err := svc.CreateTenant(ctx, "", "Crashy")
	require.NoError(t, err)
	_, err = svc.CreateEndpoint(ctx, tn.ID, paykit.EndpointCreate{URL: rcv.URL, Events: []string{paykit.EventAccountCreated}})
	require.NoError(t, err)
	a, err := svc.CreateAccount(ctx, tn.ID, paykit.AccountCreate{Currency: "USD", BusinessAccountID: "biz"})
	require.NoError(t, err)
	require.NoError(t, db.Close()) // the process dies after the commit, before any RunDue

	db, svc = open()
	require.NoError(t, svc.RunDue(ctx))
	reqs := rcv.requests()
	require.Len(t, reqs, 1)
	require.Contains(t, string(reqs[0].Body), a.ID)

	// A process that claimed a delivery and died mid-attempt: the delivery is
	// leased, so nobody sends it twice at once, until the lease ends.
	b, err := svc.CreateAccount(ctx, tn.ID, paykit.AccountCreate{Currency: "USD", BusinessAccountID: "biz2"})
	require.NoError(t, err)
	require.NoError(t, svc.RunDue(ctx))
	require.Len(t, rcv.requests(), 2)
	_, err = svc.RedeliverEvent(ctx, tn.ID, eventOf(t, svc, tn.ID, b.ID).ID)
	require.NoError(t, err)
	lanes, err := db.FindDueDeliveryLanes(ctx, mock.Now(), 10)
	require.NoError(t, err)
	require.Len(t, lanes, 1)
	var claimed []*paykit.Delivery
	require.NoError(t, db.InTx(ctx, func(tx paykit.Tx) error {
		claimed, err = tx.ClaimDeliveries(ctx, lanes[0], mock.Now(), mock.Now().Add(paykit.DefaultDeliveryTimeout+time.Minute), 10)
		return err
	}))
	require.Len(t, claimed, 1)
	require.NoError(t, db.Close())

	db, svc = open()
	defer db.Close()
	require.NoError(t, svc.RunDue(ctx))
	require.Len(t, rcv.requests(), 2, "leased by the dead process")
	mock.Add(paykit.DefaultDeliveryTimeout + time.Minute)
	require.NoError(t, svc.RunDue(ctx))
	reqs = rcv.requests()
	require.Len(t, reqs, 3)
	require.Equal(t, claimed[0].ID, reqs[2].Header.Get("webhook-id"))
	require.Equal(t, reqs[1].Header.Get("webhook-id"), reqs[2].Header.Get("webhook-id"), "a duplicate carries the same delivery ID")
	require.Equal(t, reqs[1].Body, reqs[2].Body)
}

func eventOf(tb testing.TB, svc *paykit.Service, tenantID, subjectID string) *paykit.Event {
	tb.Helper()
	evs, err := svc.FindEvents(context.Background(), tenantID, paykit.EventFilter{SubjectID: &subjectID})
	require.NoError(tb, err)
	require.Len(tb, evs, 1)
	return evs[0]
}

func TestService_RedeliverEvent(t *testing.T) {
	ctx := context.Background()
	e := MustOpen(t, local)
	rcv := newReceiver(t, nil)
	tenant := e.MustTenant(t)
	ep := e.mustEndpoint(t, tenant, rcv.URL+"/a", []string{"thing.happened"})
	ev := e.mustEvent(t, tenant, "thing.happened", `{"n":1}`)
	e.MustRunDue(t)
	first := e.mustDeliveries(t, tenant, ev.ID)
	require.Len(t, first, 1)

	// An endpoint created after the event did not get it; a redelivery goes to
	// every endpoint that subscribes now, but not to a disabled one.
	late := e.mustEndpoint(t, tenant, rcv.URL+"/late", []string{"thing.happened"})
	e.mustEndpoint(t, tenant, rcv.URL+"/off", []string{"thing.happened"}, func(in *paykit.EndpointCreate) { in.Enabled = ptr(false) })
	e.mustEndpoint(t, tenant, rcv.URL+"/other", []string{"other.thing"})
	e.clock.Add(time.Hour)
	ds, err := e.svc.RedeliverEvent(ctx, tenant, ev.ID)
	require.NoError(t, err)
	require.Len(t, ds, 2)
	got := map[string]*paykit.Delivery{}
	for _, d := range ds {
		got[d.EndpointID] = d
		require.Equal(t, paykit.DeliveryStatusPending, d.Status)
		require.Equal(t, e.clock.Now(), *d.NextAttemptAt)
	}
	require.Equal(t, first[0].ID, got[ep.ID].ID, "the same delivery again")
	require.NotNil(t, got[late.ID])

	e.MustRunDue(t)
	reqs := rcv.requests()
	require.Len(t, reqs, 3)
	require.Equal(t, reqs[0].Header.Get("webhook-id"), first[0].ID)
	for _, r := range reqs[1:] {
		if r.Path == "/a" {
			require.Equal(t, first[0].ID, r.Header.Get("webhook-id"))
			require.Equal(t, reqs[0].Body, r.Body)
		} else {
			require.Equal(t, "/late", r.Path)
			require.Equal(t, got[late.ID].ID, r.Header.Get("webhook-id"))
		}
	}
	d, attempts := e.mustDelivery(t, tenant, first[0].ID)
	require.Equal(t, 2, d.Attempts)
	require.Len(t, attempts, 2)

	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := e.svc.RedeliverEvent(ctx, tenant, "missing")
		requireCode(t, paykit.ENOTFOUND, err)
		_, err = e.svc.RedeliverEvent(ctx, e.MustTenant(t), ev.ID)
		requireCode(t, paykit.ENOTFOUND, err)
	})
	t.Run("BeforeFanOut", func(t *testing.T) {
		ev := e.mustEvent(t, tenant, "thing.happened", `{"n":2}`)
		_, err := e.svc.RedeliverEvent(ctx, tenant, ev.ID)
		require.NoError(t, err)
		e.MustRunDue(t)
		require.Len(t, e.mustDeliveries(t, tenant, ev.ID), 2, "the fan-out does not add a second delivery per endpoint")
	})
}

// TestWebhooks_Gone: 410 Gone disables the endpoint at once and ends its
// pending deliveries.
func TestWebhooks_Gone(t *testing.T) {
	ctx := context.Background()
	e := MustOpen(t, local)
	rcv := newReceiver(t, func(int, *http.Request) int { return http.StatusGone })
	watcher := newReceiver(t, nil)
	tenant := e.MustTenant(t)
	ep := e.mustEndpoint(t, tenant, rcv.URL, []string{"thing.happened"}, func(in *paykit.EndpointCreate) {
		in.Scheme = httpapi.SchemeGigapay
	})
	e.mustEndpoint(t, tenant, watcher.URL, []string{paykit.EventEndpointDisabled})
	var evs []*paykit.Event
	for i := range 6 {
		evs = append(evs, e.mustEvent(t, tenant, "thing.happened", fmt.Sprintf(`{"n":%d}`, i)))
	}
	e.MustRunDue(t)
	require.LessOrEqual(t, len(rcv.requests()), 4, "one round of attempts: a quarter of the default concurrency of 16")

	got := e.mustEndpointNow(t, tenant, ep.ID)
	require.False(t, got.Enabled)
	require.Contains(t, got.DisabledReason, "410")
	for _, ev := range evs {
		ds := e.mustDeliveries(t, tenant, ev.ID)
		require.Equal(t, paykit.DeliveryStatusFailed, ds[0].Status)
	}
	require.Contains(t, e.eventTypes(t, tenant, ep.ID), paykit.EventEndpointDisabled)
	// The tenant's other endpoint hears of it, without the secret.
	w := watcher.requests()
	require.Len(t, w, 1)
	require.Contains(t, string(w[0].Body), `"endpoint.disabled"`)
	require.NotContains(t, string(w[0].Body), ep.Secret)

	n := len(rcv.requests())
	e.clock.Add(48 * time.Hour)
	e.mustEvent(t, tenant, "thing.happened", `{}`)
	e.MustRunDue(t)
	require.Len(t, rcv.requests(), n, "a disabled endpoint gets nothing")

	got, err := e.svc.UpdateEndpoint(ctx, tenant, ep.ID, paykit.EndpointUpdate{Enabled: ptr(true)})
	require.NoError(t, err)
	require.True(t, got.Enabled)
	require.Empty(t, got.DisabledReason)
	require.Nil(t, got.FailingSince)
}

// TestWebhooks_DisableAfter: an endpoint whose deliveries keep failing for the
// configured period is disabled.
func TestWebhooks_DisableAfter(t *testing.T) {
	e := MustOpen(t, local, paykit.WithEndpointDisableAfter(time.Hour),
		paykit.WithRetrySchedule([]time.Duration{0, 20 * time.Minute, 20 * time.Minute, 20 * time.Minute, 20 * time.Minute}))
	rcv := newReceiver(t, func(int, *http.Request) int { return http.StatusServiceUnavailable })
	tenant := e.MustTenant(t)
	ep := e.mustEndpoint(t, tenant, rcv.URL, []string{"thing.happened"})
	ev := e.mustEvent(t, tenant, "thing.happened", `{}`)
	t0 := e.clock.Now()
	for range 3 {
		e.MustRunDue(t)
		e.clock.Add(20 * time.Minute)
		require.True(t, e.mustEndpointNow(t, tenant, ep.ID).Enabled)
	}
	e.MustRunDue(t) // the attempt at t0+60m
	got := e.mustEndpointNow(t, tenant, ep.ID)
	require.False(t, got.Enabled)
	require.Equal(t, t0, *got.FailingSince)
	require.Contains(t, got.DisabledReason, "1h0m0s")
	require.Len(t, rcv.requests(), 4)
	d := e.mustDeliveries(t, tenant, ev.ID)[0]
	require.Equal(t, paykit.DeliveryStatusFailed, d.Status)
	require.Contains(t, d.LastError, "disabled")
}

// TestWebhooks_SlowEndpoint: an endpoint that never answers costs one attempt
// timeout, and does not hold up a healthy endpoint, whose deliveries all go
// out while the slow one is still waiting.
func TestWebhooks_SlowEndpoint(t *testing.T) {
	const timeout = time.Second
	e := MustOpen(t, local, paykit.WithDeliveryTimeout(timeout))
	healthyDone := make(chan struct{})
	var once sync.Once
	healthy := newReceiver(t, func(n int, _ *http.Request) int {
		if n == 3 {
			once.Do(func() { close(healthyDone) })
		}
		return http.StatusOK
	})
	var (
		mu           sync.Mutex
		healthyFirst []bool
	)
	slow := newReceiver(t, func(_ int, r *http.Request) int {
		<-r.Context().Done() // never answers; the sender gives up
		select {
		case <-healthyDone:
			mu.Lock()
			healthyFirst = append(healthyFirst, true)
			mu.Unlock()
		default:
			mu.Lock()
			healthyFirst = append(healthyFirst, false)
			mu.Unlock()
		}
		return http.StatusOK
	})
	tenant := e.MustTenant(t)
	slowEP := e.mustEndpoint(t, tenant, slow.URL, []string{"thing.happened"})
	e.mustEndpoint(t, tenant, healthy.URL, []string{"thing.happened"})
	var evs []*paykit.Event
	for i := range 3 {
		evs = append(evs, e.mustEvent(t, tenant, "thing.happened", fmt.Sprintf(`{"n":%d}`, i)))
	}

	start := time.Now()
	e.MustRunDue(t)
	elapsed := time.Since(start)
	require.Len(t, healthy.requests(), 3)
	require.Less(t, elapsed, 20*timeout, "bounded by the attempt timeout, not by the backlog")
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(healthyFirst) == len(slow.requests())
	}, 5*time.Second, 10*time.Millisecond)
	mu.Lock()
	for _, first := range healthyFirst {
		require.True(t, first, "the healthy endpoint had everything before the slow one timed out")
	}
	mu.Unlock()
	for _, ev := range evs {
		for _, d := range e.mustDeliveries(t, tenant, ev.ID) {
			if d.EndpointID == slowEP.ID {
				require.Equal(t, paykit.DeliveryStatusPending, d.Status)
				if d.Attempts > 0 {
					_, as := e.mustDelivery(t, tenant, d.ID)
					require.Contains(t, as[0].Error, "No response within 1s")
					require.Zero(t, as[0].StatusCode)
				}
			} else {
				require.Equal(t, paykit.DeliveryStatusSucceeded, d.Status)
			}
		}
	}
}

// TestWebhooks_SafeDestinations: a Service refuses private destinations by
// default (issue 13): when an endpoint is created, in every spelling of the
// address, and, for host names, when they are dialed. Only
// WithPrivateDestinations lets them through.
func TestWebhooks_SafeDestinations(t *testing.T) {
	ctx := context.Background()
	e := MustOpen(t)
	tenant := e.MustTenant(t)
	for _, u := range []string{
		"http://127.0.0.1:8080/hook", "http://localhost/hook", "http://api.localhost/x", "http://LOCALHOST./",
		"http://localhost.localdomain/", "http://ip6-localhost/", "http://[::1]/",
		"http://10.1.2.3/", "http://172.16.0.1/", "http://192.168.1.1/", "http://169.254.169.254/latest/meta-data",
		"http://0.0.0.0/", "http://[fe80::1]/", "http://[fe80::1%25eth0]/", "http://[fd00::1]/",
		"http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/", "http://[0:0:0:0:0:ffff:a9fe:a9fe]/",
		"http://[64:ff9b::a00:1]/", "http://100.64.0.1/", "http://224.0.0.1/", "http://255.255.255.255/",
		// The IPv4-compatible form, and the other IPv6 carriers of an IPv4 address.
		"http://[::127.0.0.1]/", "http://[::7f00:1]:8080/", "http://[::169.254.169.254]/", "http://[::ffff:0:10.0.0.1]/",
		"http://[2002:a9fe:a9fe::1]/", "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",
		// IPv4 as inet_aton and browsers read it: decimal, hex, octal, short, a trailing dot, escaped.
		"http://2130706433/", "http://0x7f000001/", "http://0177.0.0.1/", "http://0x7f.1/", "http://127.1/",
		"http://127.0.0.1./", "http://2852039166/latest/meta-data", "http://%31%32%37.0.0.1/",
		"http://1572395042/", // a public address in a legacy spelling: refused all the same
	} {
		_, err := e.svc.CreateEndpoint(ctx, tenant, paykit.EndpointCreate{URL: u})
		requireCode(t, paykit.EINVALID, err)
		require.Contains(t, paykit.ErrorFields(err), "url", u)
	}
	for _, u := range []string{"https://example.com/hook", "http://93.184.216.34/", "https://[2606:4700::1111]/", "https://1.example/"} {
		_, err := e.svc.CreateEndpoint(ctx, tenant, paykit.EndpointCreate{URL: u, Events: []string{"none"}})
		require.NoError(t, err, u)
	}

	// A host name resolving to loopback passes creation (by a Service with
	// WithPrivateDestinations here; DNS could also change later) and is
	// refused at dial time.
	open := paykit.New(e.db, paykit.WithClock(e.clock), local)
	rcv := newReceiver(t, nil)
	port := rcv.URL[strings.LastIndex(rcv.URL, ":")+1:]
	ep, err := open.CreateEndpoint(ctx, tenant, paykit.EndpointCreate{URL: "http://localhost:" + port + "/hook", Events: []string{"thing.happened"}})
	require.NoError(t, err)
	ev := e.mustEvent(t, tenant, "thing.happened", `{}`)
	e.MustRunDue(t)
	require.Empty(t, rcv.requests())
	ds := e.mustDeliveries(t, tenant, ev.ID)
	require.Equal(t, ep.ID, ds[0].EndpointID)
	_, attempts := e.mustDelivery(t, tenant, ds[0].ID)
	require.Len(t, attempts, 1)
	require.Contains(t, attempts[0].Error, "refused")

	// A Service with WithPrivateDestinations posts to localhost, as a local
	// receiver in development needs.
	e.clock.Add(5 * time.Second)
	require.NoError(t, open.RunDue(ctx))
	require.Len(t, rcv.requests(), 1)
}

// TestWebhooks_SensitiveHeaders: an endpoint may not send credentials or
// routing headers meant for another service (issue 13), in any case of the
// name; one stored before the rule keeps it but does not send it.
func TestWebhooks_SensitiveHeaders(t *testing.T) {
	ctx := context.Background()
	e := MustOpen(t, local)
	tenant := e.MustTenant(t)
	for _, h := range []string{"Authorization", "authorization", "Cookie", "Proxy-Authorization", "proxy-connection",
		"Metadata-Flavor", "Metadata", "X-aws-ec2-metadata-token", "X-Forwarded-For", "x-forwarded-host", "Forwarded",
		"X-Real-IP", "Sec-Fetch-Site", "X-Amz-Security-Token", "X-HTTP-Method-Override"} {
		_, err := e.svc.CreateEndpoint(ctx, tenant, paykit.EndpointCreate{URL: "https://example.com/hook", Headers: map[string]string{h: "x"}})
		requireCode(t, paykit.EINVALID, err)
		require.Contains(t, paykit.ErrorFields(err)["headers"], "may not be sent", h)
	}
	_, err := e.svc.CreateEndpoint(ctx, tenant, paykit.EndpointCreate{URL: "https://example.com/hook", Headers: map[string]string{"Host": "x"}})
	requireCode(t, paykit.EINVALID, err)

	rcv := newReceiver(t, ok)
	ep := e.mustEndpoint(t, tenant, rcv.URL, []string{"thing.happened"}, func(in *paykit.EndpointCreate) {
		in.Headers = map[string]string{"X-Tenant": "acme", "X-Api-Version": "2"}
	})
	// As a database made before the rule holds it.
	e.mustExec(t, `UPDATE webhook_endpoints SET headers = '{"X-Tenant":"acme","Authorization":"Bearer internal","Metadata-Flavor":"Google"}' WHERE id = ?`, ep.ID)
	e.mustEvent(t, tenant, "thing.happened", `{}`)
	e.MustRunDue(t)
	reqs := rcv.requests()
	require.Len(t, reqs, 1)
	require.Equal(t, "acme", reqs[0].Header.Get("X-Tenant"))
	require.Empty(t, reqs[0].Header.Get("Authorization"))
	require.Empty(t, reqs[0].Header.Get("Metadata-Flavor"))
}

// TestWebhooks_Receivers checks what counts as a success: any 2xx for
// endpoints, exactly 200 for Memento callbacks, and never a redirect.
func TestWebhooks_Receivers(t *testing.T) {
	// The event's snapshot, a completed request, is what the memento scheme
	// renders a callback from; endpoints post it as it is.
	completed := epoch
	paid, err := json.Marshal(paykit.Request{ID: "r1", Amount: paykit.MoneyFromMinor(100, "USD"),
		Status: paykit.RequestStatusPaid, CompletedAt: &completed})
	require.NoError(t, err)
	for _, tc := range []struct {
		name    string
		status  int
		memento bool
		ok      bool
	}{
		{"200", 200, false, true},
		{"202", 202, false, true},
		{"299", 299, false, true},
		{"302NotFollowed", 302, false, false},
		{"400", 400, false, false},
		{"429", 429, false, false},
		{"Memento200", 200, true, true},
		{"Memento204", 204, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var url string
			e := MustOpen(t, local, paykit.WithTestCallback(func(_ context.Context, _ paykit.Store, ev *paykit.Event) ([]paykit.Callback, error) {
				if !tc.memento || ev.Type != "thing.happened" {
					return nil, nil
				}
				return []paykit.Callback{{URL: url, Scheme: paykit.SchemeMemento, Secret: mementoKey}}, nil
			}))
			target := newReceiver(t, nil)
			rcv := newReceiver(t, func(int, *http.Request) int { return tc.status })
			url = rcv.URL
			if tc.status == http.StatusFound {
				redirect := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusFound))
				t.Cleanup(redirect.Close)
				url = redirect.URL
			}
			tenant := e.MustTenant(t)
			if !tc.memento {
				e.mustEndpoint(t, tenant, url, []string{"thing.happened"})
			}
			ev := e.mustEvent(t, tenant, "thing.happened", string(paid))
			e.MustRunDue(t)
			require.Empty(t, target.requests())
			d := e.mustDeliveries(t, tenant, ev.ID)[0]
			require.Equal(t, tc.status, d.LastStatusCode)
			if tc.ok {
				require.Equal(t, paykit.DeliveryStatusSucceeded, d.Status)
			} else {
				require.Equal(t, paykit.DeliveryStatusPending, d.Status)
				require.NotEmpty(t, d.LastError)
				require.Equal(t, e.clock.Now().Add(5*time.Second), *d.NextAttemptAt)
			}
		})
	}
}

// TestWebhooks_SharedDatabase: two processes on one database file, both
// running due work at once, fan every event out once and post every delivery
// once.
func TestWebhooks_SharedDatabase(t *testing.T) {
	ctx := context.Background()
	e := MustOpen(t, local)
	rcv := newReceiver(t, nil)
	tenant := e.MustTenant(t)
	e.mustEndpoint(t, tenant, rcv.URL+"/1", []string{"thing.happened"})
	e.mustEndpoint(t, tenant, rcv.URL+"/2", []string{"thing.happened"})
	db2, err := store.Open(e.path)
	require.NoError(t, err)
	defer db2.Close()
	other := paykit.New(db2, paykit.WithClock(e.clock), local)
	const n = 40
	for i := range n {
		e.mustEvent(t, tenant, "thing.happened", fmt.Sprintf(`{"n":%d}`, i))
	}
	var wg sync.WaitGroup
	for _, svc := range []*paykit.Service{e.svc, other, e.svc, other} {
		wg.Go(func() { require.NoError(t, svc.RunDue(ctx)) })
	}
	wg.Wait()
	e.MustRunDue(t)
	reqs := rcv.requests()
	require.Len(t, reqs, 2*n)
	seen := map[string]bool{}
	for _, r := range reqs {
		id := r.Header.Get("webhook-id")
		require.False(t, seen[id], "posted twice: %s", id)
		seen[id] = true
	}
}

func TestService_CreateEndpoint(t *testing.T) {
	ctx := context.Background()
	e := MustOpen(t)
	tenant := e.MustTenant(t)

	t.Run("OK", func(t *testing.T) {
		ep, err := e.svc.CreateEndpoint(ctx, tenant, paykit.EndpointCreate{URL: " https://example.com/hooks ",
			Events: []string{"a.b", "a.b", "c.d"}, Metadata: json.RawMessage(`{"k":1}`), Description: "mine"})
		require.NoError(t, err)
		require.NotEmpty(t, ep.ID)
		require.Equal(t, "https://example.com/hooks", ep.URL)
		require.Equal(t, []string{"a.b", "c.d"}, ep.Events)
		require.Equal(t, paykit.SchemeStandard, ep.Scheme)
		require.True(t, strings.HasPrefix(ep.Secret, "whsec_"))
		require.True(t, ep.Enabled)
		require.Equal(t, e.clock.Now().UTC(), ep.CreatedAt)
		got, err := e.svc.FindEndpointByID(ctx, tenant, ep.ID)
		require.NoError(t, err)
		require.Equal(t, ep, got)

		// The event carries the endpoint without its secrets.
		evs, err := e.svc.FindEvents(ctx, tenant, paykit.EventFilter{SubjectID: &ep.ID})
		require.NoError(t, err)
		require.Equal(t, paykit.EventEndpointCreated, evs[0].Type)
		require.NotContains(t, string(evs[0].Data), ep.Secret)
	})
	t.Run("Gigapay", func(t *testing.T) {
		// A dialect's catalog: its vendor's names, checked, and the types the
		// endpoint stores.
		catalog := map[string]string{"Employee.created": paykit.EventEmployeeCreated, "Payout.created": paykit.EventPayoutCreated}
		ep, err := e.svc.CreateEndpoint(ctx, tenant, paykit.EndpointCreate{ID: "wh-1", URL: "https://example.com/g",
			Events: []string{"Payout.created", "Payout.created"}, Scheme: httpapi.SchemeGigapay, Catalog: catalog, Enabled: ptr(false)})
		require.NoError(t, err)
		require.Equal(t, "wh-1", ep.ID)
		require.Equal(t, []string{paykit.EventPayoutCreated}, ep.Events)
		require.Len(t, ep.Secret, 32)
		require.False(t, ep.Enabled)
		_, err = e.svc.CreateEndpoint(ctx, tenant, paykit.EndpointCreate{ID: "wh-1", URL: "https://example.com/g", Scheme: httpapi.SchemeGigapay})
		requireCode(t, paykit.ECONFLICT, err)
		for _, bad := range []string{"Payout.exploded", paykit.EventPayoutCreated} {
			_, err = e.svc.CreateEndpoint(ctx, tenant, paykit.EndpointCreate{URL: "https://example.com/g",
				Events: []string{"Payout.created", bad}, Scheme: httpapi.SchemeGigapay, Catalog: catalog})
			requireCode(t, paykit.EINVALID, err)
			require.Equal(t, `"`+bad+`" is not a known event.`, paykit.ErrorFields(err)["events"], "a type is not a name of the catalog")
		}

		// An update without events checks the stored types against the
		// catalog's; with events, it takes names.
		ep, err = e.svc.UpdateEndpoint(ctx, tenant, "wh-1", paykit.EndpointUpdate{Description: ptr("d"), Catalog: catalog})
		require.NoError(t, err)
		require.Equal(t, []string{paykit.EventPayoutCreated}, ep.Events)
		ep, err = e.svc.UpdateEndpoint(ctx, tenant, "wh-1", paykit.EndpointUpdate{Events: &[]string{"Employee.created"}, Catalog: catalog})
		require.NoError(t, err)
		require.Equal(t, []string{paykit.EventEmployeeCreated}, ep.Events)
		_, err = e.svc.UpdateEndpoint(ctx, tenant, "wh-1", paykit.EndpointUpdate{Events: &[]string{paykit.EventTokenCreated}})
		require.NoError(t, err)
		_, err = e.svc.UpdateEndpoint(ctx, tenant, "wh-1", paykit.EndpointUpdate{Description: ptr("e"), Catalog: catalog})
		requireCode(t, paykit.EINVALID, err)
		require.Equal(t, `"token.created" is not a known event.`, paykit.ErrorFields(err)["events"])
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		for _, tc := range []struct {
			field string
			in    paykit.EndpointCreate
		}{
			{"url", paykit.EndpointCreate{}},
			{"url", paykit.EndpointCreate{URL: "/relative"}},
			{"url", paykit.EndpointCreate{URL: "ftp://example.com/"}},
			{"url", paykit.EndpointCreate{URL: "https://"}},
			{"id", paykit.EndpointCreate{ID: "has space", URL: "https://example.com"}},
			{"scheme", paykit.EndpointCreate{URL: "https://example.com", Scheme: "memento"}},
			{"scheme", paykit.EndpointCreate{URL: "https://example.com", Scheme: "soap"}},
			{"secret", paykit.EndpointCreate{URL: "https://example.com", Secret: "not base64!"}},
			{"standardSecret", paykit.EndpointCreate{URL: "https://example.com", StandardSecret: "whsec_%%%"}},
			{"headers", paykit.EndpointCreate{URL: "https://example.com", Headers: map[string]string{"Webhook-Signature": "x"}}},
			{"headers", paykit.EndpointCreate{URL: "https://example.com", Headers: map[string]string{"Bad Name": "x"}}},
			{"headers", paykit.EndpointCreate{URL: "https://example.com", Headers: map[string]string{"X-A": "a\r\nB: c"}}},
			{"metadata", paykit.EndpointCreate{URL: "https://example.com", Metadata: json.RawMessage(`[1]`)}},
			{"events", paykit.EndpointCreate{URL: "https://example.com", Events: []string{""}}},
		} {
			_, err := e.svc.CreateEndpoint(ctx, tenant, tc.in)
			requireCode(t, paykit.EINVALID, err)
			require.Contains(t, paykit.ErrorFields(err), tc.field, "%+v", tc.in)
		}
	})
	t.Run("Idempotent", func(t *testing.T) {
		kctx := paykit.WithIdempotencyKey(ctx, "create-endpoint-1")
		in := paykit.EndpointCreate{URL: "https://example.com/idem", Events: []string{"x"}}
		a, err := e.svc.CreateEndpoint(kctx, tenant, in)
		require.NoError(t, err)
		b, err := e.svc.CreateEndpoint(kctx, tenant, in)
		require.NoError(t, err)
		require.Equal(t, a, b)
	})
}

func TestService_UpdateEndpoint(t *testing.T) {
	ctx := context.Background()
	e := MustOpen(t, local)
	rcv := newReceiver(t, func(int, *http.Request) int { return http.StatusInternalServerError })
	tenant := e.MustTenant(t)
	ep := e.mustEndpoint(t, tenant, rcv.URL, []string{"thing.happened"}, func(in *paykit.EndpointCreate) {
		in.ID, in.Scheme = "first", httpapi.SchemeGigstack
	})
	ev := e.mustEvent(t, tenant, "thing.happened", `{}`)
	e.MustRunDue(t)
	d := e.mustDeliveries(t, tenant, ev.ID)[0]

	e.clock.Add(time.Second)
	got, err := e.svc.UpdateEndpoint(ctx, tenant, "first", paykit.EndpointUpdate{ID: ptr("second"), Secret: ptr(""),
		Events: &[]string{"thing.happened", "other"}, Description: ptr("renamed")})
	require.NoError(t, err)
	require.Equal(t, "second", got.ID)
	require.NotEqual(t, ep.Secret, got.Secret)
	require.Len(t, got.Secret, 32)
	require.Equal(t, []string{"thing.happened", "other"}, got.Events)
	require.Equal(t, e.clock.Now().UTC(), got.UpdatedAt)
	require.Equal(t, ep.CreatedAt, got.CreatedAt)
	require.NotNil(t, got.FailingSince, "kept")
	_, err = e.svc.FindEndpointByID(ctx, tenant, "first")
	requireCode(t, paykit.ENOTFOUND, err)
	moved, _ := e.mustDelivery(t, tenant, d.ID)
	require.Equal(t, "second", moved.EndpointID, "its deliveries follow it")

	// Retries go to the endpoint's current URL, signed with its current secret.
	ok := newReceiver(t, nil)
	_, err = e.svc.UpdateEndpoint(ctx, tenant, "second", paykit.EndpointUpdate{URL: &ok.URL})
	require.NoError(t, err)
	e.clock.Add(5 * time.Second)
	e.MustRunDue(t)
	reqs := ok.requests()
	require.Len(t, reqs, 1)
	require.NoError(t, signing.VerifyGigstack(reqs[0].Header.Get("X-Gigstack-Signature"), reqs[0].Body, got.Secret))
	require.Nil(t, e.mustEndpointNow(t, tenant, "second").FailingSince)

	t.Run("Disable", func(t *testing.T) {
		ev := e.mustEvent(t, tenant, "thing.happened", `{}`)
		_, err := e.svc.UpdateEndpoint(ctx, tenant, "second", paykit.EndpointUpdate{Enabled: ptr(false)})
		require.NoError(t, err)
		e.MustRunDue(t)
		require.Empty(t, e.mustDeliveries(t, tenant, ev.ID), "disabled before the fan-out")
		got, err := e.svc.UpdateEndpoint(ctx, tenant, "second", paykit.EndpointUpdate{Enabled: ptr(true)})
		require.NoError(t, err)
		require.True(t, got.Enabled)
	})
	t.Run("DisableFailsPending", func(t *testing.T) {
		_, err := e.svc.UpdateEndpoint(ctx, tenant, "second", paykit.EndpointUpdate{URL: &rcv.URL})
		require.NoError(t, err)
		ev := e.mustEvent(t, tenant, "thing.happened", `{}`)
		e.MustRunDue(t)
		d := e.mustDeliveries(t, tenant, ev.ID)[0]
		require.Equal(t, paykit.DeliveryStatusPending, d.Status)
		_, err = e.svc.UpdateEndpoint(ctx, tenant, "second", paykit.EndpointUpdate{Enabled: ptr(false)})
		require.NoError(t, err)
		d, _ = e.mustDelivery(t, tenant, d.ID)
		require.Equal(t, paykit.DeliveryStatusFailed, d.Status)
	})
	t.Run("Err", func(t *testing.T) {
		e.mustEndpoint(t, tenant, rcv.URL, nil, func(in *paykit.EndpointCreate) { in.ID = "taken" })
		_, err := e.svc.UpdateEndpoint(ctx, tenant, "second", paykit.EndpointUpdate{ID: ptr("taken")})
		requireCode(t, paykit.ECONFLICT, err)
		_, err = e.svc.UpdateEndpoint(ctx, tenant, "missing", paykit.EndpointUpdate{})
		requireCode(t, paykit.ENOTFOUND, err)
		_, err = e.svc.UpdateEndpoint(ctx, tenant, "second", paykit.EndpointUpdate{URL: ptr("nope")})
		requireCode(t, paykit.EINVALID, err)
		_, err = e.svc.UpdateEndpoint(ctx, tenant, "second", paykit.EndpointUpdate{Scheme: ptr(paykit.SchemeStandard), Secret: ptr("gigstack-like")})
		requireCode(t, paykit.EINVALID, err)
		require.Contains(t, paykit.ErrorFields(err), "secret", "a standard endpoint needs a whsec_ secret")
		_, err = e.svc.UpdateEndpoint(ctx, tenant, "second", paykit.EndpointUpdate{Secret: ptr(standardSecret), StandardSecret: ptr(standardSecret),
			Scheme: ptr(paykit.SchemeStandard)})
		require.NoError(t, err)
		_, err = e.svc.UpdateEndpoint(ctx, tenant, "second", paykit.EndpointUpdate{StandardSecret: ptr(signing.NewStandardSecret()),
			Secret: ptr(signing.NewStandardSecret())})
		requireCode(t, paykit.EINVALID, err)
		require.Contains(t, paykit.ErrorFields(err), "standardSecret", "a standard endpoint has one secret")
		got, err := e.svc.UpdateEndpoint(ctx, tenant, "second", paykit.EndpointUpdate{Secret: ptr("")})
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(got.Secret, "whsec_"))
		require.NotEqual(t, standardSecret, got.Secret)
		require.Equal(t, got.Secret, got.StandardSecret, "drawn once, for both")
	})
	t.Run("SchemeToStandard", func(t *testing.T) {
		// An endpoint that becomes standard signs with the Standard Webhooks
		// secret it already had, so its receivers' check goes on working.
		ep := e.mustEndpoint(t, tenant, rcv.URL, nil, func(in *paykit.EndpointCreate) { in.Scheme = httpapi.SchemeGigstack })
		require.True(t, strings.HasPrefix(ep.StandardSecret, "whsec_"))
		got, err := e.svc.UpdateEndpoint(ctx, tenant, ep.ID, paykit.EndpointUpdate{Scheme: ptr(paykit.SchemeStandard)})
		require.NoError(t, err)
		require.Equal(t, ep.StandardSecret, got.Secret)
		require.Equal(t, ep.StandardSecret, got.StandardSecret)
		// "" draws a new standard secret; it no longer removes it.
		got, err = e.svc.UpdateEndpoint(ctx, tenant, ep.ID, paykit.EndpointUpdate{Scheme: ptr(httpapi.SchemeGigstack), Secret: ptr(""), StandardSecret: ptr("")})
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(got.StandardSecret, "whsec_"))
		require.NotEqual(t, ep.StandardSecret, got.StandardSecret)
		require.NotEqual(t, got.Secret, got.StandardSecret)
	})
}

func TestService_DeleteEndpoint(t *testing.T) {
	ctx := context.Background()
	e := MustOpen(t, local)
	rcv := newReceiver(t, nil)
	tenant := e.MustTenant(t)
	ep := e.mustEndpoint(t, tenant, rcv.URL, []string{"thing.happened"})
	ev := e.mustEvent(t, tenant, "thing.happened", `{}`)
	e.MustRunDue(t)
	require.Len(t, e.mustDeliveries(t, tenant, ev.ID), 1)
	require.NoError(t, e.svc.DeleteEndpoint(ctx, tenant, ep.ID))
	require.Empty(t, e.mustDeliveries(t, tenant, ev.ID))
	_, err := e.svc.FindEndpointByID(ctx, tenant, ep.ID)
	requireCode(t, paykit.ENOTFOUND, err)
	requireCode(t, paykit.ENOTFOUND, e.svc.DeleteEndpoint(ctx, tenant, ep.ID))
	require.Contains(t, e.eventTypes(t, tenant, ep.ID), paykit.EventEndpointDeleted)
}

// TestWebhooks_Fanout checks who gets what: the subscribed, enabled endpoints
// of the event's tenant that existed when it happened.
func TestWebhooks_FanOut(t *testing.T) {
	ctx := context.Background()
	e := MustOpen(t, local)
	rcv := newReceiver(t, nil)
	a, b := e.MustTenant(t), e.MustTenant(t)
	all := e.mustEndpoint(t, a, rcv.URL+"/all", nil)
	some := e.mustEndpoint(t, a, rcv.URL+"/some", []string{"thing.happened"})
	e.mustEndpoint(t, a, rcv.URL+"/none", []string{"other.thing"})
	e.mustEndpoint(t, b, rcv.URL+"/b", nil)
	ev := e.mustEvent(t, a, "thing.happened", `{}`)
	e.MustRunDue(t)
	ds := e.mustDeliveries(t, a, ev.ID)
	require.Len(t, ds, 2)
	require.ElementsMatch(t, []string{all.ID, some.ID}, []string{ds[0].EndpointID, ds[1].EndpointID})
	var toAll []string
	for _, r := range rcv.requests() {
		require.NotEqual(t, "/none", r.Path)
		require.NotEqual(t, "/b", r.Path, "tenant b hears only its own events, and none is after its endpoint")
		if r.Path == "/all" {
			var body struct{ Type string }
			require.NoError(t, json.Unmarshal(r.Body, &body))
			toAll = append(toAll, body.Type)
		}
	}
	// The creation of the two endpoints after it, not its own.
	require.ElementsMatch(t, []string{paykit.EventEndpointCreated, paykit.EventEndpointCreated, "thing.happened"}, toAll)

	t.Run("TenantIsolation", func(t *testing.T) {
		_, err := e.svc.FindEndpointByID(ctx, b, all.ID)
		requireCode(t, paykit.ENOTFOUND, err)
		_, err = e.svc.UpdateEndpoint(ctx, b, all.ID, paykit.EndpointUpdate{Description: ptr("x")})
		requireCode(t, paykit.ENOTFOUND, err)
		requireCode(t, paykit.ENOTFOUND, e.svc.DeleteEndpoint(ctx, b, all.ID))
		_, err = e.svc.FindEventByID(ctx, b, ev.ID)
		requireCode(t, paykit.ENOTFOUND, err)
		_, err = e.svc.FindDeliveryByID(ctx, b, ds[0].ID)
		requireCode(t, paykit.ENOTFOUND, err)
		_, err = e.svc.FindDeliveryAttempts(ctx, b, ds[0].ID)
		requireCode(t, paykit.ENOTFOUND, err)
		got, err := e.svc.FindDeliveries(ctx, b, paykit.DeliveryFilter{EventID: &ev.ID})
		require.NoError(t, err)
		require.Empty(t, got)
		eps, err := e.svc.FindEndpoints(ctx, b, paykit.EndpointFilter{})
		require.NoError(t, err)
		require.Len(t, eps, 1)
	})
	t.Run("FindEventByID", func(t *testing.T) {
		got, err := e.svc.FindEventByID(ctx, a, ev.ID)
		require.NoError(t, err)
		require.Equal(t, ev.ID, got.ID)
	})
}
