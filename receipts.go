package paykit

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Receipts are sales receipts (recibos de venta): a team's record of a sale,
// which its client may have invoiced (stamped into a tax invoice) until the
// receipt's ValidUntil. One made by a charge's forceReceipt waits for the
// charge to be paid. A receipt that lapses is expired, by the Clock: a read
// never shows it live, and the expiry sweep of RunDue persists it.
//
// Lifecycle:
//
//	pending ──paid──▶ open ──stamp──▶ invoiced
//	   │               ├──complete─▶ completed ◀── expired
//	   │               │                            ▲
//	   └───────────────┴──ValidUntil────────────────┘
//	pending, open, expired ──delete──▶ canceled
//
// completed is a receipt closed without an invoice of its own (its sale goes
// into the team's global invoice of the period).

// ReceiptStatus is where a receipt is in its lifecycle.
type ReceiptStatus string

// Receipt statuses.
const (
	ReceiptStatusPending   ReceiptStatus = "pending"   // its charge is not paid yet
	ReceiptStatusOpen      ReceiptStatus = "open"      // paid: the client may have it invoiced
	ReceiptStatusInvoiced  ReceiptStatus = "invoiced"  // stamped into a tax invoice
	ReceiptStatusCompleted ReceiptStatus = "completed" // closed without an invoice of its own
	ReceiptStatusExpired   ReceiptStatus = "expired"   // ValidUntil passed before it was invoiced
	ReceiptStatusCanceled  ReceiptStatus = "canceled"  // deleted, or its charge was canceled
)

var receiptStatuses = []ReceiptStatus{ReceiptStatusPending, ReceiptStatusOpen, ReceiptStatusInvoiced,
	ReceiptStatusCompleted, ReceiptStatusExpired, ReceiptStatusCanceled}

// ParseReceiptStatus returns the ReceiptStatus s names, exactly. It returns
// EINVALID naming field for any other s.
func ParseReceiptStatus(field, s string) (ReceiptStatus, error) {
	return parseEnum(field, "Status", s, receiptStatuses)
}

// receiptLifecycle is the receipt lifecycle (see the diagram above).
var receiptLifecycle = lifecycle[ReceiptStatus]{
	next: map[ReceiptStatus][]ReceiptStatus{
		ReceiptStatusPending: {ReceiptStatusOpen, ReceiptStatusExpired, ReceiptStatusCanceled},
		ReceiptStatusOpen:    {ReceiptStatusInvoiced, ReceiptStatusCompleted, ReceiptStatusExpired, ReceiptStatusCanceled},
		ReceiptStatusExpired: {ReceiptStatusCompleted, ReceiptStatusCanceled},
	},
	cannot: "Receipt %[1]s is %[2]s and cannot become %[3]s.",
}

// Events of receipts.
const (
	EventReceiptCreated   = "receipt.created"
	EventReceiptUpdated   = "receipt.updated"   // changed, paid (open) or expired
	EventReceiptCompleted = "receipt.completed" // invoiced or completed: done with
	EventReceiptDeleted   = "receipt.deleted"   // canceled
)

// receiptEvents are the events of a receipt's moves.
var receiptEvents = map[ReceiptStatus]string{
	ReceiptStatusOpen:      EventReceiptUpdated,
	ReceiptStatusExpired:   EventReceiptUpdated,
	ReceiptStatusInvoiced:  EventReceiptCompleted,
	ReceiptStatusCompleted: EventReceiptCompleted,
	ReceiptStatusCanceled:  EventReceiptDeleted,
}

// Receipt is a sales receipt of a team.
type Receipt struct {
	ID       string          `json:"id"`
	TenantID string          `json:"tenantId"`
	Status   ReceiptStatus   `json:"status"`
	ClientID string          `json:"clientId,omitempty"` // "" for the general public
	Client   *Client         `json:"client,omitempty"`   // as it was when given
	Currency Currency        `json:"currency"`
	Exchange decimal.Decimal `json:"exchange"`
	Items    []ChargeItem    `json:"items"`
	LineSums
	PaymentForm string          `json:"paymentForm"`         // c_FormaPago; "" until known
	PaymentID   string          `json:"paymentId,omitempty"` // the charge that made it
	InvoiceID   string          `json:"invoiceId,omitempty"` // the tax invoice it was stamped into
	ValidUntil  time.Time       `json:"validUntil"`          // it expires at this instant
	Metadata    json.RawMessage `json:"metadata"`
	CreatedAt   time.Time       `json:"createdAt"`
	UpdatedAt   time.Time       `json:"updatedAt"`
}

