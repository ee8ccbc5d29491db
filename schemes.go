package paykit

import (
	"encoding/json"
	"fmt"
	"github.com/paykit/paykit/signing"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// This file is the registry of webhook schemes: how the body of a delivery is
// shaped and how each attempt is signed. The delivery engine knows schemes only
// through it, so that it names no vendor: each dialect in httpapi registers the
// schemes of its vendor, and Standard Webhooks, paykit's own, is built in.
//
// Every process that delivers webhooks must register the schemes its endpoints
// and callbacks use: one that meets an unregistered scheme leaves the work
// undone and reports an error (see Service.RegisterScheme).

// SignatureScheme names a WebhookScheme.
type SignatureScheme string

// SchemeStandard posts {"type","timestamp","data"} signed per the Standard
// Webhooks specification with a whsec_ secret. It is built in, and the
// default scheme of an endpoint.
const SchemeStandard SignatureScheme = "standard"

// WebhookScheme is how deliveries of one SignatureScheme are shaped and signed;
// dialects register theirs.
//
// Whatever the scheme, every attempt to an endpoint carries the three Standard
// Webhooks headers, webhook-id, webhook-timestamp and webhook-signature (with
// the endpoint's StandardSecret, which every endpoint has); a callback, which
// has no whsec_ secret, carries none of them unless its scheme's Sign sets a
// webhook-signature.
type WebhookScheme struct {
	// Name is the name endpoints and callbacks give.
	Name SignatureScheme
	// Render returns the body posted for ev. secret is the endpoint's or
	// callback's signing key. It runs once per delivery (once per event for
	// a SharedBody scheme's endpoints), when the event is fanned out, so every
	// attempt posts the same bytes; it runs inside a
	// transaction that may be retried, so it must have no side effect. ev.Data
	// is never empty ("null" stands for no snapshot). The body must be JSON.
	Render func(ev *Event, secret string) (json.RawMessage, error)
	// SharedBody says that Render ignores its secret, so that every endpoint
	// of the scheme gets the same body for an event: the fan-out then renders
	// each event once for all of them rather than once per endpoint. Leave it
	// unset for a scheme that signs within the body.
	SharedBody bool
	// Sign sets the scheme's signature headers on h for an attempt of the
	// delivery id posting body at at, with secret. nil signs no header: the
	// scheme signs within the body, at Render. A callback's secret is stored
	// with its delivery only for a scheme that has Sign, because only then do
	// the attempts need it.
	Sign func(h http.Header, id, secret string, at time.Time, body []byte) error
	// Headers are the headers Sign sets; an endpoint's custom headers may not
	// replace them.
	Headers []string
	// NewSecret draws the secret of an endpoint that gives none; nil draws 32
	// random characters.
	NewSecret func() string
	// CheckSecret returns an error saying what is wrong with an endpoint's
	// secret, or nil when the scheme can sign with it; nil accepts any secret.
	CheckSecret func(secret string) error
	// Accept reports whether the status of a receiver's answer means the
	// delivery arrived; nil accepts any 2xx status.
	Accept func(status int) bool
	// Needs completes the error of an attempt that Accept refused: "The
	// receiver answered 204; <Needs>." "" says "a webhook needs a 2xx status".
	Needs string
	// EndpointRefusal, when not "", keeps endpoints from using the scheme,
	// which then only serves callbacks (such as a payment request's
	// notify_url); it is the message an endpoint that names the scheme gets.
	EndpointRefusal string
	// RetrySchedule is when the scheme's deliveries are attempted, as
	// WithRetrySchedule describes, so that each vendor's documented retries
	// are the default; nil is DefaultRetrySchedule. A Service given
	// WithRetrySchedule uses that for every scheme.
	RetrySchedule []time.Duration
}

// schemeRegistry holds the schemes registered with a Service. Its zero value
// holds the built-in standard scheme only.
type schemeRegistry struct {
	mu sync.RWMutex
	m  map[SignatureScheme]*WebhookScheme
}

// RegisterScheme makes ws available to endpoints and callbacks; a dialect's
// constructor calls it. Registering a name again replaces its scheme. Safe for
// concurrent use with deliveries.
//
// Endpoints and callbacks name schemes by name and are stored; deliveries are
// rendered and signed by whatever scheme the delivering process has
// registered under that name. A process that runs deliveries (Run or RunDue)
// must therefore register the same schemes as the processes that create
// endpoints and requests: it fails the fan-out of an event for a scheme it
// lacks, and keeps the deliveries of such a scheme pending, reporting the
// error, rather than lose them.
//
// It panics when ws has no Name or no Render, or is named standard, which is
// built in: those are mistakes of the program, not of its input.
func (s *Service) RegisterScheme(ws WebhookScheme) {
	switch {
	case ws.Name == "" || ws.Render == nil:
		panic("paykit: RegisterScheme: a scheme needs a Name and a Render function")
	case ws.Name == SchemeStandard:
		panic("paykit: RegisterScheme: the standard scheme is built in")
	}
	ws.Headers = slices.Clone(ws.Headers)
	ws.RetrySchedule = nonNegative(ws.RetrySchedule)
	r := &s.schemes
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = make(map[SignatureScheme]*WebhookScheme)
	}
	r.m[ws.Name] = &ws
}

