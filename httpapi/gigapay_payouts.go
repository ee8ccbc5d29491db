package httpapi

import (
	"bytes"
	"fmt"
	"net/http"

	"github.com/paykit/paykit"
)

// Payouts and pricing of the Gigapay dialect (see NewGigapay).

// payoutCreates reads a payout-shaped body: one object, or an array of them
// (list true). Type errors come back as the dialect renders them, aligned
// with the items of an array.
func (c *gigapayCall) payoutCreates() (in []paykit.PayoutCreate, list bool, err error) {
	raw, err := c.readBody()
	if err != nil {
		return nil, false, err
	}
	items, list, err := objects(raw, true)
	if err != nil {
		return nil, list, err
	}
	v := &paykit.Validation{}
	for i, m := range items {
		prefix := ""
		if list {
			prefix = fmt.Sprintf("[%d].", i)
		}
		in = append(in, payoutCreate(c.newForm(m, prefix, v)))
	}
	if err := v.Err(); err != nil {
		if list {
			return nil, list, &bulkError{len(items), err}
		}
		return nil, list, err
	}
	if list && len(in) == 0 {
		return nil, list, invalidField("non_field_errors", "This list may not be empty.")
	}
	return in, list, nil
}

// payoutCreate reads one payout: its employee is an id (string or number) or
// an inline employee object.
func payoutCreate(f *form) paykit.PayoutCreate {
	pc := paykit.PayoutCreate{ID: f.str("id"), Amount: f.decimal("amount"), InvoicedAmount: f.decimal("invoiced_amount"),
		Cost: f.decimal("cost"), Currency: f.str("currency"), Description: f.str("description"),
		Metadata: f.raw("metadata"), StartAt: f.time("start_at"), EndAt: f.time("end_at")}
	if raw := bytes.TrimSpace(f.m["employee"]); len(raw) > 0 && raw[0] == '{' {
		sub, _, err := objects(raw, false)
		if err != nil {
			f.bad("employee", "Invalid data. Expected a dictionary.")
			return pc
		}
		e := employeeCreate(&form{m: sub[0], prefix: f.prefix + "employee.", v: f.v, empty: f.empty})
		pc.Employee = &e
	} else {
		pc.EmployeeID = f.str("employee")
		if f.empty[f.prefix+"employee"] == "blank" {
			// A relational field reads "" as null, as Django REST
			// Framework's do.
			f.arrived("employee", "null")
		}
	}
	return pc
}

// payout renders p with the expansions the call asks for.
func (c *gigapayCall) payout(p *paykit.Payout) (any, error) {
	var emp *paykit.Employee
	var inv *paykit.Invoice
	if c.expand["employee"] {
		e, err := cached(c, "employee:"+p.EmployeeID, func() (*paykit.Employee, error) {
			return c.svc.FindEmployeeByID(c.ctx, c.tenantID, p.EmployeeID)
		})
		if err != nil && paykit.ErrorCode(err) != paykit.ENOTFOUND {
			return nil, err
		}
		emp = e
	}
	if c.expand["invoice"] {
		i, err := cached(c, "invoice:"+p.InvoiceID, func() (*paykit.Invoice, error) {
			return c.svc.FindInvoiceByID(c.ctx, c.tenantID, p.InvoiceID)
		})
		if err != nil && paykit.ErrorCode(err) != paykit.ENOTFOUND {
			return nil, err
		}
		inv = i
	}
	return gigapayPayoutOf(p, emp, inv), nil
}

// cached loads an expanded object once per call.
func cached[T any](c *gigapayCall, key string, load func() (*T, error)) (*T, error) {
	if v, ok := c.cache[key].(*T); ok {
		return v, nil
	}
	v, err := load()
	if err == nil {
		c.cache[key] = v
	}
	return v, err
}

