package httpapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/paykit/paykit"
	"github.com/shopspring/decimal"
)

// NewGigapaySandbox returns the controls that play Gigapay's staff and the gig
// worker in the Gigapay flows, with the Gigapay dialect's auth (Token and
// Integration-ID), shapes and errors. Mount it only where such control is
// wanted (the example server: /sandbox/gigapay). Every route is a POST, takes
// an Idempotency-Key, and answers 200 with the object as the dialect renders
// it:
//
//	POST /employees/{id}/notify/     Gigapay sent the invitation         → Employee.notified
//	POST /employees/{id}/claim/      the worker opened the magic link    → Employee.claimed
//	POST /employees/{id}/verify/     Gigapay verified identity, permits  → Employee.verified (+ Payout.notified for paid payouts)
//	POST /invoices/{id}/pay/         the client paid the invoice         → Invoice.paid (+ Payout.notified for verified employees)
//	POST /invoices/{id}/close/       close a batching invoice
//	POST /payouts/{id}/accept/       the worker signed the payout        → Payout.accepted
//	POST /payouts/{id}/disburse/     Gigapay paid it out through the ledger (no event)
//	POST /settings/                  {"fee","payroll","income_tax","vat"} rates (fractions) or {"default_rates":true},
//	                                 and {"invoice_batching":bool}: what Gigapay's support configures → 200 settings
//	POST /run-due/                   perform the work due now (webhook deliveries included) → 204
func NewGigapaySandbox(svc *paykit.Service) http.Handler {
	svc.RegisterScheme(gigapayScheme) // its transitions fire the webhooks of NewGigapay's endpoints
	s := &gigapaySandbox{svc: svc}
	rt := &gigapayRouter{svc: svc}
	for _, r := range []struct {
		path, name string
		fn         gigapayHandler
	}{
		{"/employees/{id}/notify/", "Notify Employee", s.employee(svc.NotifyEmployee)},
		{"/employees/{id}/claim/", "Claim Employee", s.employee(svc.ClaimEmployee)},
		{"/employees/{id}/verify/", "Verify Employee", s.employee(svc.VerifyEmployee)},
		{"/invoices/{id}/pay/", "Pay Invoice", s.invoice(svc.PayInvoice)},
		{"/invoices/{id}/close/", "Close Invoice", s.invoice(svc.CloseInvoice)},
		{"/payouts/{id}/accept/", "Accept Payout", s.payout(svc.AcceptPayout)},
		{"/payouts/{id}/disburse/", "Disburse Payout", s.payout(svc.DisbursePayout)},
		{"/settings/", "Integration Settings", s.settings},
		{"/run-due/", "Run Due Work", s.runDue},
	} {
		rt.route(r.path, r.name, accessIntegration, false, methods{"POST": r.fn})
	}
	return rt
}

type gigapaySandbox struct {
	svc *paykit.Service
}

func (s *gigapaySandbox) employee(fn func(ctx context.Context, tenantID, id string) (*paykit.Employee, error)) gigapayHandler {
	return func(c *gigapayCall) (int, any, error) {
		if _, err := c.readBody(); err != nil {
			return 0, nil, err
		}
		e, err := fn(c.ctx, c.tenantID, c.r.PathValue("id"))
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, gigapayEmployeeOf(e), nil
	}
}

func (s *gigapaySandbox) invoice(fn func(ctx context.Context, tenantID, id string) (*paykit.Invoice, error)) gigapayHandler {
	return func(c *gigapayCall) (int, any, error) {
		if _, err := c.readBody(); err != nil {
			return 0, nil, err
		}
		inv, err := fn(c.ctx, c.tenantID, c.r.PathValue("id"))
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, gigapayInvoiceOf(inv), nil
	}
}

func (s *gigapaySandbox) payout(fn func(ctx context.Context, tenantID, id string) (*paykit.Payout, error)) gigapayHandler {
	return func(c *gigapayCall) (int, any, error) {
		if _, err := c.readBody(); err != nil {
			return 0, nil, err
		}
		p, err := fn(c.ctx, c.tenantID, c.r.PathValue("id"))
		if err != nil {
			return 0, nil, err
		}
		out, err := c.payout(p)
		return http.StatusOK, out, err
	}
}

// gigapaySettings is an integration's settings as the sandbox shows them.
type gigapaySettings struct {
	Integration     string       `json:"integration"`
	Rates           gigapayRates `json:"rates"`
	OwnRates        bool         `json:"own_rates"`
	InvoiceBatching bool         `json:"invoice_batching"`
}

func (s *gigapaySandbox) settings(c *gigapayCall) (int, any, error) {
	f, err := c.objectForm()
	if err != nil {
		return 0, nil, err
	}
	in := paykit.IntegrationSettings{InvoiceBatching: f.boolean("invoice_batching")}
	if b := f.boolean("default_rates"); b != nil {
		in.DefaultRates = *b
	}
	integ, err := s.svc.FindIntegrationOfTenant(c.ctx, c.tenantID)
	if err != nil {
		return 0, nil, err
	}
	rates := s.svc.PricingRatesOf(integ)
	changed := false
	for _, r := range []struct {
		key string
		dst *decimal.Decimal
	}{{"payroll", &rates.Payroll}, {"income_tax", &rates.IncomeTax}, {"vat", &rates.VAT}, {"fee", &rates.Fee}} {
		if d := f.decimal(r.key); d != nil {
			*r.dst, changed = *d, true
		}
	}
	if changed {
		in.Rates = &rates
	}
	if err := f.v.Err(); err != nil {
		return 0, nil, err
	}
	integ, err = s.svc.UpdateIntegrationSettings(c.ctx, c.tenantID, in)
	if err != nil {
		return 0, nil, renameFields(err, func(f string) string { return strings.TrimPrefix(f, "rates.") })
	}
	return http.StatusOK, gigapaySettings{Integration: integ.ID, Rates: gigapayRatesOf(s.svc.PricingRatesOf(integ)),
		OwnRates: integ.Rates != nil, InvoiceBatching: integ.InvoiceBatching}, nil
}

func (s *gigapaySandbox) runDue(c *gigapayCall) (int, any, error) {
	if _, err := c.readBody(); err != nil {
		return 0, nil, err
	}
	if err := s.svc.RunDue(c.ctx); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}
