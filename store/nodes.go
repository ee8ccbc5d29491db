package store

import (
	"context"

	"github.com/paykit/paykit"
)

// Nodes and the keys bound to them.

type nodeRow struct {
	TenantID  string `db:"tenant_id"`
	ID        string `db:"id"`
	ParentID  string `db:"parent_id"`
	Name      string `db:"name"`
	CreatedAt int64  `db:"created_at"`
}

func (t *tx) CreateNode(ctx context.Context, n *paykit.Node) error {
	return t.insert(ctx, "A node with this ID already exists.", "create node "+n.ID,
		`INSERT INTO nodes (tenant_id, id, parent_id, name, created_at) VALUES (?, ?, ?, ?, ?)`,
		n.TenantID, n.ID, n.ParentID, n.Name, micros(n.CreatedAt))
}

func (t *view) FindNodeByID(ctx context.Context, tenantID, id string) (*paykit.Node, error) {
	var r nodeRow
	err := t.get(ctx, &r, `SELECT tenant_id, id, parent_id, name, created_at FROM nodes WHERE tenant_id = ? AND id = ?`, tenantID, id)
	if err != nil {
		return nil, notFound(err, "Node not found.", "find node "+id)
	}
	return &paykit.Node{ID: r.ID, TenantID: r.TenantID, ParentID: r.ParentID, Name: r.Name, CreatedAt: fromMicros(r.CreatedAt)}, nil
}

func (t *tx) CreateNodeKey(ctx context.Context, k *paykit.NodeKey) error {
	return t.insert(ctx, "This API key is bound to a node already.", "create node key "+k.APIKeyID,
		`INSERT INTO node_keys (api_key_id, tenant_id, node_id, created_at) VALUES (?, ?, ?, ?)`,
		k.APIKeyID, k.TenantID, k.NodeID, micros(k.CreatedAt))
}

func (t *view) FindNodeKey(ctx context.Context, apiKeyID string) (*paykit.NodeKey, error) {
	var r struct {
		APIKeyID  string `db:"api_key_id"`
		TenantID  string `db:"tenant_id"`
		NodeID    string `db:"node_id"`
		CreatedAt int64  `db:"created_at"`
	}
	err := t.get(ctx, &r, `SELECT api_key_id, tenant_id, node_id, created_at FROM node_keys WHERE api_key_id = ?`, apiKeyID)
	if err != nil {
		return nil, notFound(err, "Node key not found.", "find node key "+apiKeyID)
	}
	return &paykit.NodeKey{APIKeyID: r.APIKeyID, TenantID: r.TenantID, NodeID: r.NodeID, CreatedAt: fromMicros(r.CreatedAt)}, nil
}
