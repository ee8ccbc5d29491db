package paykit

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"strings"
	"time"
)

// Tenant owns every resource: a GigPay business, a Gigapay integration, a gigstack
// team, a RudiqPay integration or a Memento merchant.
type Tenant struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Locked    bool      `json:"locked"` // a locked tenant authenticates but may not act (Memento code 101)
	CreatedAt time.Time `json:"createdAt"`
}

// TenantFilter selects tenants. Tenants are listed in ID order.
type TenantFilter struct {
	After string // keyset cursor: the ID of the last tenant of the previous page
	Limit int
}

// APIKey is a credential of a tenant. Only the SHA-256 of the secret is stored.
type APIKey struct {
	ID        string
	TenantID  string
	Hash      []byte // sha256(secret)
	Prefix    string // the first characters of the secret, to tell keys apart
	CreatedAt time.Time
	RevokedAt *time.Time
}

// HashAPIKey returns the stored form of a secret API key.
func HashAPIKey(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// CreateTenant creates a tenant with the given ID, or a new UUID when id is
// empty. Returns EINVALID for a blank name or a malformed ID, and ECONFLICT for
// an ID in use.
func (s *Service) CreateTenant(ctx context.Context, id, name string) (*Tenant, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, invalid("name", msgRequired)
	}
	if err := checkText(struct{ ID, Name string }{id, name}); err != nil {
		return nil, err
	}
	if id == "" {
		id = newID()
	} else if err := checkClientID("id", id); err != nil {
		return nil, err
	}
	t := &Tenant{ID: id, Name: name}
	err := s.store.InTx(ctx, func(tx Tx) error {
		t.CreatedAt = s.now()
		return tx.CreateTenant(ctx, t)
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// CreateAPIKey issues a new key for a tenant and returns its secret, which is
// shown only this once. A non-empty secret is used as given (the example server
// seeds a well-known demo key); otherwise 32 random bytes are drawn.
//
// In the same transaction the key becomes the tenant's merchant signing key,
// sealed (see Merchant.SigningKey): Memento's notify_url callbacks are signed
// with the access token, so they verify with the newest key with no one
// copying it anywhere. Returns ENOTFOUND for an unknown tenant and ECONFLICT
// for a secret in use.
func (s *Service) CreateAPIKey(ctx context.Context, tenantID, secret string) (string, error) {
	if secret == "" {
		secret = "pk_" + randomString(32)
	}
	k := &APIKey{ID: newID(), TenantID: tenantID, Hash: HashAPIKey(secret), Prefix: prefix(secret, 6)}
	err := s.store.InTx(ctx, func(tx Tx) error {
		if _, err := tx.FindTenantByID(ctx, tenantID); err != nil {
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
		return s.adoptSigningKey(ctx, tx, now, tenantID, secret)
	})
	if err != nil {
		return "", err
	}
	return secret, nil
}

// Authenticate returns the tenant a secret API key belongs to. The key is found
// by its hash and compared in constant time; a missing, revoked or wrong key is
// EUNAUTHORIZED, and a locked tenant EFORBIDDEN.
func (s *Service) Authenticate(ctx context.Context, secret string) (*Tenant, error) {
	if secret == "" {
		return nil, Errorf(EUNAUTHORIZED, "Authentication credentials were not provided.")
	}
	h := HashAPIKey(secret)
	k, err := s.store.FindAPIKeyByHash(ctx, h)
	if ErrorCode(err) == ENOTFOUND || (err == nil && (k.RevokedAt != nil || subtle.ConstantTimeCompare(k.Hash, h) != 1)) {
		return nil, Errorf(EUNAUTHORIZED, "Invalid API key.")
	} else if err != nil {
		return nil, err
	}
	t, err := s.store.FindTenantByID(ctx, k.TenantID)
	if err != nil {
		return nil, err
	}
	if t.Locked {
		return t, Errorf(EFORBIDDEN, "The account is locked.")
	}
	return t, nil
}

// randomString returns n URL-safe characters from crypto/rand.
func randomString(n int) string {
	b := make([]byte, (n*6+7)/8)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}

func prefix(s string, n int) string {
	if len(s) < n {
		return s
	}
	return s[:n]
}

// checkClientID validates an identifier chosen by a client: 1 to 64 characters
// of letters, digits, '-', '_' and '.'.
func checkClientID(field, id string) error {
	if len(id) == 0 || len(id) > 64 {
		return invalid(field, "Identifiers have 1 to 64 characters.")
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return invalid(field, "Identifiers may hold only letters, digits, '-', '_' and '.'.")
		}
	}
	return nil
}

// TenantStore reads tenants and their API keys.
type TenantStore interface {
	FindTenantByID(ctx context.Context, id string) (*Tenant, error)
	// FindTenants returns a page of every tenant, in ID order.
	FindTenants(ctx context.Context, f TenantFilter) ([]*Tenant, error)
	FindAPIKeyByHash(ctx context.Context, hash []byte) (*APIKey, error)
}

// TenantTx writes tenants and their API keys.
type TenantTx interface {
	CreateTenant(ctx context.Context, t *Tenant) error
	UpdateTenant(ctx context.Context, t *Tenant) error
	CreateAPIKey(ctx context.Context, k *APIKey) error
}
