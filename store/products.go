package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/paykit/paykit"
)

const productColumns = `tenant_id, id, name, description, price_minor, currency, product_key, unit_key, unit_name,
	sku, taxes, metadata, created_at, updated_at`

type productRow struct {
	TenantID    string `db:"tenant_id"`
	ID          string `db:"id"`
	Name        string `db:"name"`
	Description string `db:"description"`
	PriceMinor  int64  `db:"price_minor"`
	Currency    string `db:"currency"`
	ProductKey  string `db:"product_key"`
	UnitKey     string `db:"unit_key"`
	UnitName    string `db:"unit_name"`
	SKU         string `db:"sku"`
	Taxes       string `db:"taxes"`
	Metadata    string `db:"metadata"`
	CreatedAt   int64  `db:"created_at"`
	UpdatedAt   int64  `db:"updated_at"`
}

func (r *productRow) product() (*paykit.Product, error) {
	p := &paykit.Product{TenantID: r.TenantID, ID: r.ID, Name: r.Name, Description: r.Description,
		Price: paykit.MoneyFromMinor(r.PriceMinor, paykit.Currency(r.Currency)), ProductKey: r.ProductKey,
		UnitKey: r.UnitKey, UnitName: r.UnitName, SKU: r.SKU, Metadata: json.RawMessage(r.Metadata),
		CreatedAt: fromMicros(r.CreatedAt), UpdatedAt: fromMicros(r.UpdatedAt)}
	if err := json.Unmarshal([]byte(r.Taxes), &p.Taxes); err != nil {
		return nil, fmt.Errorf("product %s: taxes: %w", r.ID, err)
	}
	return p, nil
}

func (t *tx) CreateProduct(ctx context.Context, p *paykit.Product) error {
	taxes := p.Taxes
	if taxes == nil {
		taxes = []paykit.Tax{}
	}
	tj, err := json.Marshal(taxes)
	if err != nil {
		return fmt.Errorf("create product %s: %w", p.ID, err)
	}
	return t.insert(ctx, "A product with this ID already exists.", "create product "+p.ID,
		`INSERT INTO products (`+productColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.TenantID, p.ID, p.Name, p.Description, p.Price.Minor(), string(p.Price.Currency), p.ProductKey, p.UnitKey,
		p.UnitName, p.SKU, string(tj), string(p.Metadata), micros(p.CreatedAt), micros(p.UpdatedAt))
}

func (t *view) FindProductByID(ctx context.Context, tenantID, id string) (*paykit.Product, error) {
	var r productRow
	if err := t.get(ctx, &r, `SELECT `+productColumns+` FROM products WHERE tenant_id = ? AND id = ?`, tenantID, id); err != nil {
		return nil, notFound(err, "Product not found.", "find product "+id)
	}
	return r.product()
}

func (t *view) FindProducts(ctx context.Context, tenantID string, f paykit.ProductFilter) ([]*paykit.Product, int, error) {
	var rows []productRow
	var n int
	err := t.readTx(ctx, func(t *view) error {
		if err := t.get(ctx, &n, `SELECT COUNT(*) FROM products WHERE tenant_id = ?`, tenantID); err != nil {
			return err
		}
		q := newQuery("tenant_id = ?", tenantID)
		if f.After != "" {
			q.add("(created_at, id) < (SELECT created_at, id FROM products WHERE tenant_id = ? AND id = ?)", tenantID, f.After)
		}
		return t.selectAll(ctx, &rows, `SELECT `+productColumns+` FROM products WHERE `+q.clause()+
			` ORDER BY created_at DESC, id DESC LIMIT ?`, append(q.args, limit(f.Limit))...)
	})
	if err != nil {
		return nil, 0, fmt.Errorf("find products: %w", err)
	}
	out := make([]*paykit.Product, len(rows))
	for i := range rows {
		p, err := rows[i].product()
		if err != nil {
			return nil, 0, err
		}
		out[i] = p
	}
	return out, n, nil
}