// payoutFilter reads the filters of /payouts/ and /pricing/.
func payoutFilter(c *gigapayCall) (paykit.PayoutFilter, error) {
	q := &query{q: c.r.URL.Query()}
	f := paykit.PayoutFilter{EmployeeID: q.str("employee"), InvoiceID: q.str("invoice"), Search: q.str("search"),
		StartAt: q.time("start_at"), EndAt: q.time("end_at"), CreatedAt: q.time("created_at"),
		NotifiedAt: q.time("notified_at"), AcceptedAt: q.time("accepted_at")}
	return f, q.v.Err()
}

func (g *gigapay) listPayouts(c *gigapayCall) (int, any, error) {
	f, err := payoutFilter(c)
	if err != nil {
		return 0, nil, err
	}
	return paginate(c, func(p paykit.ListPage) ([]*paykit.Payout, int, error) {
		f.ListPage = p
		return g.svc.FindPayouts(c.ctx, c.tenantID, f)
	}, payoutCursor, c.payout)
}

func payoutCursor(p *paykit.Payout) paykit.Cursor {
	return paykit.Cursor{CreatedAt: p.CreatedAt, UID: p.UID}
}

// createPayouts registers one payout (an object) or many (an array) on one
// invoice.
func (g *gigapay) createPayouts(c *gigapayCall) (int, any, error) {
	in, list, err := c.payoutCreates()
	if err != nil {
		return 0, nil, err
	}
	if !list {
		p, err := g.svc.CreatePayout(c.ctx, c.tenantID, in[0])
		if err != nil {
			return 0, nil, err
		}
		out, err := c.payout(p)
		return http.StatusCreated, out, err
	}
	ps, err := g.svc.CreatePayouts(c.ctx, c.tenantID, in)
	if err != nil {
		return 0, nil, &bulkError{len(in), err}
	}
	out := make([]any, len(ps))
	for i, p := range ps {
		if out[i], err = c.payout(p); err != nil {
			return 0, nil, err
		}
	}
	return http.StatusCreated, out, nil
}

func (g *gigapay) getPayout(c *gigapayCall) (int, any, error) {
	p, err := g.svc.FindPayoutByID(c.ctx, c.tenantID, c.r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	out, err := c.payout(p)
	return http.StatusOK, out, err
}

func (g *gigapay) resendPayout(c *gigapayCall) (int, any, error) {
	if _, err := c.readBody(); err != nil {
		return 0, nil, err
	}
	if err := g.svc.ResendPayout(c.ctx, c.tenantID, c.r.PathValue("id")); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

// Pricing.

func (g *gigapay) listPricing(c *gigapayCall) (int, any, error) {
	f, err := payoutFilter(c)
	if err != nil {
		return 0, nil, err
	}
	return paginate(c, func(p paykit.ListPage) ([]*paykit.Payout, int, error) {
		f.ListPage = p
		return g.svc.FindPayouts(c.ctx, c.tenantID, f)
	}, payoutCursor, func(p *paykit.Payout) (any, error) { return gigapayPricingOf(p.Pricing()), nil })
}

// pricePayouts is the calculator: a payout-shaped object or array in, its
// breakdown(s) out, with 200 since nothing is created.
func (g *gigapay) pricePayouts(c *gigapayCall) (int, any, error) {
	in, list, err := c.payoutCreates()
	if err != nil {
		return 0, nil, err
	}
	if !list {
		return ok(gigapayPricingOf)(g.svc.PricePayout(c.ctx, c.tenantID, in[0]))
	}
	ps, err := g.svc.PricePayouts(c.ctx, c.tenantID, in)
	if err != nil {
		return 0, nil, &bulkError{len(in), err}
	}
	out := make([]gigapayPricing, len(ps))
	for i, p := range ps {
		out[i] = gigapayPricingOf(p)
	}
	return http.StatusOK, out, nil
}

func (g *gigapay) getPricing(c *gigapayCall) (int, any, error) {
	p, err := g.svc.FindPayoutByID(c.ctx, c.tenantID, c.r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, gigapayPricingOf(p.Pricing()), nil
}
