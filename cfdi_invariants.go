package paykit

import (
	"context"
	"slices"
)

// The invariants of tax invoices, receipts and the documents of charges (see
// CheckInvariants).

// checkLines records the breaches of a document's lines: each item totals its
// base plus its transferred and less its withheld taxes, in c, and sums is
// their sums, its total its subtotal plus its transferred and less its
// withheld taxes.
func checkLines(b *breaches, of string, items []ChargeItem, sums LineSums, c Currency) {
	for i, it := range items {
		total := it.Base.Minor()
		for _, t := range it.Taxes {
			if t.Withholding {
				total -= t.Amount.Minor()
			} else {
				total += t.Amount.Minor()
			}
		}
		if it.Total.Currency != c || it.Total.Minor() != total {
			b.add("%s: item %d totals %s, its base and taxes %s", of, i, it.Total, MoneyFromMinor(total, c))
		}
	}
	want := sumLines(items, c)
	if !sameMoney(sums.Subtotal, want.Subtotal) || !sameMoney(sums.Transferred, want.Transferred) ||
		!sameMoney(sums.Withheld, want.Withheld) || !sameMoney(sums.Total, want.Total) {
		b.add("%s: its sums are %s, %s, %s and %s; its items' %s, %s, %s and %s", of, sums.Subtotal, sums.Transferred,
			sums.Withheld, sums.Total, want.Subtotal, want.Transferred, want.Withheld, want.Total)
	}
	if sums.Total.Minor() != sums.Subtotal.Minor()+sums.Transferred.Minor()-sums.Withheld.Minor() {
		b.add("%s: its total %s is not its subtotal %s plus %s less %s", of, sums.Total, sums.Subtotal, sums.Transferred, sums.Withheld)
	}
}

// sameMoney reports whether a and b are the same amount of the same currency.
func sameMoney(a, b Money) bool { return a.Currency == b.Currency && a.Minor() == b.Minor() }

