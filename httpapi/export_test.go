package httpapi

import (
	"net/http"

	"github.com/paykit/paykit"
)

// RenderGigapayEvent exposes the Gigapay scheme's body renderer, so that the
// external tests can say what a Gigapay webhook of a recorded event must be.
var RenderGigapayEvent = renderGigapayEvent

// GigapayEvents are the Gigapay event names, in the documentation's order, and
// GigapayEventTypes the Service's event type each stands for.
var GigapayEvents, GigapayEventTypes = func() ([]string, map[string]string) {
	names := make([]string, len(gigapayEvents))
	for i, e := range gigapayEvents {
		names[i] = e.name
	}
	return names, gigapayEventTypes
}()

// GigapayMessage exposes the dialect's rewriting of the root's messages, for
// those no request can provoke on demand (the store's, when two race).
var GigapayMessage = gigapayMessage

// ParseTime exposes the one date-time parser of every dialect.
var ParseTime = parseTime

// WriteListStream exposes the streamed list writer, for a list of numbers.
var WriteListStream = writeListStream[int, int]

// MementoAmount exposes the Memento dialect's reading of float amounts, so
// that the line between float noise and real decimals is tested on both sides.
var MementoAmount = mementoAmount

// ErrorWriters are the one error writer of each dialect, by name, so that a
// test can give each an error no request provokes on demand (a 503).
func ErrorWriters(svc *paykit.Service) map[string]func(http.ResponseWriter, *http.Request, error) {
	return map[string]func(http.ResponseWriter, *http.Request, error){
		"gigpay":   gigPayErrorWriter(svc),
		"events":   hookErrorWriter(svc),
		"memento":  writeMementoError,
		"gigstack": (&gigstack{svc: svc}).writeError,
		"rudiqpay": (&rudiqPay{svc: svc}).writeError,
		"gigapay": func(w http.ResponseWriter, r *http.Request, err error) {
			c := &gigapayCall{svc: svc, w: w, r: r, ctx: r.Context(), lang: "en"}
			c.render(0, nil, err)
		},
	}
}

// WithStatus makes err answer with status, as the dialects' own statusErrors
// do (413, 415).
func WithStatus(status int, err *paykit.Error) error { return &statusError{status, err} }
