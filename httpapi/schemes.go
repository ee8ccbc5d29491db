package httpapi

import (
	"net/http"
	"time"

	"github.com/paykit/paykit/signing"

	"github.com/paykit/paykit"
)

// The webhook schemes of the dialects: how the Service's delivery engine
// shapes and signs the deliveries of the endpoints and callbacks a dialect
// creates. Each dialect's constructor registers its own; RegisterSchemes
// registers them all.

// Webhook schemes of the vendors, beside paykit.SchemeStandard (built in) and
// paykit.SchemeMemento (the scheme of payment request callbacks).
const (
	// SchemeGigapay posts the bare object with
	// Gigapay-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, t + "." + body)>.
	SchemeGigapay paykit.SignatureScheme = "gigapay"
	// SchemeGigstack posts {"id","event","timestamp","data"} with
	// X-Gigstack-Signature: <hex HMAC-SHA256(secret, body)>.
	SchemeGigstack paykit.SignatureScheme = "gigstack"
)

// RegisterSchemes registers the webhook schemes of every dialect with svc:
// gigapay, gigstack and memento. The dialects' constructors register their
// own; call it in a process that delivers webhooks (Service.Run) without
// mounting the dialects, so that it can render and sign the deliveries of the
// endpoints and requests they created.
func RegisterSchemes(svc *paykit.Service) {
	for _, ws := range []paykit.WebhookScheme{gigapayScheme, gigstackScheme, mementoScheme} {
		svc.RegisterScheme(ws)
	}
}

// GigapayRetrySchedule is when a Gigapay webhook's delivery is attempted,
// unless the Service has a schedule of its own (paykit.WithRetrySchedule): the
// documentation's "up to 10 retries with exponential backoff", so 11 attempts,
// the first at once and each retry twice as long after the failed attempt as
// the one before: 1, 2, 4, 8, 16, 32, 64, 128, 256 and 512 minutes, the last
// about 17 hours after the first.
var GigapayRetrySchedule = []time.Duration{0, 1 * time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute,
	16 * time.Minute, 32 * time.Minute, 64 * time.Minute, 128 * time.Minute, 256 * time.Minute, 512 * time.Minute}

// gigapayScheme posts the bare Gigapay object of the event's snapshot, as the
// API renders it (renderGigapayEvent), and retries as GigapayRetrySchedule.
var gigapayScheme = paykit.WebhookScheme{
	Name:       SchemeGigapay,
	Render:     renderGigapayEvent,
	SharedBody: true, // the object, whoever receives it
	Sign: func(h http.Header, _, secret string, at time.Time, body []byte) error {
		h.Set(signing.GigapayHeader, signing.SignGigapay(secret, at, body))
		return nil
	},
	Headers:       []string{signing.GigapayHeader},
	RetrySchedule: GigapayRetrySchedule,
}

// gigstackScheme posts gigstack's envelope, whose id is "evt_<event ID>",
// with the event's gigstack name and data (renderGigstackEvent).
var gigstackScheme = paykit.WebhookScheme{
	Name:       SchemeGigstack,
	Render:     renderGigstackEvent,
	SharedBody: true,
	Sign: func(h http.Header, _, secret string, _ time.Time, body []byte) error {
		h.Set(signing.GigstackHeader, signing.SignGigstack(secret, body))
		return nil
	},
	Headers: []string{signing.GigstackHeader},
}

// mementoScheme posts a payment request's notify_url callback, signed within
// the body (see mementoCallback), and wants exactly 200, as Memento's
// merchants answer.
var mementoScheme = paykit.WebhookScheme{
	Name:            paykit.SchemeMemento,
	Render:          mementoCallback,
	Accept:          func(status int) bool { return status == http.StatusOK },
	Needs:           "a Memento callback needs 200",
	EndpointRefusal: "Memento callbacks go to a payment request's notify_url; an endpoint cannot use the memento scheme.",
}
