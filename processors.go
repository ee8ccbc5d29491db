package paykit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Processor collects charges: a card processor such as Stripe, or an
// acquirer. The Service opens a charge with it when the charge is created,
// before the charge's transaction (a processor is the world outside, called
// outside any transaction; an intent of a create that then fails is left
// unused, as processors expect). What happens next, the processor reports
// through MoveCharge, typically from its webhook.
type Processor interface {
	// Name is what charges record as their processor.
	Name() string
	// Open starts collecting the charge p, not yet stored, and returns the
	// intent the payer pays through.
	Open(ctx context.Context, p *Payment) (ProcessorIntent, error)
}

// ProcessorIntent is a processor's handle on a charge.
type ProcessorIntent struct {
	Reference    string // the processor's ID of the charge (a payment intent)
	ClientSecret string // what the payer's browser confirms the payment with
}

// WithProcessor sets the processor of charges. The default is a
// SandboxProcessor.
func WithProcessor(p Processor) Option { return func(s *Service) { s.processor = p } }

// SandboxProcessor is the default processor: it opens every charge at once,
// deterministically, and leaves its outcome to sandbox controls (MoveCharge,
// and the example server's hosted payment page), so that every status of a
// charge is reachable in tests.
type SandboxProcessor struct{}

// Name returns "sandbox".
func (SandboxProcessor) Name() string { return "sandbox" }

// Open returns an intent whose reference and secret derive from p's ID.
func (SandboxProcessor) Open(_ context.Context, p *Payment) (ProcessorIntent, error) {
	id := strings.ReplaceAll(p.ID, "-", "")
	sum := sha256.Sum256([]byte("sandbox secret " + p.ID))
	ref := "pi_sandbox_" + id
	return ProcessorIntent{Reference: ref, ClientSecret: ref + "_secret_" + hex.EncodeToString(sum[:12])}, nil
}

// ExchangeRates says what a currency is worth in MXN, the currency charges
// are accounted in, for charges in other currencies that do not give their
// rate. A host plugs in its source (Banco de México's FIX rate, a market
// data API) with WithExchangeRates; the Service asks it once per charge,
// outside any transaction.
type ExchangeRates interface {
	// Rate returns how many MXN one unit of c is worth on the day of at.
	Rate(ctx context.Context, c Currency, at time.Time) (decimal.Decimal, error)
}

// WithExchangeRates sets the source of exchange rates. Without one, a charge
// in USD or EUR must give its exchange rate.
func WithExchangeRates(r ExchangeRates) Option { return func(s *Service) { s.rates = r } }

// FixedRates is an ExchangeRates of fixed rates, by currency: for tests, and
// for the example server's documented table.
type FixedRates map[Currency]decimal.Decimal

// Rate returns the fixed rate of c, or EINVALID on the field "exchange" for a
// currency the table lacks.
func (f FixedRates) Rate(_ context.Context, c Currency, _ time.Time) (decimal.Decimal, error) {
	if r, ok := f[c]; ok {
		return r, nil
	}
	return decimal.Decimal{}, invalid("exchange", "No exchange rate is known for %s: give exchange.", c)
}
