package paykit

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// Creating payouts: one or a batch, validated and priced, on the
// integration's open invoice (payouts.go holds the noun and its lifecycle).

// MaxPayoutBatch is the most payouts one CreatePayouts or PricePayouts call
// takes.
const MaxPayoutBatch = 1000

func checkBatch(n int) error {
	switch {
	case n == 0:
		return invalid(FieldInput, "Give at least one payout.")
	case n > MaxPayoutBatch:
		return invalid(FieldInput, "A batch holds at most %d payouts.", MaxPayoutBatch)
	}
	return nil
}

// micro returns t in UTC to the microsecond, or nil.
func micro(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.UTC().Truncate(time.Microsecond)
	return &v
}

func itemPrefix(indexed bool, i int) string {
	if !indexed {
		return ""
	}
	return fmt.Sprintf("[%d].", i)
}

// CreatePayout registers a payout: it joins the integration's open invoice in
// its currency, or opens one (invoice.created), and fires payout.created. An
// inline employee that matches none is created first (employee.created).
// Without invoice batching (the default) the invoice is closed when the call
// ends, so each call gets an invoice of its own. Returns EINVALID (fields named
// as PayoutCreate's JSON: "invoicedAmount", "employee.name", FieldInput) and
// ENOTFOUND for an unknown integration.
func (s *Service) CreatePayout(ctx context.Context, tenantID string, in PayoutCreate) (*Payout, error) {
	return write(ctx, s, tenantID, "payout.create", in, func(tx Tx, now time.Time) (*Payout, error) {
		ps, err := s.createPayouts(ctx, tx, now, tenantID, []PayoutCreate{in}, false)
		if err != nil {
			return nil, err
		}
		return ps[0], nil
	})
}

// CreatePayouts registers up to MaxPayoutBatch payouts, all or nothing, on one
// invoice: they must share a currency. Errors name fields by index
// ("[2].amount").
func (s *Service) CreatePayouts(ctx context.Context, tenantID string, in []PayoutCreate) ([]*Payout, error) {
	if err := checkBatch(len(in)); err != nil {
		return nil, err
	}
	return write(ctx, s, tenantID, "payout.create_bulk", in, func(tx Tx, now time.Time) ([]*Payout, error) {
		return s.createPayouts(ctx, tx, now, tenantID, in, true)
	})
}

func (s *Service) createPayouts(ctx context.Context, tx Tx, now time.Time, tenantID string, in []PayoutCreate, indexed bool) ([]*Payout, error) {
	integ, err := tx.FindIntegrationOfTenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	var v Validation
	ids := map[string]bool{}
	ps := make([]*Payout, 0, len(in))
	for i, pc := range in {
		prefix := itemPrefix(indexed, i)
		p, newEmp, err := s.checkPayout(ctx, tx, now, integ, pc, prefix, &v, ids)
		if err != nil {
			return nil, err
		}
		if p == nil {
			continue
		}
		if len(ps) > 0 && p.Amount.Currency != ps[0].Amount.Currency {
			v.Add(prefix+"currency", "All payouts of one request go on one invoice and must share its currency.")
			continue
		}
		// An inline employee is created now, so that a later item of the same
		// request matches it instead of creating it twice.
		if newEmp != nil {
			if err := s.createEmployee(ctx, tx, now, newEmp); err != nil {
				return nil, err
			}
		}
		ps = append(ps, p)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}

	inv, opened, err := s.openInvoice(ctx, tx, now, integ, ps[0].Amount.Currency)
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		inv.Price = inv.Price.Add(p.Cost)
	}
	if !integ.InvoiceBatching {
		inv.Open = false
	}
	inv.UpdatedAt = now
	if err := tx.UpdateInvoice(ctx, inv); err != nil {
		return nil, err
	}
	if opened {
		if err := s.appendEvent(ctx, tx, now, tenantID, EventInvoiceCreated, inv.UID, inv); err != nil {
			return nil, err
		}
	}
	for _, p := range ps {
		p.InvoiceUID, p.InvoiceID = inv.UID, inv.ID
		p.CreatedAt, p.UpdatedAt = now, now
		if err := tx.CreatePayout(ctx, p); err != nil {
			return nil, err
		}
		if err := s.appendEvent(ctx, tx, now, tenantID, EventPayoutCreated, p.UID, p); err != nil {
			return nil, err
		}
	}
	return ps, nil
}

