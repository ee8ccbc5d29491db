package paykit

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Tax invoices are the CFDI 4.0 (Comprobante Fiscal Digital por Internet) a
// team issues: an income invoice (type I) of what it sold, PUE when it is paid
// as it is issued or PPD when it is paid later, and the payment complement
// (type P) that records the payment of a PPD invoice. Their lines are a
// charge's (lines.go), so an invoice made of a charge agrees with it to the
// cent. Folios are assigned in the transaction that issues the invoice, from
// one counter per series of the team: unique and without gaps.
//
// paykit does not stamp: no PAC certifies the invoices, so they have no seal
// (Sello), no certificate and no TimbreFiscalDigital, and their UUID is
// paykit's ID, not a SAT folio fiscal. Their XML (TaxInvoice.CFDI) says so.
// (The root's Invoice is another noun: the invoice a Gigapay client pays.)

// CFDIType is a CFDI's TipoDeComprobante.
type CFDIType string

// CFDI types paykit issues.
const (
	CFDITypeIncome  CFDIType = "I" // ingreso: a sale
	CFDITypePayment CFDIType = "P" // pago: the payment complement of a PPD invoice
)

var cfdiTypes = []CFDIType{CFDITypeIncome, CFDITypePayment}

// ParseCFDIType returns the CFDIType s names, exactly. It returns EINVALID
// naming field for any other s.
func ParseCFDIType(field, s string) (CFDIType, error) { return parseEnum(field, "Type", s, cfdiTypes) }

// TaxInvoiceStatus is where a tax invoice is in its lifecycle.
type TaxInvoiceStatus string

// Tax invoice statuses.
const (
	TaxInvoiceStatusValid    TaxInvoiceStatus = "valid"
	TaxInvoiceStatusCanceled TaxInvoiceStatus = "canceled"
)

var taxInvoiceStatuses = []TaxInvoiceStatus{TaxInvoiceStatusValid, TaxInvoiceStatusCanceled}

// ParseTaxInvoiceStatus returns the TaxInvoiceStatus s names, exactly. It
// returns EINVALID naming field for any other s.
func ParseTaxInvoiceStatus(field, s string) (TaxInvoiceStatus, error) {
	return parseEnum(field, "Status", s, taxInvoiceStatuses)
}

// taxInvoiceLifecycle is the tax invoice lifecycle: a valid invoice may be
// canceled, once.
var taxInvoiceLifecycle = lifecycle[TaxInvoiceStatus]{
	next:    map[TaxInvoiceStatus][]TaxInvoiceStatus{TaxInvoiceStatusValid: {TaxInvoiceStatusCanceled}},
	cannot:  "Invoice %[1]s is %[2]s and cannot become %[3]s.",
	already: "Invoice %[1]s is canceled already.",
}

// Events of tax invoices.
const (
	EventTaxInvoiceCreated  = "tax_invoice.created"
	EventTaxInvoiceCanceled = "tax_invoice.canceled"
	// EventTaxInvoiceFailed: an automation of a charge could not issue its
	// invoice; its subject is the charge, its data an AutomationFailure.
	EventTaxInvoiceFailed = "tax_invoice.failed"
)

// PaymentMethod is a CFDI's MetodoPago (c_MetodoPago).
type PaymentMethod string

// Payment methods.
const (
	PaymentMethodPUE PaymentMethod = "PUE" // paid in one exhibition, as the invoice is issued
	PaymentMethodPPD PaymentMethod = "PPD" // paid later or in installments: each payment gets a complement
)

var paymentMethods = []PaymentMethod{PaymentMethodPUE, PaymentMethodPPD}

// CancelMotive is why an invoice is canceled (the SAT's motivos de
// cancelación).
type CancelMotive string

// Cancellation motives.
const (
	CancelMotiveReplaced      CancelMotive = "01" // issued with errors, replaced by another invoice (the substitution)
	CancelMotiveErrors        CancelMotive = "02" // issued with errors, not replaced
	CancelMotiveNotCarriedOut CancelMotive = "03" // the operation did not take place
	CancelMotiveGlobal        CancelMotive = "04" // a nominative operation related to a global invoice
)

var cancelMotives = []CancelMotive{CancelMotiveReplaced, CancelMotiveErrors, CancelMotiveNotCarriedOut, CancelMotiveGlobal}

// Default series: income invoices and payment complements count their folios
// apart unless a series is given.
const (
	DefaultIncomeSeries  = "A"
	DefaultPaymentSeries = "P"
)

