package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/paykit/paykit"
)

// Tax invoices are stored as the canonical JSON of paykit.TaxInvoice, beside
// the columns their lists filter and order by and the unique key of their
// folios.

const taxInvoiceColumns = `tenant_id, id, type, status, series, folio, client_id, payment_id, created_at, updated_at, invoice`

type taxInvoiceRow struct {
	TenantID  string `db:"tenant_id"`
	ID        string `db:"id"`
	Type      string `db:"type"`
	Status    string `db:"status"`
	Series    string `db:"series"`
	Folio     int64  `db:"folio"`
	ClientID  string `db:"client_id"`
	PaymentID string `db:"payment_id"`
	CreatedAt int64  `db:"created_at"`
	UpdatedAt int64  `db:"updated_at"`
	Invoice   string `db:"invoice"`
}

func (r *taxInvoiceRow) invoice() (*paykit.TaxInvoice, error) {
	inv := new(paykit.TaxInvoice)
	if err := json.Unmarshal([]byte(r.Invoice), inv); err != nil {
		return nil, fmt.Errorf("tax invoice %s: %w", r.ID, err)
	}
	return inv, nil
}

func (t *tx) NextFolio(ctx context.Context, tenantID, series string) (int64, error) {
	var n int64
	err := t.get(ctx, &n, `INSERT INTO cfdi_folios (tenant_id, series, last) VALUES (?, ?, 1)
		ON CONFLICT (tenant_id, series) DO UPDATE SET last = cfdi_folios.last + 1 RETURNING last`, tenantID, series)
	if err != nil {
		return 0, fmt.Errorf("next folio of %s: %w", series, err)
	}
	return n, nil
}

func (t *tx) CreateTaxInvoice(ctx context.Context, inv *paykit.TaxInvoice) error {
	b, err := json.Marshal(inv)
	if err != nil {
		return fmt.Errorf("create tax invoice %s: %w", inv.ID, err)
	}
	return t.insert(ctx, "An invoice with this ID, or this series and folio, already exists.", "create tax invoice "+inv.ID,
		`INSERT INTO tax_invoices (`+taxInvoiceColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		inv.TenantID, inv.ID, string(inv.Type), string(inv.Status), inv.Series, inv.Folio, inv.Receiver.ClientID,
		inv.PaymentID, micros(inv.CreatedAt), micros(inv.UpdatedAt), string(b))
}

func (t *tx) UpdateTaxInvoice(ctx context.Context, inv *paykit.TaxInvoice) error {
	cur, err := t.FindTaxInvoiceByID(ctx, inv.TenantID, inv.ID)
	if err != nil {
		return err
	}
	cur.Status, cur.Balance, cur.Cancellation, cur.UpdatedAt = inv.Status, inv.Balance, inv.Cancellation, inv.UpdatedAt
	b, err := json.Marshal(cur)
	if err != nil {
		return fmt.Errorf("update tax invoice %s: %w", inv.ID, err)
	}
	res, err := t.exec(ctx, `UPDATE tax_invoices SET status = ?, updated_at = ?, invoice = ? WHERE tenant_id = ? AND id = ?`,
		string(inv.Status), micros(inv.UpdatedAt), string(b), inv.TenantID, inv.ID)
	if err != nil {
		return fmt.Errorf("update tax invoice %s: %w", inv.ID, err)
	}
	return affected(res, "Invoice not found.")
}

func (t *view) FindTaxInvoiceByID(ctx context.Context, tenantID, id string) (*paykit.TaxInvoice, error) {
	var r taxInvoiceRow
	if err := t.get(ctx, &r, `SELECT `+taxInvoiceColumns+` FROM tax_invoices WHERE tenant_id = ? AND id = ?`, tenantID, id); err != nil {
		return nil, notFound(err, "Invoice not found.", "find tax invoice "+id)
	}
	return r.invoice()
}

func (t *view) FindTaxInvoices(ctx context.Context, tenantID string, f paykit.TaxInvoiceFilter) ([]*paykit.TaxInvoice, int, error) {
	q := newQuery("tenant_id = ?", tenantID)
	if f.Type != nil {
		q.add("type = ?", string(*f.Type))
	}
	if f.Status != nil {
		q.add("status = ?", string(*f.Status))
	}
	if f.ClientID != nil {
		q.add("client_id = ?", *f.ClientID)
	}
	if f.Series != nil {
		q.add("series = ?", *f.Series)
	}
	if f.PaymentID != nil {
		q.add("payment_id = ?", *f.PaymentID)
	}
	var rows []taxInvoiceRow
	var n int
	err := t.readTx(ctx, func(t *view) error {
		if err := t.get(ctx, &n, `SELECT COUNT(*) FROM tax_invoices WHERE `+q.clause(), q.args...); err != nil {
			return err
		}
		page := &query{where: append([]string(nil), q.where...), args: append([]any(nil), q.args...)}
		if f.After != "" {
			page.add("(created_at, id) < (SELECT created_at, id FROM tax_invoices WHERE tenant_id = ? AND id = ?)", tenantID, f.After)
		}
		return t.selectAll(ctx, &rows, `SELECT `+taxInvoiceColumns+` FROM tax_invoices WHERE `+page.clause()+
			` ORDER BY created_at DESC, id DESC LIMIT ?`, append(page.args, limit(f.Limit))...)
	})
	if err != nil {
		return nil, 0, fmt.Errorf("find tax invoices: %w", err)
	}
	out := make([]*paykit.TaxInvoice, len(rows))
	for i := range rows {
		inv, err := rows[i].invoice()
		if err != nil {
			return nil, 0, err
		}
		out[i] = inv
	}
	return out, n, nil
}
