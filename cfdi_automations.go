package paykit

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// The automations of charges, performed in the transaction of the charge's
// creation or of its move, so that a charge and its documents never disagree:
//
//   - automaticInvoice and automateInvoiceOnComplete: a PUE income invoice
//     of the charge's lines as soon as it is paid (at creation for a charge
//     created paid, else when it succeeds). A PUE invoice says the payment was
//     made, so an unpaid charge's cannot be issued at creation; its payment
//     form is the charge's, or 31 (intermediario de pagos) for one a
//     processor collected.
//   - automateIncomeInvoiceAndComplement: a PPD income invoice (payment form
//     99) at creation, and its payment complement (type P) when the charge
//     succeeds. If the charge is canceled instead, the PPD invoice is
//     canceled with motive 03 (the operation did not take place).
//   - forceReceipt: a receipt of the charge's lines at creation, pending
//     until the charge succeeds (open from then, until the end of the month)
//     and canceled with it.
//
// A charge that asks for an invoice needs, at creation, a team with a fiscal
// identity and a client that can be invoiced (cfdiReceiver), so that its
// invoices cannot fail later for want of them. Should one fail anyway (its PPD
// invoice canceled by hand before the complement, say), the charge keeps its
// move, the automation records why, and tax_invoice.failed is fired.

// AutomationFailure is the data of a tax_invoice.failed event.
type AutomationFailure struct {
	PaymentID string             `json:"paymentId"`
	Document  AutomationDocument `json:"document"`
	Code      string             `json:"code"`
	Message   string             `json:"message"`
	Fields    map[string]string  `json:"fields,omitempty"`
}

// invoiceConfig is what a charge's invoiceConfig says of the invoices its
// automations issue; other keys are kept, unread.
type invoiceConfig struct {
	Series string `json:"series"`
	Use    string `json:"use"`
}

// checkInvoiceConfig validates a charge's invoiceConfig (a JSON object) into
// v and returns it: series a series, use a CFDI use, type income (I), and no
// folio, which paykit assigns.
func checkInvoiceConfig(v *Validation, raw json.RawMessage) invoiceConfig {
	var m map[string]json.RawMessage
	var cfg invoiceConfig
	if json.Unmarshal(raw, &m) != nil {
		return cfg
	}
	str := func(key string) string {
		var s string
		if r, ok := m[key]; ok && string(r) != "null" && json.Unmarshal(r, &s) != nil {
			v.Add("invoiceConfig."+key, "A string.")
		}
		return strings.TrimSpace(s)
	}
	if cfg.Series = str("series"); cfg.Series != "" {
		checkSeries(v, "invoiceConfig.series", cfg.Series)
	}
	if cfg.Use = strings.ToUpper(str("use")); cfg.Use != "" {
		if _, ok := catalogEntry(CatalogCFDIUses, cfg.Use); !ok {
			v.Add("invoiceConfig.use", "Not a CFDI use of the SAT catalog c_UsoCFDI, like G03.")
		}
	}
	switch t := str("type"); strings.ToLower(t) {
	case "", "i", "income", "ingreso":
	default:
		v.Add("invoiceConfig.type", "Automations issue income invoices (type I).")
	}
	if r, ok := m["folio"]; ok && string(r) != "null" {
		v.Add("invoiceConfig.folio", "Folios are assigned by paykit, without gaps in a series: give a series, not a folio.")
	}
	return cfg
}

// wantsInvoice reports whether ch asks for an invoice.
func (ch *Charge) wantsInvoice() bool {
	return slices.ContainsFunc(ch.Automations, func(a Automation) bool {
		return a.Document == AutomationInvoice || a.Document == AutomationPPDInvoice
	})
}

// checkInvoiceable returns an error unless the charge's invoices can be
// issued: the team has a fiscal identity (ECONFLICT on the field "team"), and
// its client can be invoiced (EINVALID naming the client's fields,
// "client.<field>").
func checkInvoiceable(ctx context.Context, tx Tx, tenantID string, ch *Charge) error {
	if !ch.wantsInvoice() {
		return nil
	}
	issuer, err := teamIssuer(ctx, tx, tenantID)
	if err != nil {
		return err
	}
	var cfg invoiceConfig
	if len(ch.InvoiceConfig) > 0 {
		cfg = checkInvoiceConfig(&Validation{}, ch.InvoiceConfig)
	}
	var v Validation
	cfdiReceiver(&v, "client.", ch.Client, cfg.Use, issuer)
	return renameErrField(v.Err(), "use", "invoiceConfig.use")
}

