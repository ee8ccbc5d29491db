package paykit

// This file and its siblings hold the Gigapay nouns: integrations.go (the
// tenant of everything else), employees.go, invoices.go, pricing.go and here
// payouts and PayoutStore.
//
// Their JSON is paykit's canonical form (camelCase, Money as Money's JSON,
// RFC 3339 times), the snapshot an event records. Gigapay's wire objects
// (snake_case, money as decimal strings, times to the microsecond) are
// httpapi's: its Gigapay dialect renders them, webhook bodies included.

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// PayoutStatus is where a payout is in its lifecycle. Gigapay's wire shows it
// as the *_at timestamps.
type PayoutStatus string

// Payout statuses, in the only order they can happen.
const (
	PayoutStatusCreated   PayoutStatus = "created"   // registered; its invoice may be unpaid
	PayoutStatusNotified  PayoutStatus = "notified"  // invoice paid and employee verified: the employee was told
	PayoutStatusAccepted  PayoutStatus = "accepted"  // the employee signed it
	PayoutStatusDisbursed PayoutStatus = "disbursed" // the money went out through the ledger
)

// Valid reports whether st is one of the payout statuses.
func (st PayoutStatus) Valid() bool {
	switch st {
	case PayoutStatusCreated, PayoutStatusNotified, PayoutStatusAccepted, PayoutStatusDisbursed:
		return true
	}
	return false
}

// payoutLifecycle is the payout lifecycle: strictly created → notified →
// accepted → disbursed.
var payoutLifecycle = lifecycle[PayoutStatus]{
	next: map[PayoutStatus][]PayoutStatus{
		PayoutStatusCreated:  {PayoutStatusNotified},
		PayoutStatusNotified: {PayoutStatusAccepted},
		PayoutStatusAccepted: {PayoutStatusDisbursed},
	},
	cannot:  "Payout %[1]q is %[2]s and cannot become %[3]s.",
	already: "Payout %[1]q is already %[3]s.",
}

// Events of payouts. A disbursement fires none: Gigapay documents none.
const (
	EventPayoutCreated  = "payout.created"
	EventPayoutNotified = "payout.notified" // the employee was told of it
	EventPayoutAccepted = "payout.accepted" // the employee signed it
)

// payoutEvents are the events of the moves movePayout makes.
var payoutEvents = map[PayoutStatus]string{
	PayoutStatusNotified: EventPayoutNotified,
	PayoutStatusAccepted: EventPayoutAccepted,
}

// Payout pays one employee for one gig. It joins its integration's open
// invoice; once that is paid and the employee verified, the employee is
// notified, accepts it, and Gigapay disburses it.
type Payout struct {
	UID            string          `json:"uid"`      // surrogate key: stable when the client changes ID
	TenantID       string          `json:"tenantId"` // the integration
	ID             string          `json:"id"`       // the client's id, unique per integration
	Basis          PricingBasis    `json:"basis"`
	Amount         Money           `json:"amount"`         // gross salary
	InvoicedAmount Money           `json:"invoicedAmount"` // amount + payroll
	Cost           Money           `json:"cost"`           // invoiced amount + fee: what the client pays
	Fee            Money           `json:"fee"`
	Payroll        Money           `json:"payroll"`
	Tax            Money           `json:"tax"`
	VAT            Money           `json:"vat"`
	Description    string          `json:"description"`
	EmployeeUID    string          `json:"employeeUid"`
	EmployeeID     string          `json:"employeeId"` // the employee's current client id
	InvoiceUID     string          `json:"invoiceUid"`
	InvoiceID      string          `json:"invoiceId"` // the invoice's current client id
	Metadata       json.RawMessage `json:"metadata"`
	StartAt        *time.Time      `json:"startAt,omitempty"`
	EndAt          *time.Time      `json:"endAt,omitempty"`
	Status         PayoutStatus    `json:"status"`
	CreatedAt      time.Time       `json:"createdAt"`
	NotifiedAt     *time.Time      `json:"notifiedAt,omitempty"`
	AcceptedAt     *time.Time      `json:"acceptedAt,omitempty"`
	DisbursedAt    *time.Time      `json:"disbursedAt,omitempty"`
	ResentAt       *time.Time      `json:"resentAt,omitempty"` // the last time the client had the notification resent
	UpdatedAt      time.Time       `json:"updatedAt"`
}

