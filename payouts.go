package paykit

// This file and its siblings hold the Gigapay nouns: integrations.go (the
// tenant of everything else), employees.go, invoices.go, pricing.go and here
// payouts, their lifecycle and PayoutStore (payouts_create.go creates them).
//
// Their JSON is paykit's canonical form (camelCase, Money as Money's JSON,
// RFC 3339 times), the snapshot an event records. Gigapay's wire objects
// (snake_case, money as decimal strings, times to the microsecond) are
// httpapi's: its Gigapay dialect renders them, webhook bodies included.

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

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