// paymentFormIntermediary is the c_FormaPago of money collected through a
// payment intermediary ("31 Intermediario pagos"): the form of a charge a
// processor collected, whose payer's own form paykit does not learn.
const paymentFormIntermediary = "31"

// paymentFormUndefined is "99 Por definir", the form of a PPD invoice.
const paymentFormUndefined = "99"

// CFDIReceiver is who an invoice is issued to (the Receptor): a client as it
// was when invoiced, or the general public for a client without an RFC.
type CFDIReceiver struct {
	ClientID  string `json:"clientId,omitempty"`
	RFC       string `json:"rfc"`
	Name      string `json:"name"`
	Zip       string `json:"zip"`       // DomicilioFiscalReceptor
	TaxSystem string `json:"taxSystem"` // RegimenFiscalReceptor
	Use       string `json:"use"`       // UsoCFDI
	Email     string `json:"email,omitempty"`
}

// CFDITax is one tax of a document, summed over its lines that share its
// type, factor and rate. Base is money, or for a quota (Cuota) the units.
type CFDITax struct {
	Type        TaxType         `json:"type"`
	Factor      TaxFactor       `json:"factor"`
	Rate        decimal.Decimal `json:"rate"`
	Withholding bool            `json:"withholding"`
	Base        decimal.Decimal `json:"base"`
	Amount      Money           `json:"amount"`
}

// CFDIPayment is what a payment complement records: one payment of one PPD
// invoice (its Pago and DoctoRelacionado).
type CFDIPayment struct {
	InvoiceID       string          `json:"invoiceId"` // the PPD invoice paid (IdDocumento)
	InvoiceSeries   string          `json:"invoiceSeries"`
	InvoiceFolio    int64           `json:"invoiceFolio"`
	PaidAt          time.Time       `json:"paidAt"`
	PaymentForm     string          `json:"paymentForm"`
	Amount          Money           `json:"amount"`   // paid (Monto, ImpPagado)
	Exchange        decimal.Decimal `json:"exchange"` // MXN per unit of the payment's currency
	Installment     int             `json:"installment"`
	PreviousBalance Money           `json:"previousBalance"`
	Taxes           []CFDITax       `json:"taxes"` // the paid invoice's taxes, in proportion to the amount paid
}

// TaxInvoiceCancellation is how an invoice was canceled.
type TaxInvoiceCancellation struct {
	Motive         CancelMotive `json:"motive"`
	SubstitutionID string       `json:"substitutionId,omitempty"` // the invoice that replaces it (motive 01)
	CanceledAt     time.Time    `json:"canceledAt"`
}

// TaxInvoice is a CFDI a team issued. An income invoice's Total is its
// Subtotal plus its transferred and less its withheld taxes; a payment
// complement has no lines and totals zero, the payment it records being its
// Payment.
type TaxInvoice struct {
	ID            string           `json:"id"` // also its UUID on the wire: there is no stamp
	TenantID      string           `json:"tenantId"`
	Type          CFDIType         `json:"type"`
	Status        TaxInvoiceStatus `json:"status"`
	Series        string           `json:"series"`
	Folio         int64            `json:"folio"`
	IssuedAt      time.Time        `json:"issuedAt"` // its Fecha
	Issuer        FiscalIdentity   `json:"issuer"`
	Receiver      CFDIReceiver     `json:"receiver"`
	Currency      Currency         `json:"currency"`
	Exchange      decimal.Decimal  `json:"exchange"`      // MXN per unit of Currency
	PaymentForm   string           `json:"paymentForm"`   // c_FormaPago; "" for a complement
	PaymentMethod PaymentMethod    `json:"paymentMethod"` // "" for a complement
	Items         []ChargeItem     `json:"items"`
	LineSums
	// Balance is what is left to pay: a PPD invoice's total less what its
	// valid complements paid; zero for every other invoice.
	Balance      Money                   `json:"balance"`
	Payment      *CFDIPayment            `json:"payment,omitempty"`   // a complement's
	PaymentID    string                  `json:"paymentId,omitempty"` // the charge it invoices, or whose payment it records
	ReceiptID    string                  `json:"receiptId,omitempty"` // the receipt it was stamped from
	Automation   AutomationDocument      `json:"automation,omitempty"`
	Metadata     json.RawMessage         `json:"metadata"`
	Cancellation *TaxInvoiceCancellation `json:"cancellation,omitempty"`
	CreatedAt    time.Time               `json:"createdAt"`
	UpdatedAt    time.Time               `json:"updatedAt"`
}

