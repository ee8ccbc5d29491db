package paykit_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/paykit/paykit/signing"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/httpapi"
)

// testScheme is a scheme of the tests' own, as a dialect would register one:
// its own envelope, its own signature header, its own secrets, and a receiver
// that must answer 202.
var testScheme = paykit.WebhookScheme{
	Name: "test",
	Render: func(ev *paykit.Event, _ string) (json.RawMessage, error) {
		return json.Marshal(struct {
			Kind string          `json:"kind"`
			Data json.RawMessage `json:"data"`
		}{ev.Type, ev.Data})
	},
	Sign: func(h http.Header, id, secret string, at time.Time, body []byte) error {
		h.Set("X-Test-Signature", testSignature(secret, id, at, body))
		return nil
	},
	Headers:   []string{"X-Test-Signature"},
	NewSecret: func() string { return "test_drawn" },
	CheckSecret: func(secret string) error {
		if !strings.HasPrefix(secret, "test_") {
			return paykit.Errorf(paykit.EINVALID, "A test secret starts with test_.")
		}
		return nil
	},
	Accept: func(status int) bool { return status == http.StatusAccepted },
	Needs:  "a test receiver needs 202",
}

// testSignature is hex HMAC-SHA256(secret, id.unix.body), computed apart
// from the scheme that sends it.
func testSignature(secret, id string, at time.Time, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(m, "%s.%d.%s", id, at.Unix(), body)
	return hex.EncodeToString(m.Sum(nil))
}

// notifyScheme serves callbacks only, signed within the body, like memento.
var notifyScheme = paykit.WebhookScheme{
	Name: "notify",
	Render: func(ev *paykit.Event, secret string) (json.RawMessage, error) {
		return json.Marshal(map[string]string{"event": ev.Type, "signature": testSignature(secret, ev.ID, ev.CreatedAt, ev.Data)})
	},
	EndpointRefusal: "Notify callbacks go to a notify URL only.",
}

func TestService_RegisterScheme(t *testing.T) {
	ctx := context.Background()
	var notifyURL string
	e := MustOpen(t, local, paykit.WithTestCallback(func(_ context.Context, _ paykit.Store, ev *paykit.Event) ([]paykit.Callback, error) {
		if ev.Type != "notify.me" {
			return nil, nil
		}
		return []paykit.Callback{{URL: notifyURL, Scheme: "notify", Secret: "callback-key"}}, nil
	}))
	e.svc.RegisterScheme(testScheme)
	e.svc.RegisterScheme(notifyScheme)

	t.Run("Delivers", func(t *testing.T) {
		rcv := newReceiver(t, func(n int, _ *http.Request) int {
			if n == 1 {
				return http.StatusOK // a 2xx, but not the one this scheme accepts
			}
			return http.StatusAccepted
		})
		tenant := e.MustTenant(t)
		ep := e.mustEndpoint(t, tenant, rcv.URL, []string{"thing.happened"}, func(in *paykit.EndpointCreate) {
			in.Scheme, in.StandardSecret = "test", standardSecret
		})
		require.Equal(t, "test_drawn", ep.Secret, "drawn by the scheme")
		ev := e.mustEvent(t, tenant, "thing.happened", `{"n":1}`)
		e.MustRunDue(t)
		d := e.mustDeliveries(t, tenant, ev.ID)[0]
		require.Equal(t, paykit.DeliveryStatusPending, d.Status)
		require.Equal(t, "The receiver answered 200; a test receiver needs 202.", d.LastError)
		e.clock.Add(5 * time.Second)
		e.MustRunDue(t)

		d, as := e.mustDelivery(t, tenant, d.ID)
		require.Equal(t, paykit.DeliveryStatusSucceeded, d.Status)
		reqs := rcv.requests()
		require.Len(t, reqs, 2)
		require.Len(t, as, 2)
		for i, r := range reqs {
			require.Equal(t, `{"kind":"thing.happened","data":{"n":1}}`, string(r.Body), "rendered by the scheme")
			require.Equal(t, d.ID, r.Header.Get("webhook-id"))
			require.Equal(t, testSignature(ep.Secret, d.ID, as[i].At, r.Body), r.Header.Get("X-Test-Signature"))
			require.NoError(t, signing.VerifyStandard(r.Header, r.Body, standardSecret, as[i].At, 0),
				"every scheme carries the endpoint's extra standard signature")
		}
	})
	t.Run("Callback", func(t *testing.T) {
		rcv := newReceiver(t, nil)
		notifyURL = rcv.URL
		tenant := e.MustTenant(t)
		ev := e.mustEvent(t, tenant, "notify.me", `{"n":2}`)
		e.MustRunDue(t)
		reqs := rcv.requests()
		require.Len(t, reqs, 1)
		want, err := json.Marshal(map[string]string{"event": "notify.me", "signature": testSignature("callback-key", ev.ID, ev.CreatedAt, ev.Data)})
		require.NoError(t, err)
		require.Equal(t, string(want), string(reqs[0].Body), "signed within the body")
		require.Empty(t, reqs[0].Header.Get("webhook-signature"))
		d := e.mustDeliveries(t, tenant, ev.ID)[0]
		require.Equal(t, paykit.DeliveryStatusSucceeded, d.Status)
		require.Empty(t, d.Secret, "a scheme that signs within the body stores no secret")
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		tenant := e.MustTenant(t)
		_, err := e.svc.CreateEndpoint(ctx, tenant, paykit.EndpointCreate{URL: "https://example.com", Scheme: "test", Secret: "nope"})
		requireCode(t, paykit.EINVALID, err)
		require.Equal(t, "A test secret starts with test_.", paykit.ErrorFields(err)["secret"])
		_, err = e.svc.CreateEndpoint(ctx, tenant, paykit.EndpointCreate{URL: "https://example.com",
			Headers: map[string]string{"x-test-signature": "forged"}})
		requireCode(t, paykit.EINVALID, err)
		require.Contains(t, paykit.ErrorFields(err), "headers", "a registered scheme's header is reserved for every endpoint")
		_, err = e.svc.CreateEndpoint(ctx, tenant, paykit.EndpointCreate{URL: "https://example.com", Scheme: "notify"})
		requireCode(t, paykit.EINVALID, err)
		require.Equal(t, "Notify callbacks go to a notify URL only.", paykit.ErrorFields(err)["scheme"])
		err = e.svc.CheckEndpointScheme("notify")
		requireCode(t, paykit.EINVALID, err)
		require.Equal(t, "Scheme must be one of gigapay, gigstack, standard, test.", paykit.ErrorFields(err)["scheme"])
	})
	t.Run("Panics", func(t *testing.T) {
		require.Panics(t, func() { e.svc.RegisterScheme(paykit.WebhookScheme{Name: "x"}) }, "no Render")
		require.Panics(t, func() {
			e.svc.RegisterScheme(paykit.WebhookScheme{Name: paykit.SchemeStandard, Render: testScheme.Render})
		})
	})
}