// chargeMoved performs what charge p's creation (created) or move owes to its
// documents, in the caller's transaction: the automations now due, a
// receipt's move with its charge, and the cancellation of a canceled charge's
// PPD invoice. It writes p when its automations changed.
func (s *Service) chargeMoved(ctx context.Context, tx Tx, now time.Time, p *Payment) error {
	ch := p.Charge
	if len(ch.Automations) == 0 {
		return nil
	}
	ch.Automations = slices.Clone(ch.Automations) // p may share them with a retried attempt
	changed := false
	for i := range ch.Automations {
		a := &ch.Automations[i]
		if a.DocumentID != "" {
			if err := s.followCharge(ctx, tx, now, p, a); err != nil {
				return err
			}
			continue
		}
		if a.Failure != "" || a.When == PaymentStatusSucceeded && p.Status != PaymentStatusSucceeded ||
			p.Status == PaymentStatusCanceled {
			continue
		}
		id, err := s.performAutomation(ctx, tx, now, p, a)
		switch code := ErrorCode(err); {
		case err == nil:
			a.DocumentID = id
		case code == EINVALID || code == ECONFLICT:
			a.Failure = ErrorMessage(err)
			f := AutomationFailure{PaymentID: p.ID, Document: a.Document, Code: code, Message: ErrorMessage(err), Fields: ErrorFields(err)}
			if err := s.appendEvent(ctx, tx, now, p.TenantID, EventTaxInvoiceFailed, p.ID, f); err != nil {
				return err
			}
		default:
			return err
		}
		changed = true
	}
	if !changed {
		return nil
	}
	return tx.UpdatePayment(ctx, p)
}

// followCharge moves the document of a performed automation a with its
// charge p: a receipt opens when p succeeds and is canceled with it; a PPD
// invoice is canceled (motive 03) with it.
func (s *Service) followCharge(ctx context.Context, tx Tx, now time.Time, p *Payment, a *Automation) error {
	switch {
	case a.Document == AutomationReceipt && (p.Status == PaymentStatusSucceeded || p.Status == PaymentStatusCanceled):
		r, err := tx.FindReceiptByID(ctx, p.TenantID, a.DocumentID)
		if err != nil {
			return err
		}
		if r.Status != ReceiptStatusPending || r.expiredAt(now) {
			return nil // expired or canceled meanwhile: it stays so
		}
		to := ReceiptStatusOpen
		if p.Status == PaymentStatusCanceled {
			to = ReceiptStatusCanceled
		}
		if to == ReceiptStatusOpen && r.PaymentForm == "" {
			r.PaymentForm = orDefault(p.Charge.PaymentForm, paymentFormIntermediary)
		}
		return s.moveReceipt(ctx, tx, now, r, to)
	case a.Document == AutomationPPDInvoice && p.Status == PaymentStatusCanceled:
		inv, err := tx.FindTaxInvoiceByID(ctx, p.TenantID, a.DocumentID)
		if err != nil || inv.Status != TaxInvoiceStatusValid {
			return err
		}
		return s.cancelTaxInvoice(ctx, tx, now, inv, TaxInvoiceCancellation{Motive: CancelMotiveNotCarriedOut})
	}
	return nil
}

// performAutomation makes the document of automation a of charge p and
// returns its ID.
func (s *Service) performAutomation(ctx context.Context, tx Tx, now time.Time, p *Payment, a *Automation) (string, error) {
	ch := p.Charge
	if a.Document == AutomationReceipt {
		r := &Receipt{TenantID: p.TenantID, Status: ReceiptStatusPending, ClientID: ch.ClientID, Client: ch.Client,
			Currency: p.Amount.Currency, Exchange: ch.Exchange, Items: ch.Items,
			LineSums:    LineSums{Subtotal: ch.Subtotal, Transferred: ch.Transferred, Withheld: ch.Withheld, Total: p.Amount},
			PaymentForm: ch.PaymentForm, PaymentID: p.ID}
		if p.Status == PaymentStatusSucceeded {
			r.Status, r.PaymentForm = ReceiptStatusOpen, orDefault(ch.PaymentForm, paymentFormIntermediary)
		}
		err := s.createReceipt(ctx, tx, now, r)
		return r.ID, err
	}
	issuer, err := teamIssuer(ctx, tx, p.TenantID)
	if err != nil {
		return "", err
	}
	var cfg invoiceConfig
	if len(ch.InvoiceConfig) > 0 {
		cfg = checkInvoiceConfig(&Validation{}, ch.InvoiceConfig)
	}
	var v Validation
	receiver := cfdiReceiver(&v, "client.", ch.Client, cfg.Use, issuer)
	if err := v.Err(); err != nil {
		return "", err
	}
	inv := &TaxInvoice{TenantID: p.TenantID, Type: CFDITypeIncome, Status: TaxInvoiceStatusValid,
		Series: orDefault(cfg.Series, DefaultIncomeSeries), Issuer: *issuer, Receiver: receiver,
		Currency: p.Amount.Currency, Exchange: ch.Exchange, Items: ch.Items,
		LineSums:  LineSums{Subtotal: ch.Subtotal, Transferred: ch.Transferred, Withheld: ch.Withheld, Total: p.Amount},
		PaymentID: p.ID, Automation: a.Document}
	switch a.Document {
	case AutomationInvoice:
		inv.PaymentMethod, inv.PaymentForm = PaymentMethodPUE, orDefault(ch.PaymentForm, paymentFormIntermediary)
	case AutomationPPDInvoice:
		inv.PaymentMethod, inv.PaymentForm = PaymentMethodPPD, paymentFormUndefined
	case AutomationPaymentComplement:
		return s.chargeComplement(ctx, tx, now, p, inv)
	}
	err = s.issueTaxInvoice(ctx, tx, now, inv)
	return inv.ID, err
}

