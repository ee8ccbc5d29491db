// Package paykit is an embeddable payments engine: payment tokens a payee claims
// through a link, payouts to gig workers, merchant payments, payment requests
// that expire, and signed webhooks, in process, on SQLite by default.
//
// The root package holds every rule. A Service is built on a Store (see the
// store package for SQLite) and a Clock; the httpapi package mounts the routes
// of the documented vendor APIs on any net/http mux.
//
// Every Service method that changes state runs in one store transaction that
// also appends the events describing the change, so the outbox and the state can
// never disagree. Time comes only from the Clock: with clock.NewMock(), advance
// the clock and call RunDue to perform exactly the work that became due.
package paykit

import (
	"context"
	"crypto/cipher"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/google/uuid"
)

// Service is the only entry point to paykit's logic.
type Service struct {
	store     Store
	clock     clock.Clock
	log       *slog.Logger
	rail      Rail
	processor Processor     // collects charges (processors.go)
	rates     ExchangeRates // exchange rates of charges in other currencies than MXN; nil: none
	walletEnv string
	interval  time.Duration // how often Run looks for due work
	batchSize int           // how many due items one RunDue step handles per query
	retention time.Duration // how long finished deliveries and events are kept; <= 0 forever (retention.go)

	webhooks  webhookConfig  // the delivery engine's options (webhooks.go)
	gigapay   gigapayConfig  // pricing and invoice options of the Gigapay nouns (pricing.go)
	callbacks []callbackFunc // consulted for every event at fan-out, beside the endpoints
	schemes   schemeRegistry // the webhook schemes deliveries are shaped and signed in (schemes.go)

	chains map[string]Chain // the chain of each network, by network ID (WithChain, networks.go)
	links  linkConfig       // the base URLs and key of the links people open (links.go)

	sealer       cipher.AEAD // seals the secrets kept in usable form; nil stores them in the clear (sealing.go)
	warnUnsealed sync.Once
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock every timestamp, expiry and retry is read from.
// Tests pass clock.NewMock(). The default is the real clock.
func WithClock(c clock.Clock) Option { return func(s *Service) { s.clock = c } }

// WithLogger sets the logger for background work. The default discards.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// WithRail sets the payout rail that carries payments to and from the outside
// world. The default is a SandboxRail, whose outcomes come from sandbox controls.
func WithRail(r Rail) Option { return func(s *Service) { s.rail = r } }

// WithWalletEnv sets the environment segment of GigPay wallet links:
// "stage" gives https://wallet.stage.gigpay.com/payment/{token}; "" (the
// default) gives production's https://wallet.gigpay.com/payment/{token}.
func WithWalletEnv(env string) Option { return func(s *Service) { s.walletEnv = env } }

// WithPollInterval sets how often Run looks for due work (default 1s).
func WithPollInterval(d time.Duration) Option { return func(s *Service) { s.interval = d } }

// New returns a Service on store. It starts no goroutine; call Run for
// background work, or RunDue to perform what is due once.
func New(store Store, opts ...Option) *Service {
	s := &Service{
		store:     store,
		clock:     clock.New(),
		log:       slog.New(slog.DiscardHandler),
		rail:      SandboxRail{},
		processor: SandboxProcessor{},
		interval:  time.Second,
		batchSize: 100,
		retention: DefaultRetention,
		webhooks:  defaultWebhookConfig(),
	}
	for _, o := range opts {
		o(s)
	}
	s.callbacks = append(s.callbacks, s.requestCallbacks) // Memento notify_url callbacks (requests.go)
	s.initWebhooks()
	s.initLinks()
	return s
}

// Clock returns the Service's clock.
func (s *Service) Clock() clock.Clock { return s.clock }

// now reads the clock once for an operation. Times are kept to the microsecond,
// the precision every store and dialect can carry, so what is stored is exactly
// what was returned.
func (s *Service) now() time.Time { return s.clock.Now().UTC().Truncate(time.Microsecond) }

// Run performs due work every poll interval, by the Clock, until ctx ends. It
// returns nil when ctx is canceled.
func (s *Service) Run(ctx context.Context) error {
	t := s.clock.Ticker(s.interval)
	defer t.Stop()
	for {
		if err := s.RunDue(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("paykit: background work", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// RunDue performs, once and synchronously, all work that is due now by the
// Clock: it persists expiries and fires their events, hands new payments to the
// rail, forgets expired idempotency keys, purges the deliveries and events past
// their retention (WithRetention), and delivers webhooks. Each step runs in
// batches of a bounded size until nothing due is left. Errors of separate steps are joined; one failing step does not stop
// the others.
func (s *Service) RunDue(ctx context.Context) error {
	var errs []error
	for _, step := range []struct {
		name string
		fn   func(context.Context) (int, error)
	}{
		{"expire tokens", s.expireTokens},
		{"expire requests", s.expireRequests},
		{"expire receipts", s.expireReceipts},
		{"submit payments", s.submitPayments},
		// Web3 payments: send and cancel first, so that a chain that mines at
		// once (the sandbox's) has their events read in the same run.
		{"send deals", s.sendDeals},
		{"cancel deals", s.cancelDeals},
		{"read chain events", s.readChainEvents},
		{"check deals", s.checkDeals},
		{"expire web3 payments", s.expireWeb3Payments},
		{"forget idempotency keys", s.forgetIdempotencyKeys},
		// After every step that appends events: it delivers them all.
		{"deliver webhooks", s.deliverWebhooks},
		// Last: what the deliveries finished, and the events they fanned
		// out, may be past the retention already.
		{"purge deliveries", s.purgeDeliveries},
		{"purge events", s.purgeEvents},
	} {
		for {
			n, err := step.fn(ctx)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", step.name, err))
				break
			}
			if n < s.batchSize {
				break
			}
		}
	}
	return errors.Join(errs...)
}

func (s *Service) forgetIdempotencyKeys(ctx context.Context) (int, error) {
	return inTx(ctx, s.store, func(tx Tx) (int, error) { return tx.DeleteIdempotencyRecords(ctx, s.now(), s.batchSize) })
}

// newID returns a time-ordered UUIDv7 string.
func newID() string { return uuid.Must(uuid.NewV7()).String() }

// DefaultLimit and MaxLimit bound every list.
const (
	DefaultLimit = 25
	MaxLimit     = 1000
)

// ParseLimit reads a list's page size from a query parameter: an integer from
// 1 to MaxLimit. It returns EINVALID naming field for anything else, the empty
// string included; whether an absent limit means DefaultLimit is the
// dialect's to say.
func ParseLimit(field, s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxLimit {
		return 0, invalid(field, "Limit must be an integer from 1 to %d.", MaxLimit)
	}
	return n, nil
}

func clampLimit(n int) int {
	if n <= 0 {
		return DefaultLimit
	}
	return min(n, MaxLimit)
}

// allAsOf returns xs, each as it stands at now (its asOf), in place.
func allAsOf[T interface{ asOf(time.Time) T }](xs []T, now time.Time) []T {
	for i := range xs {
		xs[i] = xs[i].asOf(now)
	}
	return xs
}
