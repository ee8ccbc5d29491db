package store

import (
	"context"
	"fmt"

	"github.com/paykit/paykit"
)

// payoutColumns are read from payouts p. The client ids of a payout's
// employee and invoice are scalar subqueries rather than joins, so that a
// list evaluates them for the rows of its page only (see listSpec).
const payoutColumns = `p.uid, p.tenant_id, p.id, p.employee_uid,
	(SELECT pe.id FROM employees pe WHERE pe.uid = p.employee_uid) AS employee_id,
	p.invoice_uid, (SELECT pi.id FROM invoices pi WHERE pi.uid = p.invoice_uid) AS invoice_id,
	p.basis, p.currency, p.amount_minor, p.invoiced_amount_minor, p.cost_minor, p.fee_minor, p.payroll_minor,
	p.tax_minor, p.vat_minor, p.description, p.metadata, p.start_at, p.end_at, p.status, p.created_at,
	p.notified_at, p.accepted_at, p.disbursed_at, p.resent_at, p.updated_at`

// payoutList is the Gigapay list of payouts. Its filters read payouts alone.
var payoutList = listSpec{columns: payoutColumns, from: "payouts p", created: "p.created_at", uid: "p.uid",
	counted: "payouts"}

type payoutRow struct {
	UID                 string `db:"uid"`
	TenantID            string `db:"tenant_id"`
	ID                  string `db:"id"`
	EmployeeUID         string `db:"employee_uid"`
	EmployeeID          string `db:"employee_id"`
	InvoiceUID          string `db:"invoice_uid"`
	InvoiceID           string `db:"invoice_id"`
	Basis               string `db:"basis"`
	Currency            string `db:"currency"`
	AmountMinor         int64  `db:"amount_minor"`
	InvoicedAmountMinor int64  `db:"invoiced_amount_minor"`
	CostMinor           int64  `db:"cost_minor"`
	FeeMinor            int64  `db:"fee_minor"`
	PayrollMinor        int64  `db:"payroll_minor"`
	TaxMinor            int64  `db:"tax_minor"`
	VATMinor            int64  `db:"vat_minor"`
	Description         string `db:"description"`
	Metadata            string `db:"metadata"`
	StartAt             *int64 `db:"start_at"`
	EndAt               *int64 `db:"end_at"`
	Status              string `db:"status"`
	CreatedAt           int64  `db:"created_at"`
	NotifiedAt          *int64 `db:"notified_at"`
	AcceptedAt          *int64 `db:"accepted_at"`
	DisbursedAt         *int64 `db:"disbursed_at"`
	ResentAt            *int64 `db:"resent_at"`
	UpdatedAt           int64  `db:"updated_at"`
}

func (r *payoutRow) payout() *paykit.Payout {
	c := paykit.Currency(r.Currency)
	m := func(v int64) paykit.Money { return paykit.MoneyFromMinor(v, c) }
	return &paykit.Payout{
		UID: r.UID, TenantID: r.TenantID, ID: r.ID, Basis: paykit.PricingBasis(r.Basis),
		Amount: m(r.AmountMinor), InvoicedAmount: m(r.InvoicedAmountMinor), Cost: m(r.CostMinor),
		Fee: m(r.FeeMinor), Payroll: m(r.PayrollMinor), Tax: m(r.TaxMinor), VAT: m(r.VATMinor),
		Description: r.Description, EmployeeUID: r.EmployeeUID, EmployeeID: r.EmployeeID,
		InvoiceUID: r.InvoiceUID, InvoiceID: r.InvoiceID, Metadata: []byte(r.Metadata),
		StartAt: fromMicrosPtr(r.StartAt), EndAt: fromMicrosPtr(r.EndAt), Status: paykit.PayoutStatus(r.Status),
		CreatedAt: fromMicros(r.CreatedAt), NotifiedAt: fromMicrosPtr(r.NotifiedAt), AcceptedAt: fromMicrosPtr(r.AcceptedAt),
		DisbursedAt: fromMicrosPtr(r.DisbursedAt), ResentAt: fromMicrosPtr(r.ResentAt), UpdatedAt: fromMicros(r.UpdatedAt),
	}
}

// CreatePayout writes p with the search text of its description and a copy
// of its employee's (which UpdateEmployee keeps), so that a search of payouts
// (FindPayouts) reads payouts alone rather than each one's employee.
func (t *tx) CreatePayout(ctx context.Context, p *paykit.Payout) error {
	return t.insert(ctx, "Payout already exists.", "create payout "+p.UID,
		`INSERT INTO payouts (uid, tenant_id, id, employee_uid, invoice_uid, basis, currency,
		amount_minor, invoiced_amount_minor, cost_minor, fee_minor, payroll_minor, tax_minor, vat_minor, description,
		metadata, start_at, end_at, status, created_at, notified_at, accepted_at, disbursed_at, resent_at, updated_at,
		search, employee_search)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
			COALESCE((SELECT search FROM employees WHERE uid = ?), ''))`,
		p.UID, p.TenantID, p.ID, p.EmployeeUID, p.InvoiceUID, string(p.Basis), string(p.Amount.Currency),
		p.Amount.Minor(), p.InvoicedAmount.Minor(), p.Cost.Minor(), p.Fee.Minor(), p.Payroll.Minor(), p.Tax.Minor(),
		p.VAT.Minor(), p.Description, metadataText(p.Metadata), microsPtr(p.StartAt), microsPtr(p.EndAt),
		string(p.Status), micros(p.CreatedAt), microsPtr(p.NotifiedAt), microsPtr(p.AcceptedAt),
		microsPtr(p.DisbursedAt), microsPtr(p.ResentAt), micros(p.UpdatedAt), searchText(p.Description), p.EmployeeUID)
}