// chargeComplement issues the payment complement of the succeeded charge p's
// PPD invoice, from the template inv, and takes the payment off the
// invoice's balance.
func (s *Service) chargeComplement(ctx context.Context, tx Tx, now time.Time, p *Payment, inv *TaxInvoice) (string, error) {
	i := slices.IndexFunc(p.Charge.Automations, func(a Automation) bool { return a.Document == AutomationPPDInvoice })
	if i < 0 || p.Charge.Automations[i].DocumentID == "" {
		return "", Errorf(ECONFLICT, "Payment %s has no PPD invoice to complement.", p.ID)
	}
	ppd, err := tx.FindTaxInvoiceByID(ctx, p.TenantID, p.Charge.Automations[i].DocumentID)
	if err != nil {
		return "", err
	}
	switch {
	case ppd.Status != TaxInvoiceStatusValid:
		return "", Errorf(ECONFLICT, "The PPD invoice %s of payment %s is %s.", ppd.ID, p.ID, ppd.Status)
	case ppd.Currency != p.Amount.Currency || ppd.Balance.Minor() < p.Amount.Minor():
		return "", Errorf(ECONFLICT, "The PPD invoice %s owes %s, less than payment %s's %s.", ppd.ID, ppd.Balance, p.ID, p.Amount)
	}
	complements, _, err := tx.FindTaxInvoices(ctx, p.TenantID, TaxInvoiceFilter{PaymentID: &p.ID, Limit: MaxLimit})
	if err != nil {
		return "", err
	}
	installment := 1
	for _, c := range complements {
		if c.Type == CFDITypePayment && c.Payment != nil && c.Payment.InvoiceID == ppd.ID && c.Status == TaxInvoiceStatusValid {
			installment++
		}
	}
	taxes := SumTaxes(ppd.Items)
	if p.Amount.Minor() != ppd.Total.Minor() {
		// Part of the invoice: its taxes in proportion to the amount paid.
		for j := range taxes {
			ratio := p.Amount.Amount.Div(ppd.Total.Amount)
			taxes[j].Base = taxes[j].Base.Mul(ratio).Round(6)
			taxes[j].Amount = RoundMoney(taxes[j].Amount.Amount.Mul(ratio), p.Amount.Currency)
		}
	}
	inv.Type, inv.Series, inv.PaymentMethod, inv.PaymentForm = CFDITypePayment, DefaultPaymentSeries, "", ""
	inv.Receiver = ppd.Receiver
	inv.Receiver.Use = "CP01"
	inv.Items, inv.Automation = nil, AutomationPaymentComplement
	zero := MoneyFromMinor(0, p.Amount.Currency)
	inv.LineSums = LineSums{Subtotal: zero, Transferred: zero, Withheld: zero, Total: zero}
	inv.Payment = &CFDIPayment{InvoiceID: ppd.ID, InvoiceSeries: ppd.Series, InvoiceFolio: ppd.Folio,
		PaidAt: *p.Charge.SucceededAt, PaymentForm: orDefault(p.Charge.PaymentForm, paymentFormIntermediary),
		Amount: p.Amount, Exchange: p.Charge.Exchange, Installment: installment, PreviousBalance: ppd.Balance, Taxes: taxes}
	if err := s.issueTaxInvoice(ctx, tx, now, inv); err != nil {
		return "", err
	}
	ppd.Balance, ppd.UpdatedAt = MoneyFromMinor(ppd.Balance.Minor()-p.Amount.Minor(), ppd.Currency), now
	return inv.ID, tx.UpdateTaxInvoice(ctx, ppd)
}
