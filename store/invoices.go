package store

import (
	"context"
	"fmt"

	"github.com/paykit/paykit"
)

const invoiceColumns = `number, uid, tenant_id, id, currency, open, price_minor, metadata, app_url, pdf_url, token,
	created_at, paid_at, updated_at`

type invoiceRow struct {
	Number     int64  `db:"number"`
	UID        string `db:"uid"`
	TenantID   string `db:"tenant_id"`
	ID         string `db:"id"`
	Currency   string `db:"currency"`
	Open       bool   `db:"open"`
	PriceMinor int64  `db:"price_minor"`
	Metadata   string `db:"metadata"`
	AppURL     string `db:"app_url"`
	PDFURL     string `db:"pdf_url"`
	Token      string `db:"token"`
	CreatedAt  int64  `db:"created_at"`
	PaidAt     *int64 `db:"paid_at"`
	UpdatedAt  int64  `db:"updated_at"`
}

func (r *invoiceRow) invoice() *paykit.Invoice {
	c := paykit.Currency(r.Currency)
	return &paykit.Invoice{
		UID: r.UID, TenantID: r.TenantID, ID: r.ID, Number: r.Number, Currency: c, Open: r.Open,
		Price: paykit.MoneyFromMinor(r.PriceMinor, c), Metadata: []byte(r.Metadata), AppURL: r.AppURL,
		PDFURL: r.PDFURL, Token: r.Token, CreatedAt: fromMicros(r.CreatedAt), PaidAt: fromMicrosPtr(r.PaidAt),
		UpdatedAt: fromMicros(r.UpdatedAt),
	}
}

func (t *tx) CreateInvoice(ctx context.Context, inv *paykit.Invoice) error {
	return t.insertReturning(ctx, &inv.Number, "number", "Invoice already exists.", "create invoice "+inv.UID,
		`INSERT INTO invoices (uid, tenant_id, id, currency, open, price_minor, metadata, app_url,
		pdf_url, token, created_at, paid_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		inv.UID, inv.TenantID, inv.ID, string(inv.Currency), inv.Open, inv.Price.Minor(), metadataText(inv.Metadata),
		inv.AppURL, inv.PDFURL, inv.Token, micros(inv.CreatedAt), microsPtr(inv.PaidAt), micros(inv.UpdatedAt))
}

func (t *view) FindInvoiceByUID(ctx context.Context, tenantID, uid string) (*paykit.Invoice, error) {
	var r invoiceRow
	if err := t.get(ctx, &r, `SELECT `+invoiceColumns+` FROM invoices WHERE tenant_id = ? AND uid = ?`, tenantID, uid); err != nil {
		return nil, notFound(err, "Invoice not found.", "find invoice "+uid)
	}
	return r.invoice(), nil
}

func (t *view) FindInvoiceByID(ctx context.Context, tenantID, id string) (*paykit.Invoice, error) {
	var r invoiceRow
	if err := t.get(ctx, &r, `SELECT `+invoiceColumns+` FROM invoices WHERE tenant_id = ? AND id = ?`, tenantID, id); err != nil {
		return nil, notFound(err, "Invoice not found.", "find invoice by id "+id)
	}
	return r.invoice(), nil
}

func (t *view) FindOpenInvoice(ctx context.Context, tenantID string, c paykit.Currency) (*paykit.Invoice, error) {
	var r invoiceRow
	err := t.get(ctx, &r, `SELECT `+invoiceColumns+` FROM invoices WHERE tenant_id = ? AND currency = ? AND open = 1`,
		tenantID, string(c))
	if err != nil {
		return nil, notFound(err, "No open invoice.", "find open invoice")
	}
	return r.invoice(), nil
}

func (t *view) FindInvoices(ctx context.Context, tenantID string, f paykit.InvoiceFilter) ([]*paykit.Invoice, int, error) {
	q := &query{}
	q.add("tenant_id = ?", tenantID)
	if f.Open != nil {
		q.add("open = ?", *f.Open)
	}
	q.timeFilter("created_at", f.CreatedAt)
	q.timeFilter("paid_at", f.PaidAt)
	rows, n, err := list[invoiceRow](ctx, t, listSpec{columns: invoiceColumns, from: "invoices", created: "created_at", uid: "uid"}, q, f.ListPage)
	if err != nil {
		return nil, 0, fmt.Errorf("find invoices: %w", err)
	}
	out := make([]*paykit.Invoice, len(rows))
	for i := range rows {
		out[i] = rows[i].invoice()
	}
	return out, n, nil
}

func (t *tx) UpdateInvoice(ctx context.Context, inv *paykit.Invoice) error {
	res, err := t.exec(ctx, `UPDATE invoices SET id = ?, app_url = ?, open = ?, price_minor = ?, metadata = ?, paid_at = ?,
		updated_at = ? WHERE tenant_id = ? AND uid = ?`,
		inv.ID, inv.AppURL, inv.Open, inv.Price.Minor(), metadataText(inv.Metadata), microsPtr(inv.PaidAt),
		micros(inv.UpdatedAt), inv.TenantID, inv.UID)
	if err != nil {
		return conflict(err, "An invoice with this ID already exists.", "update invoice "+inv.UID)
	}
	return affected(res, "Invoice not found.")
}

func (t *tx) DeleteInvoice(ctx context.Context, tenantID, uid string) error {
	res, err := t.exec(ctx, `DELETE FROM invoices WHERE tenant_id = ? AND uid = ?`, tenantID, uid)
	if err != nil {
		return foreignKey(err, "Invoice has payouts.", "delete invoice "+uid)
	}
	return affected(res, "Invoice not found.")
}