// scheme returns the scheme registered as name.
func (s *Service) scheme(name SignatureScheme) (*WebhookScheme, bool) {
	if name == SchemeStandard {
		return &standardScheme, true
	}
	r := &s.schemes
	r.mu.RLock()
	defer r.mu.RUnlock()
	ws, ok := r.m[name]
	return ws, ok
}

// retrySchedule returns when deliveries of scheme are attempted: the
// Service's WithRetrySchedule when it has one, or else the scheme's own
// RetrySchedule, or else DefaultRetrySchedule. A delivery of a scheme this
// process lacks (it fails to render or sign anyway) gets the default.
func (s *Service) retrySchedule(scheme SignatureScheme) []time.Duration {
	if len(s.webhooks.schedule) > 0 {
		return s.webhooks.schedule
	}
	if ws, ok := s.scheme(scheme); ok && len(ws.RetrySchedule) > 0 {
		return ws.RetrySchedule
	}
	return DefaultRetrySchedule
}

// registeredSchemes returns every registered scheme, by name.
func (s *Service) registeredSchemes() []*WebhookScheme {
	r := &s.schemes
	r.mu.RLock()
	out := []*WebhookScheme{&standardScheme}
	for _, ws := range r.m {
		out = append(out, ws)
	}
	r.mu.RUnlock()
	slices.SortFunc(out, func(a, b *WebhookScheme) int { return strings.Compare(string(a.Name), string(b.Name)) })
	return out
}

// CheckEndpointScheme returns nil when endpoints may use scheme: it is
// registered, and not for callbacks only. Otherwise it returns an EINVALID
// error on the field "scheme" whose message lists the schemes endpoints may
// use. Dialects check a scheme given as a filter with it, so that the message
// is the same as CreateEndpoint's.
func (s *Service) CheckEndpointScheme(scheme SignatureScheme) error {
	if ws, ok := s.scheme(scheme); ok && ws.EndpointRefusal == "" {
		return nil
	}
	var names []string
	for _, ws := range s.registeredSchemes() {
		if ws.EndpointRefusal == "" {
			names = append(names, string(ws.Name))
		}
	}
	if len(names) == 1 {
		return invalid("scheme", "Scheme must be %s.", names[0])
	}
	return invalid("scheme", "Scheme must be one of %s.", strings.Join(names, ", "))
}

// checkScheme validates an endpoint's scheme and secret into v.
func (s *Service) checkScheme(v *Validation, e *Endpoint) {
	ws, ok := s.scheme(e.Scheme)
	switch {
	case ok && ws.EndpointRefusal != "":
		v.Add("scheme", ws.EndpointRefusal)
	case !ok:
		v.Add("scheme", ErrorMessage(s.CheckEndpointScheme(e.Scheme)))
	}
	if len(e.Secret) > maxSecret {
		v.Add("secret", "Secrets have at most 256 characters.")
	} else if ok && ws.CheckSecret != nil {
		if err := ws.CheckSecret(e.Secret); err != nil {
			v.Add("secret", ErrorMessage(err))
		}
	}
}