// ReceiptCreate is the input of CreateReceipt.
type ReceiptCreate struct {
	// ClientID or Client, or neither for the general public.
	ClientID    string            `json:"clientId"`
	Client      *ClientCreate     `json:"client"`
	Items       []ChargeItemInput `json:"items"`
	Currency    string            `json:"currency"` // MXN (default), USD or EUR
	Exchange    *decimal.Decimal  `json:"exchange"`
	PaymentForm string            `json:"paymentForm"` // how it was paid (c_FormaPago)
	ValidUntil  *time.Time        `json:"validUntil"`  // default the end of the month, in Mexico City
	Metadata    json.RawMessage   `json:"metadata"`
}

// ReceiptUpdate is the input of UpdateReceipt; nil fields are left as they
// are. The fields change while the receipt is pending or open; Status may
// only be completed.
type ReceiptUpdate struct {
	ClientID    *string          `json:"clientId"`
	ValidUntil  *time.Time       `json:"validUntil"`
	PaymentForm *string          `json:"paymentForm"`
	Metadata    *json.RawMessage `json:"metadata"`
	Status      *ReceiptStatus   `json:"status"`
}

// ReceiptStamp is the input of StampReceipt: who the invoice is for (the
// receipt's client when neither is given) and how the sale was paid (the
// receipt's payment form when empty).
type ReceiptStamp struct {
	ClientID    string        `json:"clientId"`
	Client      *ClientCreate `json:"client"`
	PaymentForm string        `json:"paymentForm"`
	Use         string        `json:"use"`
	Series      string        `json:"series"`
}

// ReceiptFilter selects receipts; nil fields match all. They are listed
// newest first, each as it stands at the time of the read.
type ReceiptFilter struct {
	Status    *ReceiptStatus
	ClientID  *string
	PaymentID *string
	// At is when Status is compared: a pending or open receipt whose
	// ValidUntil is not after At is expired. The Service sets it.
	At    time.Time
	After string // keyset cursor: the ID of the last receipt of the previous page
	Limit int
}

// mexicoCity is the time zone of Mexico's center, UTC−6 all year since
// 2022: where the month of a receipt ends and an invoice's date is told.
var mexicoCity = time.FixedZone("CST", -6*60*60)

// endOfMonth returns the first instant of the month after t's, in Mexico City.
func endOfMonth(t time.Time) time.Time {
	l := t.In(mexicoCity)
	return time.Date(l.Year(), l.Month()+1, 1, 0, 0, 0, 0, mexicoCity).UTC()
}

// expiredAt reports whether r is past its validity at now: a pending or open
// receipt expires at the instant ValidUntil.
func (r *Receipt) expiredAt(now time.Time) bool {
	return (r.Status == ReceiptStatusPending || r.Status == ReceiptStatusOpen) && !now.Before(r.ValidUntil)
}

// asOf returns r as it stands at now: a read never shows a receipt as live
// after its ValidUntil, even before the sweep persists its expiry.
func (r *Receipt) asOf(now time.Time) *Receipt {
	if r.expiredAt(now) {
		c := *r
		c.Status, c.UpdatedAt = ReceiptStatusExpired, r.ValidUntil
		return &c
	}
	return r
}

// moveReceipt changes r's status, writes it and fires its event.
func (s *Service) moveReceipt(ctx context.Context, tx Tx, now time.Time, r *Receipt, to ReceiptStatus) error {
	if err := receiptLifecycle.check(r.ID, r.Status, to); err != nil {
		return err
	}
	typ, err := eventOf(receiptEvents, "receipt "+r.ID, to)
	if err != nil {
		return err
	}
	r.Status, r.UpdatedAt = to, now
	if to == ReceiptStatusExpired {
		r.UpdatedAt = r.ValidUntil // it expired then, whenever the sweep ran
	}
	if err := tx.UpdateReceipt(ctx, r); err != nil {
		return err
	}
	return s.appendEvent(ctx, tx, now, r.TenantID, typ, r.ID, r)
}

