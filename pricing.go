package paykit

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/shopspring/decimal"
)

// PricingRates are the rates a payout's price breakdown is computed with, each
// a fraction (0.3142 is 31.42 %). They are configured per integration; the
// Service's defaults (WithPricingRates) apply to integrations without their own.
type PricingRates struct {
	Payroll   decimal.Decimal `json:"payroll"`   // employer's social contributions, on amount
	IncomeTax decimal.Decimal `json:"incomeTax"` // preliminary income tax withheld from amount
	VAT       decimal.Decimal `json:"vat"`       // value added tax, on cost
	Fee       decimal.Decimal `json:"fee"`       // Gigapay's fee, on the invoiced amount
}

// DefaultPricingRates returns the Swedish rates that reproduce the Gigapay
// documentation's pricing examples: 31.42 % employer contributions
// (arbetsgivaravgifter), 30 % preliminary income tax, 25 % VAT and a 5 % fee.
//
// The documentation's examples imply two fee rates: 5 % in every example
// priced from amount (the /pricing/ list: 1000.00 → fee 65.71, cost 1379.91;
// 3000.00 → fee 197.13, cost 4139.73; the /payouts/ page: 100.00 → cost 137.99)
// and 2 % in those priced from invoiced_amount (1000.00 → fee 20.00, 2500.00 →
// fee 50.00). The fee is a per-customer rate; 5 % is the default because it is
// what the calculator's own list shows, and an integration set to 2 %
// reproduces the others (see pricing_vectors_test.go).
func DefaultPricingRates() PricingRates {
	return PricingRates{
		Payroll:   decimal.RequireFromString("0.3142"),
		IncomeTax: decimal.RequireFromString("0.30"),
		VAT:       decimal.RequireFromString("0.25"),
		Fee:       decimal.RequireFromString("0.05"),
	}
}

// check validates every rate: a fraction from 0 to 1, with at most 6 decimals.
func (r PricingRates) check(v *Validation, prefix string) {
	for _, f := range []struct {
		name string
		d    decimal.Decimal
	}{{"payroll", r.Payroll}, {"incomeTax", r.IncomeTax}, {"vat", r.VAT}, {"fee", r.Fee}} {
		if f.d.IsNegative() || f.d.GreaterThan(decimal.NewFromInt(1)) || !f.d.Equal(f.d.Truncate(6)) {
			v.Add(prefix+f.name, "Rates are fractions from 0 to 1 with at most 6 decimals.")
		}
	}
}

// WithPricingRates sets the rates of integrations that have none of their own.
// The default is DefaultPricingRates().
func WithPricingRates(r PricingRates) Option {
	return func(s *Service) { s.gigapay.rates = &r }
}

// gigapayConfig holds the Service's options for the Gigapay nouns.
type gigapayConfig struct {
	rates  *PricingRates // nil: DefaultPricingRates()
	appURL string        // "": DefaultInvoiceAppURL
}

// ratesFor returns the rates that price payouts of integration in.
func (s *Service) ratesFor(in *Integration) PricingRates {
	switch {
	case in != nil && in.Rates != nil:
		return *in.Rates
	case s.gigapay.rates != nil:
		return *s.gigapay.rates
	}
	return DefaultPricingRates()
}

// PricingBasis names the one field a payout's price was given in; the other two
// are computed from it.
type PricingBasis string

// Pricing bases. The values are stored; the fields they name are field().
const (
	PricingBasisAmount         PricingBasis = "amount"
	PricingBasisInvoicedAmount PricingBasis = "invoiced_amount"
	PricingBasisCost           PricingBasis = "cost"
)

// field returns the name of b's field in PayoutCreate's JSON, which names its
// validation errors.
func (b PricingBasis) field() string {
	if b == PricingBasisInvoicedAmount {
		return "invoicedAmount"
	}
	return string(b)
}

// Pricing is a payout's price breakdown:
//
//	Amount         = net to the employee + income tax (Tax)
//	InvoicedAmount = Amount + employer's payroll taxes (Payroll)
//	Cost           = InvoicedAmount + Gigapay's fee (Fee), what the client pays
//	VAT            = VAT on Cost, reported beside it
type Pricing struct {
	ID             string          `json:"id,omitempty"` // the payout's id; "" for a calculation without one
	Amount         Money           `json:"amount"`
	InvoicedAmount Money           `json:"invoicedAmount"`
	Cost           Money           `json:"cost"`
	Fee            Money           `json:"fee"`
	Payroll        Money           `json:"payroll"`
	Tax            Money           `json:"tax"`
	VAT            Money           `json:"vat"`
	Metadata       json.RawMessage `json:"metadata,omitempty"` // the payout's; {} by default
}