// newSecret draws a signing secret for an endpoint of scheme.
func (s *Service) newSecret(scheme SignatureScheme) string {
	if ws, ok := s.scheme(scheme); ok && ws.NewSecret != nil {
		return ws.NewSecret()
	}
	return randomString(32)
}

// reservedHeaders are the headers the engine sets itself, whatever the scheme,
// and those every registered scheme signs with: an endpoint's custom headers
// may not replace them.
func (s *Service) reservedHeaders() []string {
	out := []string{"Host", "Content-Length", "Content-Type", "Content-Encoding", "Transfer-Encoding", "Connection",
		"User-Agent", signing.StandardIDHeader, signing.StandardTimestampHeader, signing.StandardSignatureHeader}
	for _, ws := range s.registeredSchemes() {
		out = append(out, ws.Headers...)
	}
	return out
}

// render returns the scheme of a delivery of ev and the body it posts, signed
// with secret when the scheme signs within the body.
func (s *Service) render(scheme SignatureScheme, ev *Event, secret string) (*WebhookScheme, json.RawMessage, error) {
	ws, ok := s.scheme(scheme)
	if !ok {
		return nil, nil, fmt.Errorf("render event %s: %w", ev.ID, errUnregistered(scheme))
	}
	if len(ev.Data) == 0 {
		c := *ev
		c.Data = json.RawMessage("null")
		ev = &c
	}
	body, err := ws.Render(ev, secret)
	if err != nil {
		return nil, nil, fmt.Errorf("render event %s in the %s scheme: %w", ev.ID, scheme, err)
	}
	if !json.Valid(body) {
		return nil, nil, fmt.Errorf("render event %s in the %s scheme: the body is not JSON", ev.ID, scheme)
	}
	return ws, body, nil
}

// errUnregistered is the error of work that names a scheme this Service does
// not have.
func errUnregistered(scheme SignatureScheme) error {
	return fmt.Errorf("scheme %q is not registered with this Service (see RegisterScheme)", scheme)
}

// accepts reports whether ws takes status as a delivery that arrived.
func (ws *WebhookScheme) accepts(status int) bool {
	if ws.Accept != nil {
		return ws.Accept(status)
	}
	return status >= 200 && status < 300
}

// needs says what a receiver must answer, for the error of a refused attempt.
func (ws *WebhookScheme) needs() string {
	if ws.Needs != "" {
		return ws.Needs
	}
	return "a webhook needs a 2xx status"
}

// standardScheme is Standard Webhooks, paykit's own scheme: the canonical
// {"type","timestamp","data"} envelope, with the data as the event holds it,
// signed in webhook-signature with a whsec_ secret.
var standardScheme = WebhookScheme{
	Name:       SchemeStandard,
	Render:     renderStandard,
	SharedBody: true,
	Sign: func(h http.Header, id, secret string, at time.Time, body []byte) error {
		sig, err := signing.SignStandard(secret, id, at, body)
		if err != nil {
			return err
		}
		h.Set(signing.StandardSignatureHeader, sig)
		return nil
	},
	Headers:   []string{signing.StandardSignatureHeader},
	NewSecret: signing.NewStandardSecret,
	CheckSecret: func(secret string) error {
		if !validStandardSecret(secret) {
			return Errorf(EINVALID, "A standard endpoint's secret must be whsec_ followed by base64.")
		}
		return nil
	},
}

// renderStandard returns {"type","timestamp","data"} for ev. HTML characters
// are not escaped: data is posted as the event holds it.
func renderStandard(ev *Event, _ string) (json.RawMessage, error) {
	return encodeJSON(struct {
		Type      string          `json:"type"`
		Timestamp string          `json:"timestamp"`
		Data      json.RawMessage `json:"data"`
	}{ev.Type, ev.CreatedAt.UTC().Format(time.RFC3339Nano), ev.Data})
}