// FullSalarySpecification reports whether the payslip shows payroll taxes and
// the fee: false when the client gave amount, true otherwise.
func (p *Payout) FullSalarySpecification() bool { return p.Basis != PricingBasisAmount }

// Pricing returns p's price breakdown.
func (p *Payout) Pricing() *Pricing {
	return &Pricing{ID: p.ID, Amount: p.Amount, InvoicedAmount: p.InvoicedAmount, Cost: p.Cost,
		Fee: p.Fee, Payroll: p.Payroll, Tax: p.Tax, VAT: p.VAT, Metadata: p.Metadata}
}

// PayoutCreate is the input of CreatePayout and PricePayout. Exactly one of
// Amount, InvoicedAmount and Cost is given; the other two are computed by
// pricing. The employee is either referred to by EmployeeID or given inline.
type PayoutCreate struct {
	ID             string           `json:"id"` // optional: a UUID by default
	Amount         *decimal.Decimal `json:"amount"`
	InvoicedAmount *decimal.Decimal `json:"invoicedAmount"`
	Cost           *decimal.Decimal `json:"cost"`
	Currency       string           `json:"currency"`
	Description    string           `json:"description"` // shown to the employee; at most 255 characters
	EmployeeID     string           `json:"employeeId"`
	// Employee is an inline employee: an existing one is reused when one has
	// its id, or else (without an id) its email, or else its cellphone number;
	// otherwise it is created (employee.created).
	Employee *EmployeeCreate `json:"employee,omitempty"`
	Metadata json.RawMessage `json:"metadata"`
	StartAt  *time.Time      `json:"startAt"`
	EndAt    *time.Time      `json:"endAt"`
}