// TaxInvoiceCreate is the input of CreateTaxInvoice: an income invoice.
type TaxInvoiceCreate struct {
	// ClientID or Client: the tenant's client, or a client to create (an
	// existing one when its ID is the tenant's).
	ClientID string            `json:"clientId"`
	Client   *ClientCreate     `json:"client"`
	Items    []ChargeItemInput `json:"items"`
	Currency string            `json:"currency"` // MXN (default), USD or EUR
	Exchange *decimal.Decimal  `json:"exchange"` // default: 1 for MXN, else the Service's source's
	Series   string            `json:"series"`   // default DefaultIncomeSeries
	// Use is the CFDI use (c_UsoCFDI); default the client's.
	Use string `json:"use"`
	// PaymentForm (c_FormaPago) is how a PUE invoice was paid (required);
	// a PPD invoice's is 99, its default.
	PaymentForm   string          `json:"paymentForm"`
	PaymentMethod string          `json:"paymentMethod"` // PUE (default) or PPD
	Metadata      json.RawMessage `json:"metadata"`
}

// TaxInvoiceCancel is the input of CancelTaxInvoice.
type TaxInvoiceCancel struct {
	Motive         string `json:"motive"`         // 01 to 04
	SubstitutionID string `json:"substitutionId"` // required for 01, and only then
}

// TaxInvoiceFilter selects tax invoices; nil fields match all. They are
// listed newest first.
type TaxInvoiceFilter struct {
	Type      *CFDIType
	Status    *TaxInvoiceStatus
	ClientID  *string
	Series    *string
	PaymentID *string
	After     string // keyset cursor: the ID of the last invoice of the previous page
	Limit     int
}

// FindTaxInvoiceByID returns one of the tenant's tax invoices. Returns
// ENOTFOUND.
func (s *Service) FindTaxInvoiceByID(ctx context.Context, tenantID, id string) (*TaxInvoice, error) {
	return s.store.FindTaxInvoiceByID(ctx, tenantID, id)
}

// FindTaxInvoices lists the tenant's tax invoices newest first, and how many
// the filter selects in all.
func (s *Service) FindTaxInvoices(ctx context.Context, tenantID string, f TaxInvoiceFilter) ([]*TaxInvoice, int, error) {
	f.Limit = clampLimit(f.Limit)
	return s.store.FindTaxInvoices(ctx, tenantID, f)
}