// checkTaxInvoices records the breaches of the tenant's tax invoices:
//
//   - an income invoice's lines sum to its subtotal, taxes and total (see
//     checkLines), and it has at least one; a complement has none and totals
//     zero;
//   - a PUE invoice is paid in a form other than 99 and owes nothing; a PPD
//     invoice's form is 99 and its balance is its total less what its valid
//     complements paid; a complement pays a PPD invoice of the team in its
//     currency;
//   - an invoice is canceled if and only if it has a cancellation, and one
//     replaced (motive 01) names an invoice of the team;
//   - the folios of each series are 1, 2, … with no gap and no repeat.
func (s *Service) checkTaxInvoices(ctx context.Context, tenantID string, b *breaches) error {
	byID := map[string]*TaxInvoice{}
	var all []*TaxInvoice
	err := pageAll(func(after string) ([]*TaxInvoice, error) {
		invs, _, err := s.store.FindTaxInvoices(ctx, tenantID, TaxInvoiceFilter{After: after, Limit: MaxLimit})
		return invs, err
	}, func(inv *TaxInvoice) string { return inv.ID }, func(inv *TaxInvoice) error {
		byID[inv.ID] = inv
		all = append(all, inv)
		return nil
	})
	if err != nil {
		return err
	}
	paid := map[string]int64{} // what valid complements paid, by invoice
	folios := map[string][]int64{}
	for _, inv := range all {
		of := "tax invoice " + inv.ID
		folios[inv.Series] = append(folios[inv.Series], inv.Folio)
		if !slices.Contains(taxInvoiceStatuses, inv.Status) {
			b.add("%s has the unknown status %q", of, inv.Status)
		}
		if (inv.Status == TaxInvoiceStatusCanceled) != (inv.Cancellation != nil) {
			b.add("%s is %s with the cancellation %v", of, inv.Status, inv.Cancellation)
		} else if c := inv.Cancellation; c != nil && (c.Motive == CancelMotiveReplaced) != (byID[c.SubstitutionID] != nil) {
			b.add("%s was canceled for %s, substituted by %q", of, c.Motive, c.SubstitutionID)
		}
		if inv.Issuer.RFC == "" || inv.Receiver.RFC == "" {
			b.add("%s has no issuer or no receiver", of)
		}
		switch inv.Type {
		case CFDITypeIncome:
			checkLines(b, of, inv.Items, inv.LineSums, inv.Currency)
			if len(inv.Items) == 0 {
				b.add("%s has no items", of)
			}
			switch {
			case inv.PaymentMethod == PaymentMethodPUE && (inv.PaymentForm == paymentFormUndefined || inv.Balance.Minor() != 0):
				b.add("%s is PUE in form %s with the balance %s", of, inv.PaymentForm, inv.Balance)
			case inv.PaymentMethod == PaymentMethodPPD && inv.PaymentForm != paymentFormUndefined:
				b.add("%s is PPD in form %s", of, inv.PaymentForm)
			case inv.PaymentMethod != PaymentMethodPUE && inv.PaymentMethod != PaymentMethodPPD:
				b.add("%s has the payment method %q", of, inv.PaymentMethod)
			}
		case CFDITypePayment:
			if len(inv.Items) != 0 || inv.Total.Minor() != 0 || inv.Subtotal.Minor() != 0 {
				b.add("%s is a complement with %d items and the total %s", of, len(inv.Items), inv.Total)
			}
			p := inv.Payment
			if p == nil {
				b.add("%s is a complement of no payment", of)
				continue
			}
			ppd := byID[p.InvoiceID]
			switch {
			case ppd == nil:
				b.add("%s pays the invoice %s, which does not exist", of, p.InvoiceID)
			case ppd.PaymentMethod != PaymentMethodPPD || ppd.Currency != p.Amount.Currency:
				b.add("%s pays %s in %s, a %s invoice in %s", of, ppd.ID, p.Amount.Currency, ppd.PaymentMethod, ppd.Currency)
			case inv.Status == TaxInvoiceStatusValid:
				paid[ppd.ID] += p.Amount.Minor()
			}
		default:
			b.add("%s has the unknown type %q", of, inv.Type)
		}
	}
	for _, inv := range all {
		if inv.Type == CFDITypeIncome && inv.PaymentMethod == PaymentMethodPPD && inv.Balance.Minor() != inv.Total.Minor()-paid[inv.ID] {
			b.add("tax invoice %s of %s owes %s, but its complements paid %s", inv.ID, inv.Total, inv.Balance,
				MoneyFromMinor(paid[inv.ID], inv.Currency))
		}
	}
	for series, fs := range folios {
		slices.Sort(fs)
		for i, f := range fs {
			if f != int64(i+1) {
				b.add("the folios of series %s are %v, not 1 to %d", series, fs, len(fs))
				break
			}
		}
	}
	return nil
}