// PayoutFilter selects payouts; nil fields match all. Lists are newest first.
type PayoutFilter struct {
	EmployeeID  *string // the employee's client id
	EmployeeUID *string
	InvoiceID   *string // the invoice's client id
	InvoiceUID  *string
	Status      *PayoutStatus
	Search      *string // part of the description, or of the employee's name, email or cellphone number
	StartAt     TimeFilter
	EndAt       TimeFilter
	CreatedAt   TimeFilter
	NotifiedAt  TimeFilter
	AcceptedAt  TimeFilter
	ListPage
}

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
	integ, err := tx.FindIntegrationByID(ctx, tenantID)
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
	p := &Payout{UID: newID(), TenantID: integ.ID, ID: pc.ID, Description: strings.TrimSpace(pc.Description),
		Status: PayoutStatusCreated}
	if p.ID == "" {
		p.ID = newID()
	} else if err := checkClientID(prefix+"id", p.ID); err != nil {
		v.Add(prefix+"id", ErrorMessage(err))
	} else if ids != nil {
		if ids[p.ID] {
			v.Add(prefix+"id", "This id is taken by another payout.")
		} else {
			checkIDFree(ctx, v, prefix+"id", "payout", func() error { _, err := tx.FindPayoutByID(ctx, integ.ID, p.ID); return err })
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
		e, err := s.matchEmployee(ctx, tx, integ.ID, *pc.Employee)
		if err != nil {
			return nil, nil, err
		}
		if e == nil {
			e = s.checkEmployeeCreate(ctx, tx, integ.ID, *pc.Employee, prefix+"employee.", v)
			newEmp = e
		}
		p.EmployeeUID, p.EmployeeID = e.UID, e.ID
	case pc.EmployeeID == "":
		v.Add(prefix+"employeeId", msgRequired)
	default:
		e, err := tx.FindEmployeeByID(ctx, integ.ID, pc.EmployeeID)
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

// FindPayoutByID returns the integration's payout with the client id id.
// Returns ENOTFOUND.
func (s *Service) FindPayoutByID(ctx context.Context, tenantID, id string) (*Payout, error) {
	return s.store.FindPayoutByID(ctx, tenantID, id)
}

// FindPayouts returns a page of the integration's payouts, newest first, and
// how many f selects in all. Returns EINVALID (on "employeeId" or "invoiceId")
// when f names an employee or invoice, by client id, that does not exist.
func (s *Service) FindPayouts(ctx context.Context, tenantID string, f PayoutFilter) ([]*Payout, int, error) {
	var v Validation
	if f.EmployeeID != nil {
		if _, err := s.store.FindEmployeeByID(ctx, tenantID, *f.EmployeeID); ErrorCode(err) == ENOTFOUND {
			v.Add("employeeId", "No employee has this id.")
		} else if err != nil {
			return nil, 0, err
		}
	}
	if f.InvoiceID != nil {
		if _, err := s.store.FindInvoiceByID(ctx, tenantID, *f.InvoiceID); ErrorCode(err) == ENOTFOUND {
			v.Add("invoiceId", "No invoice has this id.")
		} else if err != nil {
			return nil, 0, err
		}
	}
	if err := v.Err(); err != nil {
		return nil, 0, err
	}
	f.Limit = clampLimit(f.Limit)
	return s.store.FindPayouts(ctx, tenantID, f)
}

// DeletePayout deletes a payout whose invoice is unpaid, taking its cost off
// the invoice's price. Returns ENOTFOUND, and EFORBIDDEN once the invoice is
// paid.
func (s *Service) DeletePayout(ctx context.Context, tenantID, id string) error {
	_, err := write(ctx, s, tenantID, "payout.delete", id, func(tx Tx, now time.Time) (struct{}, error) {
		p, err := tx.FindPayoutByID(ctx, tenantID, id)
		if err != nil {
			return struct{}{}, err
		}
		inv, err := tx.FindInvoiceByUID(ctx, tenantID, p.InvoiceUID)
		if err != nil {
			return struct{}{}, fmt.Errorf("invoice of payout %s: %w", p.UID, err)
		}
		if inv.PaidAt != nil {
			return struct{}{}, Errorf(EFORBIDDEN, "Payout %q cannot be deleted: its invoice %q is paid.", p.ID, inv.ID)
		}
		inv.Price, inv.UpdatedAt = sub(inv.Price, p.Cost), now
		if err := tx.UpdateInvoice(ctx, inv); err != nil {
			return struct{}{}, err
		}
		return struct{}{}, tx.DeletePayout(ctx, tenantID, p.UID)
	})
	return err
}

// ResendPayout has Gigapay notify the employee of a payout again, at most once
// per ResendInterval by the Clock, counted from the last notification. It
// fires no event: none is documented. Returns ENOTFOUND, ECONFLICT unless the
// payout is notified and not yet accepted, and ELIMIT within the interval.
func (s *Service) ResendPayout(ctx context.Context, tenantID, id string) error {
	_, err := write(ctx, s, tenantID, "payout.resend", id, func(tx Tx, now time.Time) (struct{}, error) {
		p, err := tx.FindPayoutByID(ctx, tenantID, id)
		if err != nil {
			return struct{}{}, err
		}
		switch p.Status {
		case PayoutStatusCreated:
			return struct{}{}, Errorf(ECONFLICT, "The employee has not been notified of payout %q yet: its invoice must be paid and the employee verified first.", p.ID)
		case PayoutStatusAccepted, PayoutStatusDisbursed:
			return struct{}{}, Errorf(ECONFLICT, "Payout %q was already accepted.", p.ID)
		}
		if err := checkResend("notification", now, p.NotifiedAt, p.ResentAt); err != nil {
			return struct{}{}, err
		}
		p.ResentAt, p.UpdatedAt = &now, now
		return struct{}{}, tx.UpdatePayout(ctx, p)
	})
	return err
}

// notifyPayouts notifies every created payout f selects whose invoice is paid
// and whose employee is verified, firing payout.notified for each.
func (s *Service) notifyPayouts(ctx context.Context, tx Tx, now time.Time, tenantID string, f PayoutFilter) error {
	created := PayoutStatusCreated
	f.Status, f.Limit = &created, MaxLimit
	for {
		ps, _, err := tx.FindPayouts(ctx, tenantID, f)
		if err != nil {
			return err
		}
		for _, p := range ps {
			inv, err := tx.FindInvoiceByUID(ctx, tenantID, p.InvoiceUID)
			if err != nil {
				return fmt.Errorf("invoice of payout %s: %w", p.UID, err)
			}
			e, err := tx.FindEmployeeByUID(ctx, tenantID, p.EmployeeUID)
			if err != nil {
				return fmt.Errorf("employee of payout %s: %w", p.UID, err)
			}
			if inv.PaidAt == nil || e.Status != EmployeeStatusVerified {
				continue
			}
			if err := s.movePayout(ctx, tx, now, p, PayoutStatusNotified); err != nil {
				return err
			}
		}
		if len(ps) < f.Limit {
			return nil
		}
		last := ps[len(ps)-1]
		f.After = &Cursor{CreatedAt: last.CreatedAt, UID: last.UID}
	}
}

// AcceptPayout records that the employee signed and accepted a payout, and
// fires payout.accepted. Only a notified payout can be accepted, which means
// its invoice is paid and its employee verified. Returns ENOTFOUND and
// ECONFLICT.
func (s *Service) AcceptPayout(ctx context.Context, tenantID, id string) (*Payout, error) {
	return write(ctx, s, tenantID, "payout.accept", id, func(tx Tx, now time.Time) (*Payout, error) {
		p, err := tx.FindPayoutByID(ctx, tenantID, id)
		if err != nil {
			return nil, err
		}
		if p.Status == PayoutStatusCreated {
			return nil, Errorf(ECONFLICT, "Payout %q cannot be accepted before the employee is notified of it: its invoice must be paid and the employee verified.", p.ID)
		}
		return p, s.movePayout(ctx, tx, now, p, PayoutStatusAccepted)
	})
}

// DisbursePayout pays out an accepted payout through the ledger, from the
// money its invoice brought in: amount less income tax to the employee's
// account, and the income tax, payroll taxes and fee each to the integration's
// account for them. Gigapay documents no event for it, so none fires; the
// payout records when it happened (DisbursedAt). Returns ENOTFOUND and
// ECONFLICT.
func (s *Service) DisbursePayout(ctx context.Context, tenantID, id string) (*Payout, error) {
	return write(ctx, s, tenantID, "payout.disburse", id, func(tx Tx, now time.Time) (*Payout, error) {
		p, err := tx.FindPayoutByID(ctx, tenantID, id)
		if err != nil {
			return nil, err
		}
		if err := payoutLifecycle.check(p.ID, p.Status, PayoutStatusDisbursed); err != nil {
			return nil, err
		}
		c := p.Amount.Currency
		client, err := s.ledgerAccount(ctx, tx, now, tenantID, accountCodeGigapayClient, c, "")
		if err != nil {
			return nil, err
		}
		legs := []struct {
			code, user string
			m          Money
		}{
			{"employee:" + p.EmployeeUID, p.EmployeeUID, p.Pricing().Net()},
			{accountCodeIncomeTax, "", p.Tax},
			{accountCodePayrollTax, "", p.Payroll},
			{accountCodeGigapayFee, "", p.Fee},
		}
		for _, l := range legs {
			if l.m.Minor() == 0 {
				continue
			}
			to, err := s.ledgerAccount(ctx, tx, now, tenantID, l.code, c, l.user)
			if err != nil {
				return nil, err
			}
			t := &Transfer{Amount: l.m.Minor(), Currency: c, Status: TransferStatusPosted,
				Kind: "payout_disbursement", Ref: p.UID}
			if err := s.transfer(ctx, tx, now, t, client, to); err != nil {
				return nil, fmt.Errorf("disburse payout %s: %w", p.UID, err)
			}
		}
		p.Status, p.DisbursedAt, p.UpdatedAt = PayoutStatusDisbursed, &now, now
		return p, tx.UpdatePayout(ctx, p)
	})
}

// movePayout moves p to `to` (notified or accepted), sets the step's timestamp,
// writes p and fires its event (payoutEvents).
func (s *Service) movePayout(ctx context.Context, tx Tx, now time.Time, p *Payout, to PayoutStatus) error {
	if err := payoutLifecycle.check(p.ID, p.Status, to); err != nil {
		return err
	}
	typ, err := eventOf(payoutEvents, "payout "+p.ID, to)
	if err != nil {
		return err
	}
	switch to {
	case PayoutStatusNotified:
		p.NotifiedAt = &now
	case PayoutStatusAccepted:
		p.AcceptedAt = &now
	}
	p.Status, p.UpdatedAt = to, now
	if err := tx.UpdatePayout(ctx, p); err != nil {
		return err
	}
	return s.appendEvent(ctx, tx, now, p.TenantID, typ, p.UID, p)
}

// Ledger accounts of an integration, one per currency each. Employees get a
// user account each, coded "employee:<uid>".
const (
	accountCodeGigapayClient = "gigapay_client" // the client's money, paid in by invoices
	accountCodeIncomeTax     = "income_tax"     // preliminary income tax withheld for employees
	accountCodePayrollTax    = "payroll_tax"    // the employer's social contributions
	accountCodeGigapayFee    = "gigapay_fee"    // Gigapay's fees
)

// ledgerAccount returns the integration's account with code in currency c,
// opening it on first use: a user account when user (an employee's UID) is set,
// else a system account.
func (s *Service) ledgerAccount(ctx context.Context, tx Tx, now time.Time, tenantID, code string, c Currency, user string) (*Account, error) {
	if user == "" {
		return s.systemAccount(ctx, tx, now, tenantID, code, c)
	}
	a, err := tx.FindAccountByCode(ctx, tenantID, code, c)
	if ErrorCode(err) != ENOTFOUND {
		return a, err
	}
	a = &Account{ID: newID(), TenantID: tenantID, Kind: AccountKindUser, Currency: c, Code: code, Name: code,
		UserIdentityID: user, CreatedAt: now, UpdatedAt: now}
	return a, tx.CreateAccount(ctx, a)
}

// PayoutStore reads payouts (see Store for the contract every method
// follows). Employees, invoices and payouts have a surrogate UID and a client
// ID unique per tenant; references between them are by UID, so changing a
// client ID is one update. Their lists are newest first, by (CreatedAt, UID),
// and also return how many rows the filter selects in all.
type PayoutStore interface {
	FindPayoutByUID(ctx context.Context, tenantID, uid string) (*Payout, error)
	FindPayoutByID(ctx context.Context, tenantID, id string) (*Payout, error)
	FindPayouts(ctx context.Context, tenantID string, f PayoutFilter) ([]*Payout, int, error)
}

// PayoutTx writes payouts.
type PayoutTx interface {
	// CreatePayout inserts p; ECONFLICT when its UID, or its ID in its tenant,
	// is taken.
	CreatePayout(ctx context.Context, p *Payout) error
	// UpdatePayout writes Status, NotifiedAt, AcceptedAt, DisbursedAt, ResentAt
	// and UpdatedAt.
	UpdatePayout(ctx context.Context, p *Payout) error
	DeletePayout(ctx context.Context, tenantID, uid string) error
}
