package paykit

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Nodes are RudiqPay's tenancy inside a tenant: a tree (a merchant, its
// stores, their tills...) that web3 payments belong to. An integration, an
// API key bound to a node, acts on its node and on every node under it, and
// on no other: a payment of a sibling or a parent is EFORBIDDEN to it. A
// tenant's key bound to no node acts on every node of the tenant (the
// owner's key). One tenant's nodes never meet another's: its nodes, its
// payments and its ledger are its own.

// EventNodeCreated fires when a node is created.
const EventNodeCreated = "node.created"

// maxNodeDepth bounds how deep the tree goes, so that walking up from a node
// to the root is a short, bounded loop.
const maxNodeDepth = 32

// Node is one node of a tenant's tree.
type Node struct {
	ID        string    `json:"id"` // a UUID, unique per tenant
	TenantID  string    `json:"tenantId"`
	ParentID  string    `json:"parentId,omitempty"` // "" for a root
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
}

// NodeCreate is the input of CreateNode.
type NodeCreate struct {
	ID       string `json:"id"`       // optional: a UUID; a new one by default
	ParentID string `json:"parentId"` // optional: a node of the tenant; "" makes a root
	Name     string `json:"name"`
}

// NodeKey binds an API key to the node its integration acts on.
type NodeKey struct {
	APIKeyID  string
	TenantID  string
	NodeID    string
	CreatedAt time.Time
}

// NodeAccess is what an authenticated RudiqPay call may act on: the nodes of
// TenantID under NodeID, or all of them when NodeID is "".
type NodeAccess struct {
	TenantID string
	NodeID   string
}

