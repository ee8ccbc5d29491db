package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/paykit/paykit"
)

const clientColumns = `tenant_id, id, name, email, phone, rfc, legal_name, tax_system, use, address, metadata,
	origin, livemode, created_at, updated_at`

type clientRow struct {
	TenantID  string `db:"tenant_id"`
	ID        string `db:"id"`
	Name      string `db:"name"`
	Email     string `db:"email"`
	Phone     string `db:"phone"`
	RFC       string `db:"rfc"`
	LegalName string `db:"legal_name"`
	TaxSystem string `db:"tax_system"`
	Use       string `db:"use"`
	Address   string `db:"address"`
	Metadata  string `db:"metadata"`
	Origin    string `db:"origin"`
	Livemode  bool   `db:"livemode"`
	CreatedAt int64  `db:"created_at"`
	UpdatedAt int64  `db:"updated_at"`
}

func (r *clientRow) client() (*paykit.Client, error) {
	c := &paykit.Client{TenantID: r.TenantID, ID: r.ID, Name: r.Name, Email: r.Email, Phone: r.Phone, RFC: r.RFC,
		LegalName: r.LegalName, TaxSystem: r.TaxSystem, Use: r.Use, Metadata: json.RawMessage(r.Metadata),
		From: r.Origin, Livemode: r.Livemode, CreatedAt: fromMicros(r.CreatedAt), UpdatedAt: fromMicros(r.UpdatedAt)}
	if err := json.Unmarshal([]byte(r.Address), &c.Address); err != nil {
		return nil, fmt.Errorf("client %s: address: %w", r.ID, err)
	}
	return c, nil
}

// clientSearch is the search text of c: what FindClients' Search matches.
func clientSearch(c *paykit.Client) string {
	return searchText(c.Name, c.LegalName, c.Email, c.RFC)
}

func (t *tx) CreateClient(ctx context.Context, c *paykit.Client) error {
	addr, err := json.Marshal(c.Address)
	if err != nil {
		return fmt.Errorf("create client %s: %w", c.ID, err)
	}
	return t.insert(ctx, "A client with this ID already exists.", "create client "+c.ID,
		`INSERT INTO clients (`+clientColumns+`, search) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.TenantID, c.ID, c.Name, c.Email, c.Phone, c.RFC, c.LegalName, c.TaxSystem, c.Use, string(addr),
		string(c.Metadata), c.From, c.Livemode, micros(c.CreatedAt), micros(c.UpdatedAt), clientSearch(c))
}

func (t *tx) UpdateClient(ctx context.Context, c *paykit.Client) error {
	addr, err := json.Marshal(c.Address)
	if err != nil {
		return fmt.Errorf("update client %s: %w", c.ID, err)
	}
	res, err := t.exec(ctx, `UPDATE clients SET name = ?, email = ?, phone = ?, rfc = ?, legal_name = ?, tax_system = ?,
		use = ?, address = ?, metadata = ?, updated_at = ?, search = ? WHERE tenant_id = ? AND id = ?`,
		c.Name, c.Email, c.Phone, c.RFC, c.LegalName, c.TaxSystem, c.Use, string(addr), string(c.Metadata),
		micros(c.UpdatedAt), clientSearch(c), c.TenantID, c.ID)
	if err != nil {
		return fmt.Errorf("update client %s: %w", c.ID, err)
	}
	return affected(res, "Client not found.")
}

func (t *tx) DeleteClient(ctx context.Context, tenantID, id string) error {
	res, err := t.exec(ctx, `DELETE FROM clients WHERE tenant_id = ? AND id = ?`, tenantID, id)
	if err != nil {
		return fmt.Errorf("delete client %s: %w", id, err)
	}
	return affected(res, "Client not found.")
}

func (t *view) FindClientByID(ctx context.Context, tenantID, id string) (*paykit.Client, error) {
	var r clientRow
	if err := t.get(ctx, &r, `SELECT `+clientColumns+` FROM clients WHERE tenant_id = ? AND id = ?`, tenantID, id); err != nil {
		return nil, notFound(err, "Client not found.", "find client "+id)
	}
	return r.client()
}

func (t *view) FindClients(ctx context.Context, tenantID string, f paykit.ClientFilter) ([]*paykit.Client, int, error) {
	q := newQuery("tenant_id = ?", tenantID)
	if f.Email != nil {
		q.add("email = ?", *f.Email)
	}
	if f.RFC != nil {
		q.add("rfc = ?", *f.RFC)
	}
	q.search(f.Search, "search")
	var rows []clientRow
	var n int
	err := t.readTx(ctx, func(t *view) error {
		if err := t.get(ctx, &n, `SELECT COUNT(*) FROM clients WHERE `+q.clause(), q.args...); err != nil {
			return err
		}
		page := *q
		page.args = append([]any(nil), q.args...)
		page.where = append([]string(nil), q.where...)
		if f.After != "" {
			page.add("(created_at, id) < (SELECT created_at, id FROM clients WHERE tenant_id = ? AND id = ?)", tenantID, f.After)
		}
		return t.selectAll(ctx, &rows, `SELECT `+clientColumns+` FROM clients WHERE `+page.clause()+
			` ORDER BY created_at DESC, id DESC LIMIT ?`, append(page.args, limit(f.Limit))...)
	})
	if err != nil {
		return nil, 0, fmt.Errorf("find clients: %w", err)
	}
	out := make([]*paykit.Client, len(rows))
	for i := range rows {
		c, err := rows[i].client()
		if err != nil {
			return nil, 0, err
		}
		out[i] = c
	}
	return out, n, nil
}
