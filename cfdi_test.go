package paykit_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
)

// cfdiWorld is a team with a fiscal identity and a client, two income
// invoices of series A, a charge with a PPD invoice and its complement, and a
// stamped receipt.
type cfdiWorld struct {
	first, second *paykit.TaxInvoice
	charge        *paykit.Payment
	ppd, paid     string // the charge's PPD invoice and its complement
	receipt       *paykit.Receipt
}

func mustCFDIWorld(t *testing.T, e *env) *cfdiWorld {
	t.Helper()
	ctx := context.Background()
	_, err := e.svc.CreateTenant(ctx, "team", "Team")
	require.NoError(t, err)
	_, err = e.svc.ConfigureFiscalIdentity(ctx, "team", paykit.FiscalIdentity{RFC: "EKU9003173C9", LegalName: "ESCUELA KEMPER URGATE",
		TaxSystem: "601", Zip: "42501"})
	require.NoError(t, err)
	c, err := e.svc.CreateClient(ctx, "team", paykit.ClientCreate{Name: "Maria", RFC: "ROSM850315QT8", LegalName: "MARIA",
		TaxSystem: "612", Use: "G03", Address: paykit.Address{Zip: "06100"}})
	require.NoError(t, err)
	price := dec("33.33")
	three := dec("3")
	lines := []paykit.ChargeItemInput{{Name: "x", Quantity: &three, UnitPrice: &price}}
	w := &cfdiWorld{}
	in := paykit.TaxInvoiceCreate{ClientID: c.ID, Items: lines, PaymentForm: "03"}
	w.first, err = e.svc.CreateTaxInvoice(ctx, "team", in)
	require.NoError(t, err)
	w.second, err = e.svc.CreateTaxInvoice(ctx, "team", in)
	require.NoError(t, err)
	require.Equal(t, []int64{1, 2}, []int64{w.first.Folio, w.second.Folio})
	p, err := e.svc.CreateCharge(ctx, "team", paykit.ChargeCreate{ClientID: c.ID, Items: lines, IncomeInvoiceAndComplement: true})
	require.NoError(t, err)
	w.charge, err = e.svc.MoveCharge(ctx, "team", p.ID, paykit.PaymentStatusSucceeded, "")
	require.NoError(t, err)
	w.ppd, w.paid = w.charge.Charge.Automations[0].DocumentID, w.charge.Charge.Automations[1].DocumentID
	require.NotEmpty(t, w.paid)
	r, err := e.svc.CreateReceipt(ctx, "team", paykit.ReceiptCreate{ClientID: c.ID, Items: lines, PaymentForm: "01"})
	require.NoError(t, err)
	_, err = e.svc.StampReceipt(ctx, "team", r.ID, paykit.ReceiptStamp{})
	require.NoError(t, err)
	w.receipt, err = e.svc.FindReceiptByID(ctx, "team", r.ID)
	require.NoError(t, err)
	require.NoError(t, e.svc.CheckAllInvariants(ctx))
	return w
}

