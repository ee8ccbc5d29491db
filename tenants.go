package paykit

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"strings"
	"time"
	"unicode/utf8"
)

// Events of tenants and their API keys: every change an operator makes (the
// tenant admin API, httpapi.NewAdmin) or a host makes through the Service is
// recorded, in the tenant's own events. A key's snapshot never holds its
// secret or its hash.
const (
	EventTenantCreated = "tenant.created"
	EventAPIKeyCreated = "api_key.created"
	// EventAPIKeyRotated: a key was replaced by a new one (api_key.created)
	// and expires at the end of its overlap (its expiresAt).
	EventAPIKeyRotated = "api_key.rotated"
	EventAPIKeyRevoked = "api_key.revoked" // it stopped working at once
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
// A key works until it is revoked or, once rotated, until it expires, by the
// Clock.
type APIKey struct {
	ID        string       `json:"id"`
	TenantID  string       `json:"tenantId"`
	Hash      []byte       `json:"-"`      // sha256(secret)
	Prefix    string       `json:"prefix"` // the first characters of the secret, to tell keys apart
	Status    APIKeyStatus `json:"status"` // as of the read (the Service sets it; stores leave it empty)
	CreatedAt time.Time    `json:"createdAt"`
	// ExpiresAt is when a rotated key stops working: the end of the overlap
	// that lets clients move to its replacement. Nil for a key not rotated.
	ExpiresAt *time.Time `json:"expiresAt"`
	RevokedAt *time.Time `json:"revokedAt"`
}

// APIKeyStatus says whether a key works.
type APIKeyStatus string

// API key statuses.
const (
	APIKeyStatusActive   APIKeyStatus = "active"
	APIKeyStatusExpiring APIKeyStatus = "expiring" // rotated: works until its expiresAt
	APIKeyStatusExpired  APIKeyStatus = "expired"
	APIKeyStatusRevoked  APIKeyStatus = "revoked"
)

// statusAt returns the key's status at now: revoked first, then expired at
// the instant of its expiry, as every expiry in paykit.
func (k *APIKey) statusAt(now time.Time) APIKeyStatus {
	switch {
	case k.RevokedAt != nil:
		return APIKeyStatusRevoked
	case k.ExpiresAt != nil && !now.Before(*k.ExpiresAt):
		return APIKeyStatusExpired
	case k.ExpiresAt != nil:
		return APIKeyStatusExpiring
	}
	return APIKeyStatusActive
}

// Rotation overlaps: how long a rotated key keeps working beside its
// replacement.
const (
	DefaultKeyOverlap = 24 * time.Hour
	MaxKeyOverlap     = 30 * 24 * time.Hour
)

// HashAPIKey returns the stored form of a secret API key.
func HashAPIKey(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// CreateTenant creates a tenant with the given ID, or a new UUID when id is
// empty, and records tenant.created. Returns EINVALID for a blank name or a
// malformed ID, and ECONFLICT for an ID in use.
func (s *Service) CreateTenant(ctx context.Context, id, name string) (*Tenant, error) {
	t, err := newTenant(id, name)
	if err != nil {
		return nil, err
	}
	err = s.store.InTx(ctx, func(tx Tx) error {
		return s.createTenant(ctx, tx, s.now(), t)
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// TenantSetup is the input of SetUpTenant.
type TenantSetup struct {
	Name string `json:"name"`
	// DefaultCountryCode is its Memento merchant's (DefaultCountryCode when
	// empty).
	DefaultCountryCode string `json:"defaultCountryCode"`
}

// SetUpTenant creates a tenant that every dialect serves with its first API
// key, set up as the example server's demo tenant is: its own Gigapay web app
// integration (whose id is the tenant's), its Memento merchant settings
// (signed with the key; merchant.configured), and its gigstack team, of its
// own, in no billing account (team.created). It is one transaction, so a
// tenant is either ready or not there; it records tenant.created and
// api_key.created. It returns the tenant, the key and its secret, shown only
// this once; it takes no Idempotency-Key, since its answer holds a secret
// that is stored nowhere. Returns EINVALID.
func (s *Service) SetUpTenant(ctx context.Context, in TenantSetup) (*Tenant, *APIKey, string, error) {
	t, err := newTenant("", in.Name)
	if err != nil {
		return nil, nil, "", err
	}
	cc := orDefault(strings.TrimSpace(in.DefaultCountryCode), DefaultCountryCode)
	if !validCountryCode(cc) {
		return nil, nil, "", invalid("defaultCountryCode", "Must be + and a calling code of 1 to 3 digits, like +354.")
	}
	var k *APIKey
	var secret string
	err = s.store.InTx(ctx, func(tx Tx) error {
		now := s.now()
		if err := s.createTenant(ctx, tx, now, t); err != nil {
			return err
		}
		var err error
		if k, secret, err = s.createAPIKey(ctx, tx, now, t.ID, ""); err != nil {
			return err
		}
		if _, err := s.ensureIntegration(ctx, tx, now, t.ID, IntegrationCreate{Name: t.Name}); err != nil {
			return err
		}
		m, err := merchantOf(ctx, tx, t.ID) // made by the key, which signs its callbacks
		if err != nil {
			return err
		}
		m.DefaultCountryCode, m.UpdatedAt = cc, now
		if err := tx.PutMerchant(ctx, m); err != nil {
			return err
		}
		if err := s.appendEvent(ctx, tx, now, t.ID, EventMerchantConfigured, t.ID, m); err != nil {
			return err
		}
		team, err := findTeam(ctx, tx, t.ID)
		if err != nil {
			return err
		}
		team.CreatedAt, team.UpdatedAt = now, now
		if err := tx.PutTeam(ctx, team); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, now, t.ID, EventTeamCreated, t.ID, team)
	})
	if err != nil {
		return nil, nil, "", err
	}
	return t, k, secret, nil
}

// FindTenantByID returns a tenant. Returns ENOTFOUND.
func (s *Service) FindTenantByID(ctx context.Context, id string) (*Tenant, error) {
	return s.store.FindTenantByID(ctx, id)
}

// FindTenants returns a page of every tenant, in ID order (an operator's
// view: the tenant admin API's).
func (s *Service) FindTenants(ctx context.Context, f TenantFilter) ([]*Tenant, error) {
	f.Limit = clampLimit(f.Limit)
	return s.store.FindTenants(ctx, f)
}

// newTenant validates a tenant's id (a new UUID when empty) and name.
func newTenant(id, name string) (*Tenant, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, invalid("name", msgRequired)
	} else if utf8.RuneCountInString(name) > maxName {
		return nil, invalid("name", "%s", msgMaxName)
	}
	if err := checkText(struct{ ID, Name string }{id, name}); err != nil {
		return nil, err
	}
	if id == "" {
		id = newID()
	} else if err := checkClientID("id", id); err != nil {
		return nil, err
	}
	return &Tenant{ID: id, Name: name}, nil
}

func (s *Service) createTenant(ctx context.Context, tx Tx, now time.Time, t *Tenant) error {
	t.CreatedAt = now
	if err := tx.CreateTenant(ctx, t); err != nil {
		return err
	}
	return s.appendEvent(ctx, tx, now, t.ID, EventTenantCreated, t.ID, t)
}

// CreateAPIKey issues a new key for a tenant and returns its secret, which is
// shown only this once. A non-empty secret is used as given (the example server
// seeds a well-known demo key); otherwise 32 random bytes are drawn.
//
// In the same transaction the key becomes the tenant's merchant signing key,
// sealed (see Merchant.SigningKey): Memento's notify_url callbacks are signed
// with the access token, so they verify with the newest key with no one
// copying it anywhere; and api_key.created is recorded. Returns ENOTFOUND for
// an unknown tenant and ECONFLICT for a secret in use.
func (s *Service) CreateAPIKey(ctx context.Context, tenantID, secret string) (string, error) {
	_, secret, err := s.createAPIKeyTx(ctx, tenantID, secret)
	return secret, err
}

// IssueAPIKey is CreateAPIKey with a random secret, returning the key too (its
// ID names it to RotateAPIKey and RevokeAPIKey). Returns ENOTFOUND for an
// unknown tenant.
func (s *Service) IssueAPIKey(ctx context.Context, tenantID string) (*APIKey, string, error) {
	return s.createAPIKeyTx(ctx, tenantID, "")
}

func (s *Service) createAPIKeyTx(ctx context.Context, tenantID, secret string) (*APIKey, string, error) {
	var k *APIKey
	err := s.store.InTx(ctx, func(tx Tx) error {
		var err error
		k, secret, err = s.createAPIKey(ctx, tx, s.now(), tenantID, secret)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return k, secret, nil
}

// createAPIKey creates a key of the tenant in tx (a random secret when secret
// is empty), makes it the merchant signing key and records api_key.created.
// No idempotency record is written: the result holds the secret, which is
// stored nowhere.
func (s *Service) createAPIKey(ctx context.Context, tx Tx, now time.Time, tenantID, secret string) (*APIKey, string, error) {
	if secret == "" {
		secret = "pk_" + randomString(32)
	}
	k := &APIKey{ID: newID(), TenantID: tenantID, Hash: HashAPIKey(secret), Prefix: prefix(secret, 6), CreatedAt: now}
	if _, err := tx.FindTenantByID(ctx, tenantID); err != nil {
		return nil, "", err
	}
	if _, err := tx.FindAPIKeyByHash(ctx, k.Hash); err == nil {
		return nil, "", Errorf(ECONFLICT, "This API key is already in use.")
	} else if ErrorCode(err) != ENOTFOUND {
		return nil, "", err
	}
	if err := tx.CreateAPIKey(ctx, k); err != nil {
		return nil, "", err
	}
	if err := s.adoptSigningKey(ctx, tx, now, tenantID, secret); err != nil {
		return nil, "", err
	}
	k.Status = k.statusAt(now)
	return k, secret, s.appendEvent(ctx, tx, now, tenantID, EventAPIKeyCreated, k.ID, k)
}

// FindAPIKeys returns every key of the tenant, oldest first, each with its
// status by the Clock now. Returns ENOTFOUND for an unknown tenant.
func (s *Service) FindAPIKeys(ctx context.Context, tenantID string) ([]*APIKey, error) {
	if _, err := s.store.FindTenantByID(ctx, tenantID); err != nil {
		return nil, err
	}
	keys, err := s.store.FindAPIKeys(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	for _, k := range keys {
		k.Status = k.statusAt(now)
	}
	return keys, nil
}

// APIKeyRotation is what RotateAPIKey did: the new key and its secret (shown
// only this once), and the rotated key as it now is.
type APIKeyRotation struct {
	Key     *APIKey
	Secret  string
	Rotated *APIKey
}

// RotateAPIKey replaces the tenant's key keyID with a new one (which signs
// Memento callbacks from now on, as any new key does). The old key keeps working for overlap (0 to MaxKeyOverlap; 0
// ends it at once), by the Clock, so that clients move to the new one; it is
// then expired. Records api_key.created and api_key.rotated. Returns
// ENOTFOUND for a key that is not the tenant's, EINVALID for an overlap out of
// bounds, and ECONFLICT for a key revoked, expired or rotated already.
func (s *Service) RotateAPIKey(ctx context.Context, tenantID, keyID string, overlap time.Duration) (*APIKeyRotation, error) {
	if overlap < 0 || overlap > MaxKeyOverlap {
		return nil, invalid("overlap", "The overlap is from 0 to %d days.", int(MaxKeyOverlap/(24*time.Hour)))
	}
	var out APIKeyRotation
	err := s.store.InTx(ctx, func(tx Tx) error {
		now := s.now()
		old, err := tx.FindAPIKeyByID(ctx, tenantID, keyID)
		if err != nil {
			return err
		}
		if st := old.statusAt(now); st != APIKeyStatusActive {
			return Errorf(ECONFLICT, "The API key is %s: only an active key can be rotated.", st)
		}
		if out.Key, out.Secret, err = s.createAPIKey(ctx, tx, now, tenantID, ""); err != nil {
			return err
		}
		expires := now.Add(overlap)
		old.ExpiresAt = &expires
		if err := tx.UpdateAPIKey(ctx, old); err != nil {
			return err
		}
		old.Status, out.Rotated = old.statusAt(now), old
		return s.appendEvent(ctx, tx, now, tenantID, EventAPIKeyRotated, old.ID, old)
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// RevokeAPIKey stops the tenant's key keyID at once and records
// api_key.revoked; a key revoked already is returned as it is. A revoked key
// that was the newest still signs Memento callbacks until another key is
// created (the merchant verifies with it; rotate to replace it). Returns
// ENOTFOUND for a key that is not the tenant's.
func (s *Service) RevokeAPIKey(ctx context.Context, tenantID, keyID string) (*APIKey, error) {
	return inTx(ctx, s.store, func(tx Tx) (*APIKey, error) {
		now := s.now()
		k, err := tx.FindAPIKeyByID(ctx, tenantID, keyID)
		if err != nil || k.RevokedAt != nil {
			if k != nil {
				k.Status = k.statusAt(now)
			}
			return k, err
		}
		k.RevokedAt = &now
		if err := tx.UpdateAPIKey(ctx, k); err != nil {
			return nil, err
		}
		k.Status = k.statusAt(now)
		return k, s.appendEvent(ctx, tx, now, tenantID, EventAPIKeyRevoked, k.ID, k)
	})
}

// Authenticate returns the tenant a secret API key belongs to. The key is found
// by its hash and compared in constant time; a missing, revoked, expired (by
// the Clock) or wrong key is EUNAUTHORIZED, and a locked tenant EFORBIDDEN.
func (s *Service) Authenticate(ctx context.Context, secret string) (*Tenant, error) {
	t, _, err := s.authenticate(ctx, secret)
	return t, err
}

// authenticate is Authenticate, which also returns the key: one read of the
// store finds both the key and its tenant.
func (s *Service) authenticate(ctx context.Context, secret string) (*Tenant, *APIKey, error) {
	if secret == "" {
		return nil, nil, Errorf(EUNAUTHORIZED, "Authentication credentials were not provided.")
	}
	h := HashAPIKey(secret)
	k, t, err := s.store.FindCredential(ctx, h)
	if ErrorCode(err) == ENOTFOUND || (err == nil && (!s.keyWorks(k) || subtle.ConstantTimeCompare(k.Hash, h) != 1)) {
		return nil, nil, Errorf(EUNAUTHORIZED, "Invalid API key.")
	} else if err != nil {
		return nil, nil, err
	}
	if t.Locked {
		return t, k, Errorf(EFORBIDDEN, "The account is locked.")
	}
	return t, k, nil
}

// keyWorks reports whether k authenticates now: not revoked, and not past
// the end of a rotation's overlap. The Clock is read only for a rotated key.
func (s *Service) keyWorks(k *APIKey) bool {
	if k.RevokedAt != nil {
		return false
	}
	return k.ExpiresAt == nil || k.statusAt(s.now()) != APIKeyStatusExpired
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
	// FindCredential returns the key of hash and the tenant it belongs to, in
	// one read. ENOTFOUND.
	FindCredential(ctx context.Context, hash []byte) (*APIKey, *Tenant, error)
	// FindAPIKeyByID returns the tenant's key id. ENOTFOUND.
	FindAPIKeyByID(ctx context.Context, tenantID, id string) (*APIKey, error)
	// FindAPIKeys returns every key of the tenant, oldest first.
	FindAPIKeys(ctx context.Context, tenantID string) ([]*APIKey, error)
}

// TenantTx writes tenants and their API keys.
type TenantTx interface {
	CreateTenant(ctx context.Context, t *Tenant) error
	UpdateTenant(ctx context.Context, t *Tenant) error
	CreateAPIKey(ctx context.Context, k *APIKey) error
	// UpdateAPIKey writes k's ExpiresAt and RevokedAt. ENOTFOUND.
	UpdateAPIKey(ctx context.Context, k *APIKey) error
}