// checkReceipts records the breaches of the tenant's receipts: their lines
// sum to their sums; a receipt is invoiced if and only if it names its
// invoice, which names it back and totals what it does; a charge's receipt
// totals the charge, is pending only while the charge is in flight, open or
// invoiced only once it succeeded, and canceled (or expired) with it.
func (s *Service) checkReceipts(ctx context.Context, tenantID string, b *breaches) error {
	return pageAll(func(after string) ([]*Receipt, error) {
		rs, _, err := s.store.FindReceipts(ctx, tenantID, ReceiptFilter{After: after, Limit: MaxLimit})
		return rs, err
	}, func(r *Receipt) string { return r.ID }, func(r *Receipt) error {
		of := "receipt " + r.ID
		if !slices.Contains(receiptStatuses, r.Status) {
			b.add("%s has the unknown status %q", of, r.Status)
		}
		checkLines(b, of, r.Items, r.LineSums, r.Currency)
		if (r.Status == ReceiptStatusInvoiced) != (r.InvoiceID != "") {
			b.add("%s is %s with the invoice %q", of, r.Status, r.InvoiceID)
		}
		if r.InvoiceID != "" {
			inv, err := s.store.FindTaxInvoiceByID(ctx, tenantID, r.InvoiceID)
			switch {
			case ErrorCode(err) == ENOTFOUND:
				b.add("%s: its invoice %s does not exist", of, r.InvoiceID)
			case err != nil:
				return err
			case inv.ReceiptID != r.ID || !sameMoney(inv.Total, r.Total):
				b.add("%s of %s: its invoice %s of %s is of receipt %q", of, r.Total, inv.ID, inv.Total, inv.ReceiptID)
			}
		}
		if r.PaymentID == "" {
			return nil
		}
		p, err := s.store.FindPaymentByID(ctx, tenantID, r.PaymentID)
		switch {
		case ErrorCode(err) == ENOTFOUND:
			b.add("%s: its payment %s does not exist", of, r.PaymentID)
		case err != nil:
			return err
		case !sameMoney(p.Amount, r.Total):
			b.add("%s of %s: its payment %s is of %s", of, r.Total, p.ID, p.Amount)
		case r.Status == ReceiptStatusPending && (p.Status == PaymentStatusSucceeded || p.Status == PaymentStatusCanceled),
			(r.Status == ReceiptStatusOpen || r.Status == ReceiptStatusInvoiced) && p.Status != PaymentStatusSucceeded,
			p.Status == PaymentStatusCanceled && r.Status != ReceiptStatusCanceled && r.Status != ReceiptStatusExpired:
			b.add("%s is %s, its payment %s %s", of, r.Status, p.ID, p.Status)
		}
		return nil
	})
}

// checkChargeDocuments records the breaches of charge p's documents: every
// automation due (at creation, or on success once succeeded) was performed,
// or says why it could not be; each document made names p; p's valid income
// invoices total its amount, and a PUE invoice or a complement exists only
// for a succeeded charge.
func (s *Service) checkChargeDocuments(ctx context.Context, b *breaches, of string, p *Payment) error {
	for _, a := range p.Charge.Automations {
		due := a.When == "" || a.When == PaymentStatusSucceeded && p.Status == PaymentStatusSucceeded
		if due && a.DocumentID == "" && a.Failure == "" {
			b.add("%s is %s but its %s automation was not performed", of, p.Status, a.Document)
		}
		if a.DocumentID == "" {
			continue
		}
		if a.Document == AutomationReceipt {
			r, err := s.store.FindReceiptByID(ctx, p.TenantID, a.DocumentID)
			switch {
			case ErrorCode(err) == ENOTFOUND:
				b.add("%s: its receipt %s does not exist", of, a.DocumentID)
			case err != nil:
				return err
			case r.PaymentID != p.ID:
				b.add("%s: its receipt %s is of payment %q", of, r.ID, r.PaymentID)
			}
			continue
		}
		inv, err := s.store.FindTaxInvoiceByID(ctx, p.TenantID, a.DocumentID)
		switch {
		case ErrorCode(err) == ENOTFOUND:
			b.add("%s: its invoice %s does not exist", of, a.DocumentID)
			continue
		case err != nil:
			return err
		case inv.PaymentID != p.ID || inv.Automation != a.Document:
			b.add("%s: its %s %s is the %s of payment %q", of, a.Document, inv.ID, inv.Automation, inv.PaymentID)
		case inv.Type == CFDITypeIncome && inv.Status == TaxInvoiceStatusValid &&
			!sameMoney(inv.Total, p.Amount):
			b.add("%s of %s: its invoice %s is of %s", of, p.Amount, inv.ID, inv.Total)
		case inv.Type == CFDITypePayment && (inv.Payment == nil || !sameMoney(inv.Payment.Amount, p.Amount)):
			b.add("%s of %s: its complement %s records another payment", of, p.Amount, inv.ID)
		}
		if (inv.PaymentMethod == PaymentMethodPUE || inv.Type == CFDITypePayment) && p.Status != PaymentStatusSucceeded {
			b.add("%s is %s but has the paid invoice %s", of, p.Status, inv.ID)
		}
	}
	return nil
}
