package paykit

import (
	"net/http"
	"time"

	"github.com/paykit/paykit/internal/safedial"
)

// This file holds the options of the delivery engine (deliveries.go) and the
// HTTP client it posts with.

// DefaultRetrySchedule is when a delivery is attempted: at once, then after
// each failure the next delay, counted from the failed attempt. Eight attempts
// over about 28 hours, like Svix's. It is the standard scheme's, and any
// scheme's without a RetrySchedule of its own.
var DefaultRetrySchedule = []time.Duration{
	0, 5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour,
}

// Defaults of the delivery engine.
const (
	DefaultDeliveryTimeout      = 10 * time.Second
	DefaultDeliveryConcurrency  = 16
	DefaultEndpointDisableAfter = 5 * 24 * time.Hour
)

// webhookConfig is the delivery engine's configuration, set by options.
type webhookConfig struct {
	schedule     []time.Duration // nil: each scheme's (retrySchedule)
	timeout      time.Duration
	concurrency  int
	disableAfter time.Duration
	client       *http.Client
	safe         bool // refuse non-public destinations (the default; WithPrivateDestinations)

	sem chan struct{} // bounds the attempts in flight, across concurrent RunDue calls
}

// WithRetrySchedule sets when deliveries are attempted, whatever their
// scheme: schedule[0] after the event is fanned out (0: at once), and
// schedule[i] after the i-th failed attempt; a delivery fails for good once
// the schedule is spent. Negative delays count as 0. Without it (or with an
// empty schedule) each scheme's RetrySchedule applies, DefaultRetrySchedule
// for the standard scheme.
func WithRetrySchedule(schedule []time.Duration) Option {
	return func(s *Service) { s.webhooks.schedule = nonNegative(schedule) }
}

// nonNegative returns a copy of schedule with negative delays as 0; nil for
// an empty one.
func nonNegative(schedule []time.Duration) []time.Duration {
	var out []time.Duration
	for _, d := range schedule {
		out = append(out, max(d, 0))
	}
	return out
}

// WithDeliveryTimeout bounds each delivery attempt, from dialing to reading the
// response (default 10 s). It is measured in real time, not by the Clock: it
// guards against the network.
func WithDeliveryTimeout(d time.Duration) Option {
	return func(s *Service) { s.webhooks.timeout = d }
}

// WithDeliveryConcurrency bounds how many delivery attempts are in flight at
// once (default 16). One endpoint (or, for callbacks, one host) gets at most a
// quarter of them, rounded up, so that a slow receiver cannot take them all.
func WithDeliveryConcurrency(n int) Option {
	return func(s *Service) { s.webhooks.concurrency = n }
}

// WithEndpointDisableAfter disables an endpoint whose deliveries have failed,
// without a success in between, for d (default 5 days); d <= 0 never disables
// for that reason. A 410 Gone answer disables an endpoint at once, whatever d.
func WithEndpointDisableAfter(d time.Duration) Option {
	return func(s *Service) { s.webhooks.disableAfter = d }
}

// WithHTTPClient sets the client deliveries are posted with. Its Timeout and
// redirect policy are overridden: each attempt is bounded by the delivery
// timeout, and a redirect is a failed attempt (a receiver that moved should
// have its endpoint updated, and following it would re-send the signed body
// elsewhere).
func WithHTTPClient(c *http.Client) Option {
	return func(s *Service) { s.webhooks.client = c }
}

// WithPrivateDestinations lets webhooks and callbacks go to loopback,
// private, link-local and other non-public addresses, which are refused by
// default (server-side request forgery: a tenant's endpoint at
// 169.254.169.254 or 127.0.0.1 would make this process fetch what only it can
// reach, and the delivery log would show the answer). Use it only where every
// tenant is trusted, or for local receivers in development and tests; the
// example server turns it on with -allow-private-webhooks.
//
// By default, endpoints and notify_urls whose host is a non-public IP address
// in any spelling (see internal/safedial) or a localhost name are refused at
// creation, and every connection's resolved address is checked when it is
// dialed, which defeats DNS rebinding; proxies from the environment are not
// used, since the check must see the receiver's address. The check applies to
// the default client and to a WithHTTPClient client whose Transport is nil or
// an *http.Transport (which is cloned); any other RoundTripper must do its own.
func WithPrivateDestinations() Option {
	return func(s *Service) { s.webhooks.safe = false }
}

// WithSafeDestinations refuses non-public webhook destinations, as a Service
// does by default since issue 13; it undoes a WithPrivateDestinations given
// before it.
//
// Deprecated: it is the default.
func WithSafeDestinations() Option {
	return func(s *Service) { s.webhooks.safe = true }
}

func defaultWebhookConfig() webhookConfig {
	return webhookConfig{
		timeout:      DefaultDeliveryTimeout,
		concurrency:  DefaultDeliveryConcurrency,
		disableAfter: DefaultEndpointDisableAfter,
		safe:         true,
	}
}

// initWebhooks completes the configuration once every option is applied.
func (s *Service) initWebhooks() {
	w := &s.webhooks
	if w.timeout <= 0 {
		w.timeout = DefaultDeliveryTimeout
	}
	if w.concurrency <= 0 {
		w.concurrency = DefaultDeliveryConcurrency
	}
	w.sem = make(chan struct{}, w.concurrency)

	var c http.Client
	if w.client != nil {
		c = *w.client
	}
	c.Timeout = 0 // each attempt has its own context deadline
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	switch t := c.Transport.(type) {
	case nil:
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = w.concurrency
		c.Transport = s.safeTransport(tr)
	case *http.Transport:
		c.Transport = s.safeTransport(t.Clone())
	}
	w.client = &c
}

// safeTransport makes tr refuse unsafe destinations when the option is on.
func (s *Service) safeTransport(tr *http.Transport) *http.Transport {
	if !s.webhooks.safe {
		return tr
	}
	return safedial.Transport(tr)
}
