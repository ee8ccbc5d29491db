package store

import (
	"context"
	"fmt"

	"github.com/paykit/paykit"
)

type tenantRow struct {
	ID        string `db:"id"`
	Name      string `db:"name"`
	Locked    bool   `db:"locked"`
	CreatedAt int64  `db:"created_at"`
}

func (r *tenantRow) tenant() *paykit.Tenant {
	return &paykit.Tenant{ID: r.ID, Name: r.Name, Locked: r.Locked, CreatedAt: fromMicros(r.CreatedAt)}
}

type apiKeyRow struct {
	ID        string `db:"id"`
	TenantID  string `db:"tenant_id"`
	Hash      []byte `db:"hash"`
	Prefix    string `db:"prefix"`
	CreatedAt int64  `db:"created_at"`
	ExpiresAt *int64 `db:"expires_at"`
	RevokedAt *int64 `db:"revoked_at"`
}

const apiKeyColumns = `id, tenant_id, hash, prefix, created_at, expires_at, revoked_at`

func (r *apiKeyRow) apiKey() *paykit.APIKey {
	return &paykit.APIKey{ID: r.ID, TenantID: r.TenantID, Hash: r.Hash, Prefix: r.Prefix,
		CreatedAt: fromMicros(r.CreatedAt), ExpiresAt: fromMicrosPtr(r.ExpiresAt), RevokedAt: fromMicrosPtr(r.RevokedAt)}
}

func (t *tx) CreateTenant(ctx context.Context, tn *paykit.Tenant) error {
	return t.insert(ctx, "Tenant already exists.", "create tenant "+tn.ID,
		`INSERT INTO tenants (id, name, locked, created_at) VALUES (?, ?, ?, ?)`,
		tn.ID, tn.Name, tn.Locked, micros(tn.CreatedAt))
}

func (t *view) FindTenantByID(ctx context.Context, id string) (*paykit.Tenant, error) {
	var r tenantRow
	if err := t.get(ctx, &r, `SELECT id, name, locked, created_at FROM tenants WHERE id = ?`, id); err != nil {
		return nil, notFound(err, "Tenant not found.", "find tenant "+id)
	}
	return r.tenant(), nil
}

func (t *view) FindTenants(ctx context.Context, f paykit.TenantFilter) ([]*paykit.Tenant, error) {
	var rows []tenantRow
	err := t.selectAll(ctx, &rows, `SELECT id, name, locked, created_at FROM tenants WHERE id > ? ORDER BY id LIMIT ?`,
		f.After, limit(f.Limit))
	if err != nil {
		return nil, fmt.Errorf("find tenants: %w", err)
	}
	out := make([]*paykit.Tenant, len(rows))
	for i := range rows {
		out[i] = rows[i].tenant()
	}
	return out, nil
}

func (t *tx) UpdateTenant(ctx context.Context, tn *paykit.Tenant) error {
	res, err := t.exec(ctx, `UPDATE tenants SET name = ?, locked = ? WHERE id = ?`, tn.Name, tn.Locked, tn.ID)
	if err != nil {
		return conflict(err, "Tenant conflicts with another.", "update tenant "+tn.ID)
	}
	return affected(res, "Tenant not found.")
}

func (t *tx) CreateAPIKey(ctx context.Context, k *paykit.APIKey) error {
	return t.insert(ctx, "This API key is already in use.", "create api key "+k.ID,
		`INSERT INTO api_keys (`+apiKeyColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.TenantID, k.Hash, k.Prefix, micros(k.CreatedAt), microsPtr(k.ExpiresAt), microsPtr(k.RevokedAt))
}

func (t *view) FindAPIKeyByHash(ctx context.Context, hash []byte) (*paykit.APIKey, error) {
	var r apiKeyRow
	err := t.get(ctx, &r, `SELECT `+apiKeyColumns+` FROM api_keys WHERE hash = ?`, hash)
	if err != nil {
		return nil, notFound(err, "API key not found.", "find api key")
	}
	return r.apiKey(), nil
}

func (t *view) FindCredential(ctx context.Context, hash []byte) (*paykit.APIKey, *paykit.Tenant, error) {
	var r struct {
		apiKeyRow
		Tenant tenantRow `db:"t"`
	}
	err := t.get(ctx, &r, `SELECT k.id, k.tenant_id, k.hash, k.prefix, k.created_at, k.expires_at, k.revoked_at,
			t.id AS "t.id", t.name AS "t.name", t.locked AS "t.locked", t.created_at AS "t.created_at"
		FROM api_keys k JOIN tenants t ON t.id = k.tenant_id WHERE k.hash = ?`, hash)
	if err != nil {
		return nil, nil, notFound(err, "API key not found.", "find credential")
	}
	return r.apiKey(), r.Tenant.tenant(), nil
}

func (t *view) FindAPIKeyByID(ctx context.Context, tenantID, id string) (*paykit.APIKey, error) {
	var r apiKeyRow
	err := t.get(ctx, &r, `SELECT `+apiKeyColumns+` FROM api_keys WHERE tenant_id = ? AND id = ?`, tenantID, id)
	if err != nil {
		return nil, notFound(err, "API key not found.", "find api key "+id)
	}
	return r.apiKey(), nil
}

func (t *view) FindAPIKeys(ctx context.Context, tenantID string) ([]*paykit.APIKey, error) {
	var rows []apiKeyRow
	err := t.selectAll(ctx, &rows, `SELECT `+apiKeyColumns+` FROM api_keys WHERE tenant_id = ? ORDER BY created_at, id`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("find api keys of %s: %w", tenantID, err)
	}
	out := make([]*paykit.APIKey, len(rows))
	for i := range rows {
		out[i] = rows[i].apiKey()
	}
	return out, nil
}

func (t *tx) UpdateAPIKey(ctx context.Context, k *paykit.APIKey) error {
	res, err := t.exec(ctx, `UPDATE api_keys SET expires_at = ?, revoked_at = ? WHERE tenant_id = ? AND id = ?`,
		microsPtr(k.ExpiresAt), microsPtr(k.RevokedAt), k.TenantID, k.ID)
	if err != nil {
		return fmt.Errorf("update api key %s: %w", k.ID, err)
	}
	return affected(res, "API key not found.")
}