// CreateNode adds a node to the tenant's tree. Returns EINVALID for a blank
// name, an ID that is not a UUID, or a parent that does not exist or is
// already maxNodeDepth deep, and ECONFLICT for an ID in use.
func (s *Service) CreateNode(ctx context.Context, tenantID string, in NodeCreate) (*Node, error) {
	var v Validation
	if strings.TrimSpace(in.Name) == "" {
		v.Add("name", msgRequired)
	}
	id := in.ID
	if id == "" {
		id = newID()
	} else if !isUUID(id) {
		v.Add("id", msgUUID)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return write(ctx, s, tenantID, "node.create", in, func(tx Tx, now time.Time) (*Node, error) {
		if _, err := tx.FindTenantByID(ctx, tenantID); err != nil {
			return nil, err
		}
		if in.ParentID != "" {
			depth, err := nodeDepth(ctx, tx, tenantID, in.ParentID)
			if ErrorCode(err) == ENOTFOUND {
				return nil, invalid("parentId", "Node %q does not exist.", in.ParentID)
			} else if err != nil {
				return nil, err
			}
			if depth >= maxNodeDepth {
				return nil, invalid("parentId", "Nodes are at most %d deep.", maxNodeDepth)
			}
		}
		n := &Node{ID: id, TenantID: tenantID, ParentID: in.ParentID, Name: strings.TrimSpace(in.Name), CreatedAt: now}
		if err := tx.CreateNode(ctx, n); err != nil {
			return nil, err
		}
		return n, s.appendEvent(ctx, tx, now, tenantID, EventNodeCreated, n.ID, n)
	})
}

// nodeDepth returns how many nodes the path from the root to id holds (1 for
// a root). Returns ENOTFOUND when id is not a node of the tenant.
func nodeDepth(ctx context.Context, st Store, tenantID, id string) (int, error) {
	depth := 0
	for id != "" {
		n, err := st.FindNodeByID(ctx, tenantID, id)
		if err != nil {
			return 0, err
		}
		depth++
		if depth > maxNodeDepth {
			break // a tree the Service did not build; the caller refuses to deepen it
		}
		id = n.ParentID
	}
	return depth, nil
}

// FindNodeByID returns one of the tenant's nodes. Returns ENOTFOUND.
func (s *Service) FindNodeByID(ctx context.Context, tenantID, id string) (*Node, error) {
	return s.store.FindNodeByID(ctx, tenantID, id)
}

// CreateNodeAPIKey issues an API key of the tenant bound to the node nodeID:
// an integration that acts on that node and the nodes under it. A non-empty
// secret is used as given (the example server seeds a well-known demo key);
// otherwise one is drawn. The secret is shown only this once. Returns
// ENOTFOUND for an unknown tenant or node and ECONFLICT for a secret in use.
func (s *Service) CreateNodeAPIKey(ctx context.Context, tenantID, nodeID, secret string) (string, error) {
	if secret == "" {
		secret = "pk_" + randomString(32)
	}
	k := &APIKey{ID: newID(), TenantID: tenantID, Hash: HashAPIKey(secret), Prefix: prefix(secret, 6)}
	err := s.store.InTx(ctx, func(tx Tx) error {
		if _, err := tx.FindNodeByID(ctx, tenantID, nodeID); err != nil {
			return err
		}
		if _, err := tx.FindAPIKeyByHash(ctx, k.Hash); err == nil {
			return Errorf(ECONFLICT, "This API key is already in use.")
		} else if ErrorCode(err) != ENOTFOUND {
			return err
		}
		now := s.now()
		k.CreatedAt = now
		if err := tx.CreateAPIKey(ctx, k); err != nil {
			return err
		}
		return tx.CreateNodeKey(ctx, &NodeKey{APIKeyID: k.ID, TenantID: tenantID, NodeID: nodeID, CreatedAt: now})
	})
	if err != nil {
		return "", err
	}
	return secret, nil
}

// AuthenticateNode returns what the API key secret may act on: its tenant and
// the node it is bound to (CreateNodeAPIKey), or every node of its tenant for
// a key bound to none. Returns EUNAUTHORIZED for a missing, revoked or wrong
// key and EFORBIDDEN for a locked tenant.
func (s *Service) AuthenticateNode(ctx context.Context, secret string) (NodeAccess, error) {
	t, k, err := s.authenticate(ctx, secret)
	if err != nil {
		return NodeAccess{}, err
	}
	nk, err := s.store.FindNodeKey(ctx, k.ID)
	if ErrorCode(err) == ENOTFOUND {
		return NodeAccess{TenantID: t.ID}, nil
	} else if err != nil {
		return NodeAccess{}, err
	}
	return NodeAccess{TenantID: t.ID, NodeID: nk.NodeID}, nil
}

// reach returns nil when a may act on the tenant's node id: id is a's node or
// under it. It returns EFORBIDDEN otherwise, and ENOTFOUND (on field, when not
// "") when the tenant has no node id.
func reach(ctx context.Context, st Store, a NodeAccess, field, id string) error {
	n, err := st.FindNodeByID(ctx, a.TenantID, id)
	if ErrorCode(err) == ENOTFOUND {
		if field == "" {
			return err
		}
		return &Error{Code: ENOTFOUND, Message: "Node not found.", Fields: map[string]string{field: "Node not found."}}
	} else if err != nil {
		return err
	}
	if a.NodeID == "" {
		return nil
	}
	for depth := 0; depth <= maxNodeDepth; depth++ {
		if n.ID == a.NodeID {
			return nil
		}
		if n.ParentID == "" {
			break
		}
		if n, err = st.FindNodeByID(ctx, a.TenantID, n.ParentID); err != nil {
			return err
		}
	}
	return Errorf(EFORBIDDEN, "The integration's node has no access to node %s.", id)
}

// NodeReaches reports whether a may act on the tenant's node id (its own
// node or one under it). Returns ENOTFOUND for an unknown node.
func (s *Service) NodeReaches(ctx context.Context, a NodeAccess, id string) (bool, error) {
	err := reach(ctx, s.store, a, "", id)
	if ErrorCode(err) == EFORBIDDEN {
		return false, nil
	}
	return err == nil, err
}

// msgUUID is the message of an identifier that must be a UUID.
const msgUUID = "Must be a UUID."

// isUUID reports whether s is a UUID in its canonical 36-character form.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	_, err := uuid.Parse(s)
	return err == nil
}

// NodeStore reads nodes and the keys bound to them.
type NodeStore interface {
	FindNodeByID(ctx context.Context, tenantID, id string) (*Node, error)
	// FindNodeKey returns the node binding of the API key apiKeyID, of any
	// tenant (a lookup that authenticates). Returns ENOTFOUND for a key bound
	// to no node.
	FindNodeKey(ctx context.Context, apiKeyID string) (*NodeKey, error)
}

// NodeTx writes nodes and the keys bound to them.
type NodeTx interface {
	// CreateNode inserts n. Returns ECONFLICT when the tenant has a node with
	// its ID.
	CreateNode(ctx context.Context, n *Node) error
	CreateNodeKey(ctx context.Context, k *NodeKey) error
}