// TestService_CheckInvariants_CFDI breaks each invariant of tax invoices,
// receipts and the documents of charges, and requires CheckInvariants to
// name it.
func TestService_CheckInvariants_CFDI(t *testing.T) {
	for _, tc := range []struct {
		name    string
		corrupt func(t *testing.T, e *env, w *cfdiWorld)
		want    func(w *cfdiWorld) string
	}{{
		name: "FolioGap",
		corrupt: func(t *testing.T, e *env, w *cfdiWorld) {
			e.mustExec(t, `UPDATE tax_invoices SET folio = 5, invoice = json_set(invoice, '$.folio', 5) WHERE id = ?`, w.second.ID)
		},
		want: func(w *cfdiWorld) string { return "the folios of series A are [1 3 4 5], not 1 to 4" },
	}, {
		name: "InvoiceTotal",
		corrupt: func(t *testing.T, e *env, w *cfdiWorld) {
			e.mustExec(t, `UPDATE tax_invoices SET invoice = json_set(invoice, '$.total.amount', '99.98') WHERE id = ?`, w.first.ID)
		},
		want: func(w *cfdiWorld) string {
			return "tax invoice " + w.first.ID + ": its sums are 99.99 MXN, 0.00 MXN, 0.00 MXN and 99.98 MXN"
		},
	}, {
		name: "PPDBalance",
		corrupt: func(t *testing.T, e *env, w *cfdiWorld) {
			e.mustExec(t, `UPDATE tax_invoices SET invoice = json_set(invoice, '$.balance.amount', '1.00') WHERE id = ?`, w.ppd)
		},
		want: func(w *cfdiWorld) string {
			return "tax invoice " + w.ppd + " of 99.99 MXN owes 1.00 MXN, but its complements paid 99.99 MXN"
		},
	}, {
		name: "ComplementOfNothing",
		corrupt: func(t *testing.T, e *env, w *cfdiWorld) {
			e.mustExec(t, `UPDATE tax_invoices SET invoice = json_set(invoice, '$.payment.invoiceId', 'gone') WHERE id = ?`, w.paid)
		},
		want: func(w *cfdiWorld) string {
			return "tax invoice " + w.paid + " pays the invoice gone, which does not exist"
		},
	}, {
		name: "CanceledWithoutCancellation",
		corrupt: func(t *testing.T, e *env, w *cfdiWorld) {
			e.mustExec(t, `UPDATE tax_invoices SET invoice = json_set(invoice, '$.status', 'canceled') WHERE id = ?`, w.first.ID)
		},
		want: func(w *cfdiWorld) string {
			return "tax invoice " + w.first.ID + " is canceled with the cancellation <nil>"
		},
	}, {
		name: "AutomationNotPerformed",
		corrupt: func(t *testing.T, e *env, w *cfdiWorld) {
			e.mustExec(t, `UPDATE payments SET charge = json_remove(charge, '$.automations[1].documentId') WHERE id = ?`, w.charge.ID)
		},
		want: func(w *cfdiWorld) string {
			return "payment " + w.charge.ID + " is succeeded but its payment_complement automation was not performed"
		},
	}, {
		name: "ChargeInvoiceAmount",
		corrupt: func(t *testing.T, e *env, w *cfdiWorld) {
			e.mustExec(t, `UPDATE payments SET amount_minor = 10000 WHERE id = ?`, w.charge.ID)
		},
		want: func(w *cfdiWorld) string {
			return "payment " + w.charge.ID + " of 100.00 MXN: its invoice " + w.ppd + " is of 99.99 MXN"
		},
	}, {
		name: "PaidInvoiceOfUnpaidCharge",
		corrupt: func(t *testing.T, e *env, w *cfdiWorld) {
			e.mustExec(t, `UPDATE payments SET status = 'processing', charge = json_remove(charge, '$.succeededAt') WHERE id = ?`, w.charge.ID)
		},
		want: func(w *cfdiWorld) string {
			return "payment " + w.charge.ID + " is processing but has the paid invoice " + w.paid
		},
	}, {
		name: "ReceiptInvoicedWithoutInvoice",
		corrupt: func(t *testing.T, e *env, w *cfdiWorld) {
			e.mustExec(t, `UPDATE receipts SET receipt = json_remove(receipt, '$.invoiceId') WHERE id = ?`, w.receipt.ID)
		},
		want: func(w *cfdiWorld) string { return "receipt " + w.receipt.ID + ` is invoiced with the invoice ""` },
	}} {
		t.Run(tc.name, func(t *testing.T) {
			e := MustOpenUnchecked(t)
			w := mustCFDIWorld(t, e)
			tc.corrupt(t, e, w)
			err := e.svc.CheckInvariants(context.Background(), "team")
			requireCode(t, paykit.EINTERNAL, err)
			require.Contains(t, paykit.ErrorMessage(err), tc.want(w))
		})
	}
}