// CancelTaxInvoice cancels one of the tenant's valid tax invoices for a
// motive: 01 (replaced) names the invoice that substitutes it, a valid
// invoice of the team of the same type; the other motives name none. A PPD
// invoice with valid payment complements cannot be canceled until they are.
// Canceling a complement gives its amount back to the balance of the invoice
// it paid. Returns ENOTFOUND, EINVALID and ECONFLICT.
func (s *Service) CancelTaxInvoice(ctx context.Context, tenantID, id string, in TaxInvoiceCancel) (*TaxInvoice, error) {
	var v Validation
	motive, err := parseEnum("motive", "Motive", strings.TrimSpace(in.Motive), cancelMotives)
	if err != nil {
		v.Add("motive", ErrorMessage(err))
	}
	sub := strings.TrimSpace(in.SubstitutionID)
	switch {
	case motive == CancelMotiveReplaced && sub == "":
		v.Add("substitutionId", "Motive 01 needs the uuid of the invoice that substitutes this one.")
	case motive != CancelMotiveReplaced && motive != "" && sub != "":
		v.Add("substitutionId", "Only motive 01 names a substitute invoice.")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return write(ctx, s, tenantID, "tax_invoice.cancel", struct {
		ID string
		In TaxInvoiceCancel
	}{id, in}, func(tx Tx, now time.Time) (*TaxInvoice, error) {
		inv, err := tx.FindTaxInvoiceByID(ctx, tenantID, id)
		if err != nil {
			return nil, err
		}
		if sub != "" {
			si, err := tx.FindTaxInvoiceByID(ctx, tenantID, sub)
			switch {
			case ErrorCode(err) == ENOTFOUND:
				return nil, invalid("substitutionId", "The team has no invoice with this uuid.")
			case err != nil:
				return nil, err
			case si.ID == inv.ID:
				return nil, invalid("substitutionId", "An invoice cannot substitute itself.")
			case si.Status != TaxInvoiceStatusValid:
				return nil, invalid("substitutionId", "The substitute invoice is %s.", si.Status)
			case si.Type != inv.Type:
				return nil, invalid("substitutionId", "The substitute invoice is of another type.")
			}
		}
		if inv.Status == TaxInvoiceStatusValid && inv.PaymentMethod == PaymentMethodPPD && inv.Balance.Minor() != inv.Total.Minor() {
			return nil, Errorf(ECONFLICT, "Invoice %s has valid payment complements: cancel them first.", inv.ID)
		}
		return inv, s.cancelTaxInvoice(ctx, tx, now, inv, TaxInvoiceCancellation{Motive: motive, SubstitutionID: sub})
	})
}

// cancelTaxInvoice cancels inv and fires tax_invoice.canceled, in the
// caller's transaction; a complement's amount goes back to the balance of the
// invoice it paid.
func (s *Service) cancelTaxInvoice(ctx context.Context, tx Tx, now time.Time, inv *TaxInvoice, c TaxInvoiceCancellation) error {
	if err := taxInvoiceLifecycle.check(inv.ID, inv.Status, TaxInvoiceStatusCanceled); err != nil {
		return err
	}
	c.CanceledAt = now
	inv.Status, inv.Cancellation, inv.UpdatedAt = TaxInvoiceStatusCanceled, &c, now
	if err := tx.UpdateTaxInvoice(ctx, inv); err != nil {
		return err
	}
	if inv.Type == CFDITypePayment && inv.Payment != nil {
		paid, err := tx.FindTaxInvoiceByID(ctx, inv.TenantID, inv.Payment.InvoiceID)
		if err != nil {
			return fmt.Errorf("invoice paid by complement %s: %w", inv.ID, err)
		}
		paid.Balance, paid.UpdatedAt = paid.Balance.Add(inv.Payment.Amount), now
		if err := tx.UpdateTaxInvoice(ctx, paid); err != nil {
			return err
		}
	}
	return s.appendEvent(ctx, tx, now, inv.TenantID, EventTaxInvoiceCanceled, inv.ID, inv)
}

// SumTaxes sums the taxes of items by type, factor, rate and direction, in
// the order they first appear: a document's taxes, as its CFDI totals them.
func SumTaxes(items []ChargeItem) []CFDITax {
	var out []CFDITax
	for _, it := range items {
		for _, t := range it.Taxes {
			base := t.Base.Amount
			if t.Factor == TaxFactorQuota {
				base = it.Quantity
			}
			i := slices.IndexFunc(out, func(o CFDITax) bool {
				return o.Type == t.Type && o.Factor == t.Factor && o.Rate.Equal(t.Rate) && o.Withholding == t.Withholding
			})
			if i < 0 {
				out = append(out, CFDITax{Type: t.Type, Factor: t.Factor, Rate: t.Rate, Withholding: t.Withholding,
					Base: decimal.Zero, Amount: MoneyFromMinor(0, t.Amount.Currency)})
				i = len(out) - 1
			}
			out[i].Base = out[i].Base.Add(base)
			out[i].Amount = out[i].Amount.Add(t.Amount)
		}
	}
	return out
}

// TaxInvoiceStore reads tax invoices.
type TaxInvoiceStore interface {
	FindTaxInvoiceByID(ctx context.Context, tenantID, id string) (*TaxInvoice, error)
	// FindTaxInvoices returns a page of the tenant's tax invoices that f
	// selects, newest first (CreatedAt, then ID, descending), and how many f
	// selects in all. A cursor naming no invoice of the tenant yields an
	// empty page.
	FindTaxInvoices(ctx context.Context, tenantID string, f TaxInvoiceFilter) ([]*TaxInvoice, int, error)
}

// TaxInvoiceTx writes tax invoices and the folio counters of their series.
type TaxInvoiceTx interface {
	// NextFolio takes the next folio of the tenant's series (1 for a new
	// series) in the transaction: it is the transaction's until it commits,
	// and a rollback gives it back, so that committed folios have no gaps. Two
	// transactions never take the same folio (on PostgreSQL, the counter's
	// row is locked until commit).
	NextFolio(ctx context.Context, tenantID, series string) (int64, error)
	// CreateTaxInvoice inserts inv. Returns ECONFLICT when the tenant has an
	// invoice with its ID, or with its series and folio.
	CreateTaxInvoice(ctx context.Context, inv *TaxInvoice) error
	// UpdateTaxInvoice writes inv's status, balance, cancellation and
	// UpdatedAt. Returns ENOTFOUND.
	UpdateTaxInvoice(ctx context.Context, inv *TaxInvoice) error
}