// Net returns what reaches the employee: amount less income tax.
func (p *Pricing) Net() Money { return sub(p.Amount, p.Tax) }

// Price computes the breakdown of a payout whose basis field is value, under
// rates. It is pure: no clock, no store. Every step rounds half-up to the
// currency's scale (RoundMoney), and the sums hold exactly:
// InvoicedAmount = Amount + Payroll and Cost = InvoicedAmount + Fee.
//
// From amount: Payroll = Amount × r.Payroll; Fee = InvoicedAmount × r.Fee.
// From the invoiced amount: Amount = InvoicedAmount / (1 + r.Payroll), Payroll
// the rest. From cost: InvoicedAmount = Cost / (1 + r.Fee), Fee the rest, then
// as from the invoiced amount. Then Tax = Amount × r.IncomeTax and
// VAT = Cost × r.VAT.
//
// It returns EINVALID, naming the basis field as PayoutCreate's JSON does
// ("invoicedAmount"), for a value that is not positive, has more decimals than
// its currency, or is too small to leave a positive amount.
func Price(basis PricingBasis, value decimal.Decimal, c Currency, r PricingRates) (*Pricing, error) {
	field := basis.field()
	v, err := NewPositiveMoney(field, value, c)
	if err != nil {
		return nil, err
	}
	one := decimal.NewFromInt(1)
	p := &Pricing{}
	switch basis {
	case PricingBasisAmount:
		p.Amount = v
		p.InvoicedAmount = p.Amount.Add(RoundMoney(v.Amount.Mul(r.Payroll), c))
		p.Cost = p.InvoicedAmount.Add(RoundMoney(p.InvoicedAmount.Amount.Mul(r.Fee), c))
	case PricingBasisInvoicedAmount:
		p.InvoicedAmount = v
		p.Amount = RoundMoney(v.Amount.Div(one.Add(r.Payroll)), c)
		p.Cost = p.InvoicedAmount.Add(RoundMoney(v.Amount.Mul(r.Fee), c))
	case PricingBasisCost:
		p.Cost = v
		p.InvoicedAmount = RoundMoney(v.Amount.Div(one.Add(r.Fee)), c)
		p.Amount = RoundMoney(p.InvoicedAmount.Amount.Div(one.Add(r.Payroll)), c)
	default:
		return nil, fmt.Errorf("price: unknown basis %q", basis)
	}
	if p.Amount.Minor() <= 0 {
		return nil, invalid(field, "This value is too small to pay out anything.")
	}
	p.Payroll = sub(p.InvoicedAmount, p.Amount)
	p.Fee = sub(p.Cost, p.InvoicedAmount)
	p.Tax = RoundMoney(p.Amount.Amount.Mul(r.IncomeTax), c)
	p.VAT = RoundMoney(p.Cost.Amount.Mul(r.VAT), c)
	return p, nil
}

// PricePayout prices a payout without creating anything: the input
// CreatePayout takes, validated the same way (an employee referred to must
// exist; an inline employee is validated, not created), with the breakdown's ID
// the payout's given id. It is Gigapay's /pricing/ calculator. Returns
// EINVALID with fields named as CreatePayout names them, and ENOTFOUND for an
// unknown integration.
func (s *Service) PricePayout(ctx context.Context, tenantID string, in PayoutCreate) (*Pricing, error) {
	ps, err := s.pricePayouts(ctx, tenantID, []PayoutCreate{in}, false)
	if err != nil {
		return nil, err
	}
	return ps[0], nil
}

// PricePayouts is PricePayout for a list, with fields named by index
// ("[2].amount") as CreatePayouts names them.
func (s *Service) PricePayouts(ctx context.Context, tenantID string, in []PayoutCreate) ([]*Pricing, error) {
	if err := checkBatch(len(in)); err != nil {
		return nil, err
	}
	return s.pricePayouts(ctx, tenantID, in, true)
}

func (s *Service) pricePayouts(ctx context.Context, tenantID string, in []PayoutCreate, indexed bool) ([]*Pricing, error) {
	integ, err := s.store.FindIntegrationOfTenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := make([]*Pricing, 0, len(in))
	var v Validation
	for i, pc := range in {
		p, _, err := s.checkPayout(ctx, s.store, now, integ, pc, itemPrefix(indexed, i), &v, nil)
		if err != nil {
			return nil, err
		}
		if p != nil {
			pr := p.Pricing()
			pr.ID = pc.ID
			out = append(out, pr)
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// sub returns m−o; both share a currency.
func sub(m, o Money) Money { return MoneyFromMinor(m.Minor()-o.Minor(), m.Currency) }