func (t *view) FindPayoutByUID(ctx context.Context, tenantID, uid string) (*paykit.Payout, error) {
	var r payoutRow
	err := t.get(ctx, &r, `SELECT `+payoutColumns+` FROM payouts p WHERE p.tenant_id = ? AND p.uid = ?`, tenantID, uid)
	if err != nil {
		return nil, notFound(err, "Payout not found.", "find payout "+uid)
	}
	return r.payout(), nil
}

func (t *view) FindPayoutByID(ctx context.Context, tenantID, id string) (*paykit.Payout, error) {
	var r payoutRow
	err := t.get(ctx, &r, `SELECT `+payoutColumns+` FROM payouts p WHERE p.tenant_id = ? AND p.id = ?`, tenantID, id)
	if err != nil {
		return nil, notFound(err, "Payout not found.", "find payout by id "+id)
	}
	return r.payout(), nil
}

func (t *view) FindPayouts(ctx context.Context, tenantID string, f paykit.PayoutFilter) ([]*paykit.Payout, int, error) {
	l, q := payoutsQuery(tenantID, f)
	rows, n, err := list[payoutRow](ctx, t, l, q, f.ListPage)
	if err != nil {
		return nil, 0, fmt.Errorf("find payouts: %w", err)
	}
	out := make([]*paykit.Payout, len(rows))
	for i := range rows {
		out[i] = rows[i].payout()
	}
	return out, n, nil
}

// payoutsQuery returns the list of payouts f selects and its conditions. An
// employee or invoice given by its client id is looked up once, in a scalar
// subquery, so that the payouts are read from payouts_employee or
// payouts_invoice in their order. Every other filter is checked on the rows
// payouts_created yields, newest first (see plans_test.go).
func payoutsQuery(tenantID string, f paykit.PayoutFilter) (listSpec, *query) {
	l, q := payoutList, newQuery("p.tenant_id = ?", tenantID)
	if f.EmployeeUID != nil {
		q.add("p.employee_uid = ?", *f.EmployeeUID)
	}
	if f.EmployeeID != nil {
		q.add("p.employee_uid = (SELECT uid FROM employees WHERE tenant_id = ? AND id = ?)", tenantID, *f.EmployeeID)
	}
	if f.InvoiceUID != nil {
		q.add("p.invoice_uid = ?", *f.InvoiceUID)
	}
	if f.InvoiceID != nil {
		q.add("p.invoice_uid = (SELECT uid FROM invoices WHERE tenant_id = ? AND id = ?)", tenantID, *f.InvoiceID)
	}
	if f.Status != nil {
		q.add("p.status = ?", string(*f.Status))
	}
	q.search(f.Search, "p.search", "p.employee_search")
	q.timeFilter("p.start_at", f.StartAt)
	q.timeFilter("p.end_at", f.EndAt)
	q.timeFilter("p.created_at", f.CreatedAt)
	q.timeFilter("p.notified_at", f.NotifiedAt)
	q.timeFilter("p.accepted_at", f.AcceptedAt)
	return l, q
}

func (t *tx) UpdatePayout(ctx context.Context, p *paykit.Payout) error {
	res, err := t.exec(ctx, `UPDATE payouts SET status = ?, notified_at = ?, accepted_at = ?, disbursed_at = ?,
		resent_at = ?, updated_at = ? WHERE tenant_id = ? AND uid = ?`,
		string(p.Status), microsPtr(p.NotifiedAt), microsPtr(p.AcceptedAt), microsPtr(p.DisbursedAt),
		microsPtr(p.ResentAt), micros(p.UpdatedAt), p.TenantID, p.UID)
	if err != nil {
		return fmt.Errorf("update payout %s: %w", p.UID, err)
	}
	return affected(res, "Payout not found.")
}

func (t *tx) DeletePayout(ctx context.Context, tenantID, uid string) error {
	res, err := t.exec(ctx, `DELETE FROM payouts WHERE tenant_id = ? AND uid = ?`, tenantID, uid)
	if err != nil {
		return fmt.Errorf("delete payout %s: %w", uid, err)
	}
	return affected(res, "Payout not found.")
}

// metadataText returns the JSON text of metadata, {} when it has none.
func metadataText(m []byte) string {
	if len(m) == 0 {
		return "{}"
	}
	return string(m)
}