// TestService_UnregisteredScheme: a Service refuses endpoints and callbacks in
// a scheme nobody registered with it, with one message built from the names
// it has; and a process that lacks the scheme of work already created leaves
// it for one that has it, losing nothing.
func TestService_UnregisteredScheme(t *testing.T) {
	ctx := context.Background()
	e, tenant, _ := requestSetup(t, local)
	rcv := newReceiver(t, func(n int, _ *http.Request) int {
		if n == 1 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	// A second process on the same database that mounts no dialect.
	bare := paykit.New(e.db, paykit.WithClock(e.clock), local)

	t.Run("Endpoint", func(t *testing.T) {
		_, err := bare.CreateEndpoint(ctx, tenant, paykit.EndpointCreate{URL: "https://example.com", Scheme: httpapi.SchemeGigapay})
		requireCode(t, paykit.EINVALID, err)
		require.Equal(t, "Scheme must be standard.", paykit.ErrorFields(err)["scheme"])
		_, err = e.svc.CreateEndpoint(ctx, tenant, paykit.EndpointCreate{URL: "https://example.com", Scheme: "soap"})
		requireCode(t, paykit.EINVALID, err)
		require.Equal(t, "Scheme must be one of gigapay, gigstack, standard.", paykit.ErrorFields(err)["scheme"])
		disabled := e.mustEndpoint(t, tenant, "https://example.com", nil, func(in *paykit.EndpointCreate) { in.Enabled = ptr(false) })
		_, err = bare.UpdateEndpoint(ctx, tenant, disabled.ID, paykit.EndpointUpdate{Scheme: ptr(httpapi.SchemeGigstack)})
		requireCode(t, paykit.EINVALID, err)
		require.Contains(t, paykit.ErrorFields(err), "scheme")
	})
	t.Run("Callback", func(t *testing.T) {
		_, err := bare.CreateRequest(ctx, tenant, paykit.RequestCreate{Amount: dec("1"), Currency: "USD", Recipient: "alice",
			NotifyURL: "https://example.com/notification"})
		requireCode(t, paykit.EINVALID, err)
		require.Contains(t, paykit.ErrorFields(err)["notifyUrl"], "memento")
	})
	t.Run("Deliveries", func(t *testing.T) {
		ep := e.mustEndpoint(t, tenant, rcv.URL, []string{"thing.happened"}, func(in *paykit.EndpointCreate) {
			in.Scheme = httpapi.SchemeGigapay
		})
		ev := e.mustEvent(t, tenant, "thing.happened", `{"n":1}`)
		err := bare.RunDue(ctx)
		require.ErrorContains(t, err, `scheme "gigapay" is not registered`)
		require.Empty(t, e.mustDeliveries(t, tenant, ev.ID), "the fan-out waits for a process that has the scheme")

		e.MustRunDue(t) // fans out; the first attempt fails
		ds := e.mustDeliveries(t, tenant, ev.ID)
		require.Len(t, ds, 1)
		d := ds[0]
		require.Equal(t, 1, d.Attempts)
		e.clock.Add(httpapi.GigapayRetrySchedule[1]) // the gigapay scheme's first retry
		err = bare.RunDue(ctx)
		require.ErrorContains(t, err, `scheme "gigapay" is not registered`)
		d, _ = e.mustDelivery(t, tenant, d.ID)
		require.Equal(t, 1, d.Attempts, "no attempt made by a process that cannot sign it")
		require.Equal(t, paykit.DeliveryStatusPending, d.Status)

		e.clock.Add(2 * time.Minute) // the lease bare took runs out
		e.MustRunDue(t)
		d, _ = e.mustDelivery(t, tenant, d.ID)
		require.Equal(t, paykit.DeliveryStatusSucceeded, d.Status)
		reqs := rcv.requests()
		require.Len(t, reqs, 2)
		require.NoError(t, signing.VerifyGigapay(reqs[1].Header.Get("Gigapay-Signature"), reqs[1].Body, ep.Secret, e.clock.Now(), 0))
	})
}

// TestService_RetrySchedule: a scheme's deliveries follow its RetrySchedule,
// the standard scheme's DefaultRetrySchedule, and WithRetrySchedule overrides
// every scheme's.
func TestService_RetrySchedule(t *testing.T) {
	// Paced waits a minute before its first attempt and makes three in all
	// (a negative delay counts as 0).
	paced := paykit.WebhookScheme{Name: "paced", Render: bareSnapshot,
		RetrySchedule: []time.Duration{time.Minute, -time.Second, time.Hour}}
	// attempts runs an event to two endpoints that always fail, one paced and
	// one standard, and returns how many attempts each got at once, and in all
	// after ten RunDues 11 hours apart, longer than any delay (so one attempt
	// per delivery each), in less than the 5 days that disable an endpoint.
	attempts := func(t *testing.T, opts ...paykit.Option) (pacedNow, standardNow, pacedAll, standardAll int) {
		e := MustOpen(t, append([]paykit.Option{local}, opts...)...)
		e.svc.RegisterScheme(paced)
		tenant := e.MustTenant(t)
		failing := func(int, *http.Request) int { return http.StatusInternalServerError }
		rp, rs := newReceiver(t, failing), newReceiver(t, failing)
		e.mustEndpoint(t, tenant, rp.URL, []string{"thing.happened"}, func(in *paykit.EndpointCreate) { in.Scheme = "paced" })
		e.mustEndpoint(t, tenant, rs.URL, []string{"thing.happened"})
		e.mustEvent(t, tenant, "thing.happened", `{"n":1}`)
		e.MustRunDue(t)
		pacedNow, standardNow = len(rp.requests()), len(rs.requests())
		for range 10 {
			e.clock.Add(11 * time.Hour)
			e.MustRunDue(t)
		}
		return pacedNow, standardNow, len(rp.requests()), len(rs.requests())
	}
	t.Run("PerScheme", func(t *testing.T) {
		pn, sn, pa, sa := attempts(t)
		require.Equal(t, 0, pn, "the paced scheme's first attempt waits its first delay")
		require.Equal(t, 1, sn)
		require.Equal(t, 3, pa)
		require.Equal(t, len(paykit.DefaultRetrySchedule), sa, "the standard scheme keeps the default")
	})
	t.Run("WithRetrySchedule", func(t *testing.T) {
		pn, sn, pa, sa := attempts(t, paykit.WithRetrySchedule([]time.Duration{0, time.Second}))
		require.Equal(t, []int{1, 1, 2, 2}, []int{pn, sn, pa, sa}, "the Service's schedule is every scheme's")
	})
}