// checkPayout validates and prices pc for integ into v, with its fields
// prefixed, and resolves its employee. It returns nil when pc is invalid, and
// the inline employee to create, if any. ids collects the payout ids of the
// request so far (nil: not checked, as when only pricing).
func (s *Service) checkPayout(ctx context.Context, tx Store, now time.Time, integ *Integration, pc PayoutCreate, prefix string, v *Validation, ids map[string]bool) (*Payout, *Employee, error) {
	bad := len(v.fields)
	p := &Payout{UID: newID(), TenantID: integ.TenantID, ID: pc.ID, Description: strings.TrimSpace(pc.Description),
		Status: PayoutStatusCreated}
	if p.ID == "" {
		p.ID = newID()
	} else if err := checkClientID(prefix+"id", p.ID); err != nil {
		v.Add(prefix+"id", ErrorMessage(err))
	} else if ids != nil {
		if ids[p.ID] {
			v.Add(prefix+"id", "This id is taken by another payout.")
		} else {
			checkIDFree(ctx, v, prefix+"id", "payout", func() error { _, err := tx.FindPayoutByID(ctx, integ.TenantID, p.ID); return err })
		}
		ids[p.ID] = true
	}

	c, err := ParseCurrency(prefix+"currency", pc.Currency)
	if err != nil {
		v.Add(prefix+"currency", ErrorMessage(err))
	}
	var basis PricingBasis
	var value decimal.Decimal
	given := 0
	for _, b := range []struct {
		basis PricingBasis
		d     *decimal.Decimal
	}{{PricingBasisAmount, pc.Amount}, {PricingBasisInvoicedAmount, pc.InvoicedAmount}, {PricingBasisCost, pc.Cost}} {
		if b.d != nil {
			given++
			basis, value = b.basis, *b.d
		}
	}
	if given != 1 {
		v.Add(prefix+FieldInput, "Exactly one of amount, invoicedAmount and cost is required.")
	} else if err == nil {
		pr, err := Price(basis, value, c, s.ratesFor(integ))
		if err != nil {
			v.Add(prefix+basis.field(), ErrorMessage(err))
		} else {
			p.Basis, p.Amount, p.InvoicedAmount, p.Cost = basis, pr.Amount, pr.InvoicedAmount, pr.Cost
			p.Fee, p.Payroll, p.Tax, p.VAT = pr.Fee, pr.Payroll, pr.Tax, pr.VAT
		}
	}

	switch {
	case p.Description == "":
		v.Add(prefix+"description", msgRequired)
	case utf8.RuneCountInString(p.Description) > maxName:
		v.Add(prefix+"description", msgMaxName)
	}
	p.Metadata = checkMetadata(v, prefix+"metadata", pc.Metadata)
	p.StartAt, p.EndAt = micro(pc.StartAt), micro(pc.EndAt)
	if p.StartAt != nil && p.EndAt != nil && p.EndAt.Before(*p.StartAt) {
		v.Add(prefix+"endAt", "The gig cannot end before it starts.")
	}

	var newEmp *Employee
	switch {
	case pc.Employee != nil:
		e, err := s.matchEmployee(ctx, tx, integ.TenantID, *pc.Employee)
		if err != nil {
			return nil, nil, err
		}
		if e == nil {
			e = s.checkEmployeeCreate(ctx, tx, integ.TenantID, *pc.Employee, prefix+"employee.", v)
			newEmp = e
		}
		p.EmployeeUID, p.EmployeeID = e.UID, e.ID
	case pc.EmployeeID == "":
		v.Add(prefix+"employeeId", msgRequired)
	default:
		e, err := tx.FindEmployeeByID(ctx, integ.TenantID, pc.EmployeeID)
		switch ErrorCode(err) {
		case "":
			p.EmployeeUID, p.EmployeeID = e.UID, e.ID
		case ENOTFOUND:
			v.Add(prefix+"employeeId", fmt.Sprintf("No employee has the id %q.", pc.EmployeeID))
		default:
			return nil, nil, err
		}
	}
	if len(v.fields) > bad {
		return nil, nil, nil
	}
	return p, newEmp, nil
}
