package paykit

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Events of invoices. An invoice is created with its first payout's, before
// it (EventPayoutCreated).
const (
	EventInvoiceCreated = "invoice.created"
	EventInvoicePaid    = "invoice.paid"
)

// Invoice groups the payouts an integration's client pays for at once. It is
// managed: a payout joins the integration's open invoice in its currency, or
// opens one.
type Invoice struct {
	UID      string          `json:"uid"`      // surrogate key: stable when the client changes ID
	TenantID string          `json:"tenantId"` // the integration
	ID       string          `json:"id"`       // the client's id, unique per integration; by default the invoice's Number
	Number   int64           `json:"number"`   // unique across every integration, never reused; the OCR number derives from it
	Currency Currency        `json:"currency"`
	Open     bool            `json:"open"`  // payouts still join it
	Price    Money           `json:"price"` // the sum of its payouts' cost: what the client owes
	Metadata json.RawMessage `json:"metadata"`
	AppURL   string          `json:"appUrl"` // where the client pays it: <base>/i/<ID>/?token=<Token> (WithInvoiceAppURL)
	PDFURL   string          `json:"pdfUrl"` // its PDF: <base>/invoice/<UID>/?token=<Token>&language=en
	// Token is the capability in AppURL and PDFURL. It is not in the JSON:
	// the URLs carry it, and a snapshot has no use for it apart.
	Token     string     `json:"-"`
	CreatedAt time.Time  `json:"createdAt"`
	PaidAt    *time.Time `json:"paidAt,omitempty"`
	UpdatedAt time.Time  `json:"updatedAt"`
}

// OCRNumber returns the invoice's Swedish OCR payment reference (see OCR).
func (inv *Invoice) OCRNumber() string { return OCR(inv.Number) }

// OCR returns the Swedish OCR payment reference of invoice number n: n as 11
// digits, zero-padded, followed by its Luhn (modulus 10) check digit, 12 digits
// in all like the documentation's example.
func OCR(n int64) string {
	s := fmt.Sprintf("%011d", n)
	return s + string(rune('0'+luhn(s)))
}

// ValidOCR reports whether s is digits ending in their Luhn check digit.
func ValidOCR(s string) bool {
	if len(s) < 2 || strings.Trim(s, "0123456789") != "" {
		return false
	}
	return luhn(s[:len(s)-1]) == int(s[len(s)-1]-'0')
}