// liveReceipt loads one of the tenant's receipts in tx, persisting its expiry
// first when it is past its ValidUntil at now.
func (s *Service) liveReceipt(ctx context.Context, tx Tx, now time.Time, tenantID, id string) (*Receipt, error) {
	r, err := tx.FindReceiptByID(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	if r.expiredAt(now) {
		if err := s.moveReceipt(ctx, tx, now, r, ReceiptStatusExpired); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// createReceipt inserts r and fires receipt.created, in the caller's
// transaction.
func (s *Service) createReceipt(ctx context.Context, tx Tx, now time.Time, r *Receipt) error {
	r.ID, r.CreatedAt, r.UpdatedAt = newID(), now, now
	if r.ValidUntil.IsZero() {
		r.ValidUntil = endOfMonth(now)
	}
	if len(r.Metadata) == 0 {
		r.Metadata = json.RawMessage(`{}`)
	}
	if err := tx.CreateReceipt(ctx, r); err != nil {
		return err
	}
	return s.appendEvent(ctx, tx, now, r.TenantID, EventReceiptCreated, r.ID, r)
}

// CreateReceipt records a paid sale of the tenant's team: the receipt is open
// until ValidUntil. Returns EINVALID (the client not found is one, on
// clientId).
func (s *Service) CreateReceipt(ctx context.Context, tenantID string, in ReceiptCreate) (*Receipt, error) {
	var v Validation
	tmpl := Receipt{TenantID: tenantID, Status: ReceiptStatusOpen, PaymentForm: strings.TrimSpace(in.PaymentForm)}
	switch {
	case in.ClientID != "" && in.Client != nil:
		v.Add("client", "Give either clientId or client, not both.")
	case in.Client != nil && in.Client.ID == "":
		var cv Validation
		newClient(&cv, "client.", tenantID, in.Client)
		for f, m := range ErrorFields(cv.Err()) {
			v.Add(f, m)
		}
	}
	if tmpl.PaymentForm != "" {
		if err := CheckPaymentForm("paymentForm", tmpl.PaymentForm); err != nil {
			v.Add("paymentForm", ErrorMessage(err))
		}
	}
	if in.ValidUntil != nil {
		tmpl.ValidUntil = in.ValidUntil.UTC().Truncate(time.Microsecond) // checked against the transaction's now
	}
	doc, err := s.priceDocument(ctx, &v, tenantID, "A receipt", in.Metadata, in.Currency, in.Exchange, in.Items)
	if err != nil {
		return nil, err
	}
	tmpl.Metadata, tmpl.Currency, tmpl.Exchange, tmpl.Items, tmpl.LineSums = doc.Metadata, doc.Currency, doc.Exchange, doc.Items, doc.LineSums
	return write(ctx, s, tenantID, "receipt.create", in, func(tx Tx, now time.Time) (*Receipt, error) {
		r := tmpl
		if in.ClientID != "" || in.Client != nil {
			c, err := s.resolveClient(ctx, tx, now, tenantID, clientRef{ID: in.ClientID, New: in.Client, From: "receipt"})
			if err != nil {
				return nil, err
			}
			r.ClientID, r.Client = c.ID, c
		}
		if !r.ValidUntil.IsZero() && !r.ValidUntil.After(now) {
			return nil, invalid("validUntil", "validUntil must be in the future.")
		}
		return &r, s.createReceipt(ctx, tx, now, &r)
	})
}

// FindReceiptByID returns one of the tenant's receipts as it stands now.
// Returns ENOTFOUND.
func (s *Service) FindReceiptByID(ctx context.Context, tenantID, id string) (*Receipt, error) {
	r, err := s.store.FindReceiptByID(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	return r.asOf(s.now()), nil
}

// FindReceipts lists the tenant's receipts newest first, each as it stands
// now, and how many the filter selects in all.
func (s *Service) FindReceipts(ctx context.Context, tenantID string, f ReceiptFilter) ([]*Receipt, int, error) {
	f.Limit, f.At = clampLimit(f.Limit), s.now()
	rs, n, err := s.store.FindReceipts(ctx, tenantID, f)
	if err != nil {
		return nil, 0, err
	}
	for i := range rs {
		rs[i] = rs[i].asOf(f.At)
	}
	return rs, n, nil
}

// UpdateReceipt changes the fields of upd that are set, while the receipt is
// pending or open, or completes it. Returns ENOTFOUND, EINVALID and ECONFLICT.
func (s *Service) UpdateReceipt(ctx context.Context, tenantID, id string, upd ReceiptUpdate) (*Receipt, error) {
	var v Validation
	if upd.Status != nil && *upd.Status != ReceiptStatusCompleted {
		v.Add("status", "A receipt's status can only be set to completed.")
	}
	if upd.PaymentForm != nil && *upd.PaymentForm != "" {
		if err := CheckPaymentForm("paymentForm", *upd.PaymentForm); err != nil {
			v.Add("paymentForm", ErrorMessage(err))
		}
	}
	var meta json.RawMessage
	if upd.Metadata != nil {
		meta = checkMetadata(&v, "metadata", *upd.Metadata)
		if !v.Has("metadata") && !isJSONObject(meta) {
			v.Add("metadata", "Metadata must be a JSON object.")
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	fields := upd.ClientID != nil || upd.ValidUntil != nil || upd.PaymentForm != nil || upd.Metadata != nil
	return write(ctx, s, tenantID, "receipt.update", struct {
		ID  string
		Upd ReceiptUpdate
	}{id, upd}, func(tx Tx, now time.Time) (*Receipt, error) {
		r, err := s.liveReceipt(ctx, tx, now, tenantID, id)
		if err != nil {
			return nil, err
		}
		if fields {
			if r.Status != ReceiptStatusPending && r.Status != ReceiptStatusOpen {
				return nil, Errorf(ECONFLICT, "Receipt %s is %s and cannot be changed.", r.ID, r.Status)
			}
			if upd.ClientID != nil && *upd.ClientID == "" {
				r.ClientID, r.Client = "", nil
			} else if upd.ClientID != nil {
				c, err := s.resolveClient(ctx, tx, now, tenantID, clientRef{ID: *upd.ClientID})
				if err != nil {
					return nil, err
				}
				r.ClientID, r.Client = c.ID, c
			}
			if upd.ValidUntil != nil {
				vu := upd.ValidUntil.UTC().Truncate(time.Microsecond)
				if !vu.After(now) {
					return nil, invalid("validUntil", "validUntil must be in the future.")
				}
				r.ValidUntil = vu
			}
			if upd.PaymentForm != nil {
				r.PaymentForm = strings.TrimSpace(*upd.PaymentForm)
			}
			if upd.Metadata != nil {
				r.Metadata = meta
			}
			r.UpdatedAt = now
			if err := tx.UpdateReceipt(ctx, r); err != nil {
				return nil, err
			}
			if err := s.appendEvent(ctx, tx, now, tenantID, EventReceiptUpdated, r.ID, r); err != nil {
				return nil, err
			}
		}
		if upd.Status != nil {
			return r, s.moveReceipt(ctx, tx, now, r, ReceiptStatusCompleted)
		}
		return r, nil
	})
}

// DeleteReceipt cancels one of the tenant's receipts that is pending, open or
// expired. Returns ENOTFOUND and ECONFLICT.
func (s *Service) DeleteReceipt(ctx context.Context, tenantID, id string) (*Receipt, error) {
	return write(ctx, s, tenantID, "receipt.delete", id, func(tx Tx, now time.Time) (*Receipt, error) {
		r, err := s.liveReceipt(ctx, tx, now, tenantID, id)
		if err != nil {
			return nil, err
		}
		return r, s.moveReceipt(ctx, tx, now, r, ReceiptStatusCanceled)
	})
}

// StampReceipt stamps an open receipt into a PUE income invoice of its lines,
// for its client or the one given, and the receipt is invoiced. A receipt of
// a charge that has a valid income invoice already cannot be stamped. Returns
// ENOTFOUND, EINVALID, and ECONFLICT (on the field "team" when the team has
// no fiscal identity).
func (s *Service) StampReceipt(ctx context.Context, tenantID, id string, in ReceiptStamp) (*TaxInvoice, error) {
	var v Validation
	series := orDefault(strings.TrimSpace(in.Series), DefaultIncomeSeries)
	checkSeries(&v, "series", series)
	if in.ClientID != "" && in.Client != nil {
		v.Add("client", "Give either clientId or client, not both.")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return write(ctx, s, tenantID, "receipt.stamp", struct {
		ID string
		In ReceiptStamp
	}{id, in}, func(tx Tx, now time.Time) (*TaxInvoice, error) {
		r, err := s.liveReceipt(ctx, tx, now, tenantID, id)
		if err != nil {
			return nil, err
		}
		if r.Status != ReceiptStatusOpen {
			return nil, Errorf(ECONFLICT, "Receipt %s is %s: only an open receipt can be stamped.", r.ID, r.Status)
		}
		if r.PaymentID != "" {
			income, valid := CFDITypeIncome, TaxInvoiceStatusValid
			invs, _, err := tx.FindTaxInvoices(ctx, tenantID, TaxInvoiceFilter{PaymentID: &r.PaymentID, Type: &income, Status: &valid, Limit: 1})
			if err != nil {
				return nil, err
			}
			if len(invs) > 0 {
				return nil, Errorf(ECONFLICT, "The payment of receipt %s is invoiced already, by invoice %s.", r.ID, invs[0].ID)
			}
		}
		issuer, err := teamIssuer(ctx, tx, tenantID)
		if err != nil {
			return nil, err
		}
		client := r.Client
		if in.ClientID != "" || in.Client != nil {
			if client, err = s.resolveClient(ctx, tx, now, tenantID, clientRef{ID: in.ClientID, New: in.Client, From: "receipt"}); err != nil {
				return nil, err
			}
		} else if client == nil {
			return nil, invalid("clientId", "Give the client to invoice: the receipt has none.")
		}
		var v Validation
		_, form := checkPaymentTerms(&v, string(PaymentMethodPUE), orDefault(strings.TrimSpace(in.PaymentForm), r.PaymentForm))
		inv := &TaxInvoice{TenantID: tenantID, Type: CFDITypeIncome, Status: TaxInvoiceStatusValid, Series: series,
			Issuer: *issuer, Receiver: cfdiReceiver(&v, "client.", client, in.Use, issuer), Currency: r.Currency,
			Exchange: r.Exchange, PaymentForm: form, PaymentMethod: PaymentMethodPUE, Items: r.Items, LineSums: r.LineSums,
			PaymentID: r.PaymentID, ReceiptID: r.ID}
		if err := v.Err(); err != nil {
			return nil, err
		}
		if err := s.issueTaxInvoice(ctx, tx, now, inv); err != nil {
			return nil, err
		}
		r.InvoiceID = inv.ID
		return inv, s.moveReceipt(ctx, tx, now, r, ReceiptStatusInvoiced)
	})
}

// expireReceipts persists the expiry of every pending or open receipt past
// its ValidUntil and fires receipt.updated (see expire).
func (s *Service) expireReceipts(ctx context.Context) (int, error) {
	return expire(ctx, s, Store.FindExpiredReceipts, func(tx Tx, now time.Time, r *Receipt) error {
		if err := s.moveReceipt(ctx, tx, now, r, ReceiptStatusExpired); err != nil {
			return fmt.Errorf("expire receipt %s: %w", r.ID, err)
		}
		return nil
	})
}

// ReceiptStore reads receipts.
type ReceiptStore interface {
	FindReceiptByID(ctx context.Context, tenantID, id string) (*Receipt, error)
	// FindReceipts returns a page of the tenant's receipts that f selects,
	// newest first (CreatedAt, then ID, descending), and how many f selects
	// in all. Status matches a pending or open receipt whose ValidUntil is
	// not after f.At as expired. A cursor naming no receipt of the tenant
	// yields an empty page.
	FindReceipts(ctx context.Context, tenantID string, f ReceiptFilter) ([]*Receipt, int, error)
	// FindExpiredReceipts returns up to limit pending or open receipts of
	// every tenant whose ValidUntil is at or before now, oldest first.
	FindExpiredReceipts(ctx context.Context, now time.Time, limit int) ([]*Receipt, error)
}

// ReceiptTx writes receipts.
type ReceiptTx interface {
	// CreateReceipt inserts r. Returns ECONFLICT when its ID is taken.
	CreateReceipt(ctx context.Context, r *Receipt) error
	// UpdateReceipt writes every field of r but ID, TenantID, PaymentID and
	// CreatedAt. Returns ENOTFOUND.
	UpdateReceipt(ctx context.Context, r *Receipt) error
}
