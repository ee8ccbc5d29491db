package store

import (
	"context"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/paykit/paykit"
)

const integrationColumns = `id, tenant_id, owner_id, type, name, logo, metadata, email, recipient, address_line_1,
	address_line_2, zip_code, city, payroll_rate, income_tax_rate, vat_rate, fee_rate, invoice_batching,
	created_at, updated_at`

type integrationRow struct {
	ID              string  `db:"id"`
	TenantID        string  `db:"tenant_id"`
	OwnerID         string  `db:"owner_id"`
	Type            int     `db:"type"`
	Name            string  `db:"name"`
	Logo            string  `db:"logo"`
	Metadata        string  `db:"metadata"`
	Email           string  `db:"email"`
	Recipient       string  `db:"recipient"`
	AddressLine1    string  `db:"address_line_1"`
	AddressLine2    string  `db:"address_line_2"`
	ZipCode         string  `db:"zip_code"`
	City            string  `db:"city"`
	PayrollRate     *string `db:"payroll_rate"`
	IncomeTaxRate   *string `db:"income_tax_rate"`
	VATRate         *string `db:"vat_rate"`
	FeeRate         *string `db:"fee_rate"`
	InvoiceBatching bool    `db:"invoice_batching"`
	CreatedAt       int64   `db:"created_at"`
	UpdatedAt       int64   `db:"updated_at"`
}

func (r *integrationRow) integration() (*paykit.Integration, error) {
	in := &paykit.Integration{
		ID: r.ID, TenantID: r.TenantID, OwnerID: r.OwnerID, Type: paykit.IntegrationType(r.Type), Name: r.Name, Logo: r.Logo,
		Metadata: []byte(r.Metadata), Email: r.Email, Recipient: r.Recipient, AddressLine1: r.AddressLine1,
		AddressLine2: r.AddressLine2, ZipCode: r.ZipCode, City: r.City, InvoiceBatching: r.InvoiceBatching,
		CreatedAt: fromMicros(r.CreatedAt), UpdatedAt: fromMicros(r.UpdatedAt),
	}
	if r.PayrollRate != nil && r.IncomeTaxRate != nil && r.VATRate != nil && r.FeeRate != nil {
		var rates paykit.PricingRates
		for _, f := range []struct {
			dst *decimal.Decimal
			src string
		}{{&rates.Payroll, *r.PayrollRate}, {&rates.IncomeTax, *r.IncomeTaxRate}, {&rates.VAT, *r.VATRate}, {&rates.Fee, *r.FeeRate}} {
			d, err := decimal.NewFromString(f.src)
			if err != nil {
				return nil, fmt.Errorf("integration %s: rate %q: %w", r.TenantID, f.src, err)
			}
			*f.dst = d
		}
		in.Rates = &rates
	}
	return in, nil
}

// rateTexts returns the four rates as stored: NULL for none.
func rateTexts(r *paykit.PricingRates) [4]*string {
	if r == nil {
		return [4]*string{}
	}
	s := func(d decimal.Decimal) *string { v := d.String(); return &v }
	return [4]*string{s(r.Payroll), s(r.IncomeTax), s(r.VAT), s(r.Fee)}
}

func (t *tx) CreateIntegration(ctx context.Context, in *paykit.Integration) error {
	r := rateTexts(in.Rates)
	return t.insert(ctx, "An integration with this ID already exists.", "create integration "+in.ID,
		`INSERT INTO integrations (`+integrationColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		in.ID, in.TenantID, in.OwnerID, int(in.Type), in.Name, in.Logo, metadataText(in.Metadata), in.Email, in.Recipient,
		in.AddressLine1, in.AddressLine2, in.ZipCode, in.City, r[0], r[1], r[2], r[3], in.InvoiceBatching,
		micros(in.CreatedAt), micros(in.UpdatedAt))
}

// FindIntegrationByID finds id among the integrations account owns and the
// one whose tenant it is. Creates keep the two from sharing an id; were they
// to, the account's own integration wins.
func (t *view) FindIntegrationByID(ctx context.Context, account, id string) (*paykit.Integration, error) {
	var r integrationRow
	err := t.get(ctx, &r, `SELECT `+integrationColumns+` FROM integrations
		WHERE id = ? AND (owner_id = ? OR tenant_id = ?) ORDER BY tenant_id = ? DESC LIMIT 1`, id, account, account, account)
	if err != nil {
		return nil, notFound(err, "Integration not found.", "find integration "+id)
	}
	return r.integration()
}

func (t *view) FindIntegrationOfTenant(ctx context.Context, tenantID string) (*paykit.Integration, error) {
	var r integrationRow
	if err := t.get(ctx, &r, `SELECT `+integrationColumns+` FROM integrations WHERE tenant_id = ?`, tenantID); err != nil {
		return nil, notFound(err, "Integration not found.", "find integration of tenant "+tenantID)
	}
	return r.integration()
}

func (t *view) FindIntegrations(ctx context.Context, f paykit.IntegrationFilter) ([]*paykit.Integration, int, error) {
	q := &query{}
	if f.Account != nil {
		q.add("(owner_id = ? OR tenant_id = ?)", *f.Account, *f.Account)
	}
	if f.Type != nil {
		q.add("type = ?", int(*f.Type))
	}
	rows, n, err := list[integrationRow](ctx, t, listSpec{columns: integrationColumns, from: "integrations", created: "created_at", uid: "tenant_id"},
		q, f.ListPage)
	if err != nil {
		return nil, 0, fmt.Errorf("find integrations: %w", err)
	}
	out := make([]*paykit.Integration, len(rows))
	for i := range rows {
		if out[i], err = rows[i].integration(); err != nil {
			return nil, 0, err
		}
	}
	return out, n, nil
}

func (t *tx) UpdateIntegration(ctx context.Context, in *paykit.Integration) error {
	r := rateTexts(in.Rates)
	res, err := t.exec(ctx, `UPDATE integrations SET name = ?, logo = ?, metadata = ?, email = ?, recipient = ?,
		address_line_1 = ?, address_line_2 = ?, zip_code = ?, city = ?, payroll_rate = ?, income_tax_rate = ?,
		vat_rate = ?, fee_rate = ?, invoice_batching = ?, updated_at = ? WHERE tenant_id = ?`,
		in.Name, in.Logo, metadataText(in.Metadata), in.Email, in.Recipient, in.AddressLine1, in.AddressLine2,
		in.ZipCode, in.City, r[0], r[1], r[2], r[3], in.InvoiceBatching, micros(in.UpdatedAt), in.TenantID)
	if err != nil {
		return fmt.Errorf("update integration of tenant %s: %w", in.TenantID, err)
	}
	return affected(res, "Integration not found.")
}

func (t *tx) DeleteIntegration(ctx context.Context, tenantID string) error {
	res, err := t.exec(ctx, `DELETE FROM integrations WHERE tenant_id = ?`, tenantID)
	if err != nil {
		return fmt.Errorf("delete integration of tenant %s: %w", tenantID, err)
	}
	return affected(res, "Integration not found.")
}