// luhn returns the check digit of the decimal digits s: from the right, every
// other digit doubled (its digits summed), and the digit that brings the sum to
// a multiple of 10.
func luhn(s string) int {
	sum := 0
	for i := len(s) - 1; i >= 0; i-- {
		d := int(s[i] - '0')
		if (len(s)-1-i)%2 == 0 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return (10 - sum%10) % 10
}

// InvoiceFilter selects invoices; nil fields match all. Lists are newest first.
type InvoiceFilter struct {
	CreatedAt TimeFilter
	PaidAt    TimeFilter
	Open      *bool
	ListPage
}

// InvoiceUpdate is the input of UpdateInvoice: Gigapay lets a client change
// only an invoice's id and metadata.
type InvoiceUpdate struct {
	ID       *string          `json:"id"`
	Metadata *json.RawMessage `json:"metadata"`
}

// DefaultInvoiceAppURL is the web app invoices link to by default.
const DefaultInvoiceAppURL = "https://app.gigapay.se"

// WithInvoiceAppURL sets the base URL of the web app where invoices are paid
// and downloaded, which a host serves: an invoice's app link is
// <base>/i/<id>/?token=…, with the invoice's id as its clients see it (the
// link follows the id when it changes), and its pdf link
// <base>/invoice/<uid>/?token=…&language=en, as Gigapay's. The token, drawn
// for each invoice, is the capability the page checks. The default is
// DefaultInvoiceAppURL; the links of an invoice are made with the base the
// Service has when it opens the invoice (or changes its id).
func WithInvoiceAppURL(base string) Option {
	return func(s *Service) { s.gigapay.appURL = strings.TrimRight(base, "/") }
}

// invoiceBase returns the base URL of invoice links.
func (s *Service) invoiceBase() string {
	if s.gigapay.appURL == "" {
		return DefaultInvoiceAppURL
	}
	return s.gigapay.appURL
}

// invoiceAppURL returns the app link of inv, by its id.
func (s *Service) invoiceAppURL(inv *Invoice) string {
	return s.invoiceBase() + "/i/" + url.PathEscape(inv.ID) + "/?token=" + inv.Token
}

// openInvoice returns the integration's open invoice in currency c, opening a
// new one when there is none (opened reports which). The caller fires
// invoice.created once the invoice holds its first payouts.
func (s *Service) openInvoice(ctx context.Context, tx Tx, now time.Time, integ *Integration, c Currency) (inv *Invoice, opened bool, err error) {
	inv, err = tx.FindOpenInvoice(ctx, integ.TenantID, c)
	if ErrorCode(err) != ENOTFOUND {
		return inv, false, err
	}
	uid, token := newID(), strings.ToLower(randomString(32))
	inv = &Invoice{UID: uid, TenantID: integ.TenantID, ID: uid, Currency: c, Open: true, Price: MoneyFromMinor(0, c),
		Metadata: json.RawMessage(`{}`), Token: token,
		PDFURL:    s.invoiceBase() + "/invoice/" + uid + "/?token=" + token + "&language=en",
		CreatedAt: now, UpdatedAt: now}
	inv.AppURL = s.invoiceAppURL(inv)
	if err := tx.CreateInvoice(ctx, inv); err != nil {
		return nil, false, err
	}
	// The id is the invoice's number, as in Gigapay's examples, unless a client
	// already gave another invoice that id.
	id := strconv.FormatInt(inv.Number, 10)
	if _, err := tx.FindInvoiceByID(ctx, integ.TenantID, id); ErrorCode(err) == ENOTFOUND {
		inv.ID = id
		inv.AppURL = s.invoiceAppURL(inv) // written with its first payouts' price
	} else if err != nil {
		return nil, false, err
	}
	return inv, true, nil
}

// FindInvoiceByID returns the integration's invoice with the client id id.
// Returns ENOTFOUND.
func (s *Service) FindInvoiceByID(ctx context.Context, tenantID, id string) (*Invoice, error) {
	return s.store.FindInvoiceByID(ctx, tenantID, id)
}

// FindInvoices returns a page of the integration's invoices, newest first, and
// how many f selects in all.
func (s *Service) FindInvoices(ctx context.Context, tenantID string, f InvoiceFilter) ([]*Invoice, int, error) {
	f.Limit = clampLimit(f.Limit)
	return s.store.FindInvoices(ctx, tenantID, f)
}

// UpdateInvoice changes an invoice's id or metadata. Returns ENOTFOUND and
// EINVALID.
func (s *Service) UpdateInvoice(ctx context.Context, tenantID, id string, upd InvoiceUpdate) (*Invoice, error) {
	in := struct {
		ID  string
		Upd InvoiceUpdate
	}{id, upd}
	return write(ctx, s, tenantID, "invoice.update", in, func(tx Tx, now time.Time) (*Invoice, error) {
		inv, err := tx.FindInvoiceByID(ctx, tenantID, id)
		if err != nil {
			return nil, err
		}
		var v Validation
		if upd.ID != nil && *upd.ID != inv.ID {
			if err := checkClientID("id", *upd.ID); err != nil {
				v.Add("id", ErrorMessage(err))
			} else {
				checkIDFree(ctx, &v, "id", "invoice", func() error { _, err := tx.FindInvoiceByID(ctx, tenantID, *upd.ID); return err })
			}
			inv.ID = *upd.ID
			inv.AppURL = s.invoiceAppURL(inv)
		}
		if upd.Metadata != nil {
			inv.Metadata = checkMetadata(&v, "metadata", *upd.Metadata)
		}
		if err := v.Err(); err != nil {
			return nil, err
		}
		inv.UpdatedAt = now
		return inv, tx.UpdateInvoice(ctx, inv)
	})
}

// DeleteInvoice deletes an unpaid invoice and its payouts. Returns ENOTFOUND,
// and EFORBIDDEN once the invoice is paid.
func (s *Service) DeleteInvoice(ctx context.Context, tenantID, id string) error {
	_, err := write(ctx, s, tenantID, "invoice.delete", id, func(tx Tx, now time.Time) (struct{}, error) {
		inv, err := tx.FindInvoiceByID(ctx, tenantID, id)
		if err != nil {
			return struct{}{}, err
		}
		if inv.PaidAt != nil {
			return struct{}{}, Errorf(EFORBIDDEN, "Invoice %q cannot be deleted: it is paid.", inv.ID)
		}
		for {
			ps, _, err := tx.FindPayouts(ctx, tenantID, PayoutFilter{InvoiceUID: &inv.UID, ListPage: ListPage{Limit: MaxLimit}})
			if err != nil {
				return struct{}{}, err
			}
			for _, p := range ps {
				if err := tx.DeletePayout(ctx, tenantID, p.UID); err != nil {
					return struct{}{}, err
				}
			}
			if len(ps) < MaxLimit {
				break
			}
		}
		return struct{}{}, tx.DeleteInvoice(ctx, tenantID, inv.UID)
	})
	return err
}

// CloseInvoice stops payouts from joining an open invoice; the next payout
// opens a new one. Only integrations with invoice batching keep an invoice open
// past the request that opened it. Returns ENOTFOUND, and ECONFLICT when the
// invoice is not open.
func (s *Service) CloseInvoice(ctx context.Context, tenantID, id string) (*Invoice, error) {
	return write(ctx, s, tenantID, "invoice.close", id, func(tx Tx, now time.Time) (*Invoice, error) {
		inv, err := tx.FindInvoiceByID(ctx, tenantID, id)
		if err != nil {
			return nil, err
		}
		if !inv.Open {
			return nil, Errorf(ECONFLICT, "Invoice %q is not open.", inv.ID)
		}
		inv.Open, inv.UpdatedAt = false, now
		return inv, tx.UpdateInvoice(ctx, inv)
	})
}

// PayInvoice records that the client paid an invoice (by bank transfer with
// its OCR number, or through its app link): its price comes into the
// integration's client account from the world, the invoice closes, and
// invoice.paid fires. Then each of its payouts whose employee is verified is
// notified (payout.notified); the others are when their employee is. Returns
// ENOTFOUND, and ECONFLICT when the invoice is already paid or holds no payout.
// Payable reports whether PayInvoice would pay inv as it stands: not paid yet,
// and holding a payout to pay for.
func (inv *Invoice) Payable() bool { return inv.checkPayable() == nil }

// checkPayable returns why inv cannot be paid, or nil.
func (inv *Invoice) checkPayable() error {
	if inv.PaidAt != nil {
		return Errorf(ECONFLICT, "Invoice %q is already paid.", inv.ID)
	}
	if inv.Price.Minor() <= 0 {
		return Errorf(ECONFLICT, "Invoice %q holds no payout: there is nothing to pay.", inv.ID)
	}
	return nil
}

func (s *Service) PayInvoice(ctx context.Context, tenantID, id string) (*Invoice, error) {
	return write(ctx, s, tenantID, "invoice.pay", id, func(tx Tx, now time.Time) (*Invoice, error) {
		inv, err := tx.FindInvoiceByID(ctx, tenantID, id)
		if err != nil {
			return nil, err
		}
		if err := inv.checkPayable(); err != nil {
			return nil, err
		}
		world, err := s.systemAccount(ctx, tx, now, tenantID, accountCodeWorld, inv.Currency)
		if err != nil {
			return nil, err
		}
		client, err := s.ledgerAccount(ctx, tx, now, tenantID, accountCodeGigapayClient, inv.Currency, "")
		if err != nil {
			return nil, err
		}
		t := &Transfer{Amount: inv.Price.Minor(), Currency: inv.Currency, Status: TransferStatusPosted,
			Kind: "invoice_payment", Ref: inv.UID}
		if err := s.transfer(ctx, tx, now, t, world, client); err != nil {
			return nil, fmt.Errorf("pay invoice %s: %w", inv.UID, err)
		}
		inv.PaidAt, inv.Open, inv.UpdatedAt = &now, false, now
		if err := tx.UpdateInvoice(ctx, inv); err != nil {
			return nil, err
		}
		if err := s.appendEvent(ctx, tx, now, tenantID, EventInvoicePaid, inv.UID, inv); err != nil {
			return nil, err
		}
		return inv, s.notifyPayouts(ctx, tx, now, tenantID, PayoutFilter{InvoiceUID: &inv.UID})
	})
}

// InvoiceStore reads invoices (see PayoutStore for their keys and lists).
type InvoiceStore interface {
	FindInvoiceByUID(ctx context.Context, tenantID, uid string) (*Invoice, error)
	FindInvoiceByID(ctx context.Context, tenantID, id string) (*Invoice, error)
	// FindOpenInvoice returns the tenant's open invoice in currency c.
	FindOpenInvoice(ctx context.Context, tenantID string, c Currency) (*Invoice, error)
	FindInvoices(ctx context.Context, tenantID string, f InvoiceFilter) ([]*Invoice, int, error)
}

// InvoiceTx writes invoices.
type InvoiceTx interface {
	// CreateInvoice inserts inv and sets inv.Number, a positive integer unique
	// across every tenant and never reused; ECONFLICT when its UID, its ID in
	// its tenant, or an open invoice of its tenant in its currency exists.
	CreateInvoice(ctx context.Context, inv *Invoice) error
	// UpdateInvoice writes ID, AppURL, Open, Price, Metadata, PaidAt and
	// UpdatedAt; ECONFLICT when a new ID is taken.
	UpdateInvoice(ctx context.Context, inv *Invoice) error
	DeleteInvoice(ctx context.Context, tenantID, uid string) error
}
