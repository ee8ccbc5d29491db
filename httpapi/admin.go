package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strconv"
	"time"

	"github.com/paykit/paykit"
)

// NewAdmin returns the tenant admin API, for a host's operators, with routes
// relative to its base URL: the example server mounts it at /admin when
// started with -admin-key. It is not a tenant's API: every route takes
// "Authorization: Bearer <key>" with the key given here (compared in constant
// time; 401 otherwise), and acts on any tenant. key must not be empty.
//
//	POST   /tenants                                {"name","default_country_code"?} → 201 {"tenant","api_key","key"}
//	GET    /tenants                                ?limit (1–1000, 25)&starting_after=<id> → 200 {"data":[tenant],"has_more","next_cursor"}
//	GET    /tenants/{id}                           → 200 tenant
//	POST   /tenants/{id}/api-keys                  → 201 {"api_key","key"}
//	GET    /tenants/{id}/api-keys                  → 200 {"data":[key]}, oldest first
//	POST   /tenants/{id}/api-keys/{key}/rotate     {"overlap_seconds"?} → 201 {"api_key","key","rotated"}
//	DELETE /tenants/{id}/api-keys/{key}            → 200 key, revoked
//
// Shapes (snake_case, times RFC 3339 in UTC):
//
//	tenant: {"id","name","locked","created_at"}
//	key:    {"id","prefix","status","created_at","expires_at","revoked_at"}
//	error:  {"error":{"code","message","fields"?:{"field":"message"}}}
//
// A tenant made here is ready for every dialect, as the example server's demo
// tenant is (paykit.Service.SetUpTenant): its Gigapay web app integration,
// whose id (the Integration-ID) is the tenant's id; its Memento merchant
// (default_country_code, +354 by default), whose callbacks its newest key
// signs; its gigstack team. api_key is the key's secret, shown only in the
// answer that makes it: no route takes an Idempotency-Key, since a replay
// would have to store it. A key's status is active, expiring (rotated: it
// works until expires_at), expired or revoked. Rotation makes a new key (key,
// whose secret is api_key) and lets the old one (rotated) work for
// overlap_seconds more by the Service's Clock (default 86400, 0 to 2592000;
// 0 ends it at once); only an active key rotates (409 otherwise). Revoking
// stops a key at once; revoking it again changes nothing. Every change is an
// event of the tenant's (tenant.created, api_key.created, api_key.rotated,
// api_key.revoked, and the set-up's merchant.configured and team.created),
// which the tenant's events API shows. Error statuses are the package doc's:
// invalid 400, unauthorized 401, not_found 404, conflict 409.
func NewAdmin(svc *paykit.Service, key string) http.Handler {
	if key == "" {
		panic("httpapi: NewAdmin needs a key")
	}
	a := &admin{svc: svc, key: sha256.Sum256([]byte(key))}
	rt := newRouter(a.authenticate, hookErrorWriter(svc))
	rt.handle("POST /tenants", a.createTenant)
	rt.handle("GET /tenants", a.listTenants)
	rt.handle("GET /tenants/{id}", a.getTenant)
	rt.handle("POST /tenants/{id}/api-keys", a.createKey)
	rt.handle("GET /tenants/{id}/api-keys", a.listKeys)
	rt.handle("POST /tenants/{id}/api-keys/{key}/rotate", a.rotateKey)
	rt.handle("DELETE /tenants/{id}/api-keys/{key}", a.revokeKey)
	return rt
}

type admin struct {
	svc *paykit.Service
	key [sha256.Size]byte
}

// authenticate checks the operator's key. The router's handlers are given
// no tenant: every route names the one it acts on.
func (a *admin) authenticate(r *http.Request) (*paykit.Tenant, error) {
	key, err := bearerToken(r)
	if err != nil {
		return nil, err
	}
	// Hashes of equal length, so the comparison's time says nothing of the
	// key's length either.
	h := sha256.Sum256([]byte(key))
	if subtle.ConstantTimeCompare(h[:], a.key[:]) != 1 {
		return nil, paykit.Errorf(paykit.EUNAUTHORIZED, "Invalid admin key.")
	}
	return nil, nil
}

type adminTenant struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Locked    bool      `json:"locked"`
	CreatedAt time.Time `json:"created_at"`
}

func adminTenantOf(t *paykit.Tenant) adminTenant {
	return adminTenant{ID: t.ID, Name: t.Name, Locked: t.Locked, CreatedAt: t.CreatedAt.UTC()}
}

type adminKey struct {
	ID        string              `json:"id"`
	Prefix    string              `json:"prefix"`
	Status    paykit.APIKeyStatus `json:"status"`
	CreatedAt time.Time           `json:"created_at"`
	ExpiresAt *time.Time          `json:"expires_at"`
	RevokedAt *time.Time          `json:"revoked_at"`
}

func adminKeyOf(k *paykit.APIKey) adminKey {
	utc := func(t *time.Time) *time.Time {
		if t == nil {
			return nil
		}
		u := t.UTC()
		return &u
	}
	return adminKey{ID: k.ID, Prefix: k.Prefix, Status: k.Status, CreatedAt: k.CreatedAt.UTC(),
		ExpiresAt: utc(k.ExpiresAt), RevokedAt: utc(k.RevokedAt)}
}

// adminFields names the root's fields as the admin API's wire does.
func adminField(f string) string {
	switch f {
	case "defaultCountryCode":
		return "default_country_code"
	case "overlap":
		return "overlap_seconds"
	}
	return f
}

func (a *admin) createTenant(w http.ResponseWriter, r *http.Request, _ *paykit.Tenant) error {
	var in struct {
		Name               string `json:"name"`
		DefaultCountryCode string `json:"default_country_code"`
	}
	if err := decodeJSON(w, r, &in, false); err != nil {
		return err
	}
	t, k, secret, err := a.svc.SetUpTenant(r.Context(), paykit.TenantSetup{Name: in.Name, DefaultCountryCode: in.DefaultCountryCode})
	if err != nil {
		return renameFields(err, adminField)
	}
	writeJSON(w, http.StatusCreated, struct {
		Tenant adminTenant `json:"tenant"`
		APIKey string      `json:"api_key"`
		Key    adminKey    `json:"key"`
	}{adminTenantOf(t), secret, adminKeyOf(k)})
	return nil
}

func (a *admin) listTenants(w http.ResponseWriter, r *http.Request, _ *paykit.Tenant) error {
	q := r.URL.Query()
	limit := paykit.DefaultLimit
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > paykit.MaxLimit {
			return invalidField("limit", "limit is 1 to 1000.")
		}
		limit = n
	}
	// One more than the page, to learn whether another follows.
	ts, err := a.svc.FindTenants(r.Context(), paykit.TenantFilter{After: q.Get("starting_after"), Limit: min(limit+1, paykit.MaxLimit)})
	if err != nil {
		return err
	}
	more := len(ts) > limit
	if more {
		ts = ts[:limit]
	}
	out := struct {
		Data       []adminTenant `json:"data"`
		HasMore    bool          `json:"has_more"`
		NextCursor *string       `json:"next_cursor"`
	}{Data: make([]adminTenant, len(ts)), HasMore: more}
	for i, t := range ts {
		out.Data[i] = adminTenantOf(t)
	}
	if more {
		out.NextCursor = &ts[len(ts)-1].ID
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *admin) getTenant(w http.ResponseWriter, r *http.Request, _ *paykit.Tenant) error {
	t, err := a.svc.FindTenantByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, adminTenantOf(t))
	return nil
}

func (a *admin) createKey(w http.ResponseWriter, r *http.Request, _ *paykit.Tenant) error {
	if err := decodeJSON(w, r, &struct{}{}, true); err != nil {
		return err
	}
	k, secret, err := a.svc.IssueAPIKey(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, struct {
		APIKey string   `json:"api_key"`
		Key    adminKey `json:"key"`
	}{secret, adminKeyOf(k)})
	return nil
}

func (a *admin) listKeys(w http.ResponseWriter, r *http.Request, _ *paykit.Tenant) error {
	ks, err := a.svc.FindAPIKeys(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	out := struct {
		Data []adminKey `json:"data"`
	}{make([]adminKey, len(ks))}
	for i, k := range ks {
		out.Data[i] = adminKeyOf(k)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *admin) rotateKey(w http.ResponseWriter, r *http.Request, _ *paykit.Tenant) error {
	var in struct {
		OverlapSeconds *int64 `json:"overlap_seconds"`
	}
	if err := decodeJSON(w, r, &in, true); err != nil {
		return err
	}
	overlap := paykit.DefaultKeyOverlap
	if in.OverlapSeconds != nil {
		if *in.OverlapSeconds < 0 || *in.OverlapSeconds > int64(paykit.MaxKeyOverlap/time.Second) {
			return invalidField("overlap_seconds", "The overlap is from 0 to 30 days.")
		}
		overlap = time.Duration(*in.OverlapSeconds) * time.Second
	}
	rot, err := a.svc.RotateAPIKey(r.Context(), r.PathValue("id"), r.PathValue("key"), overlap)
	if err != nil {
		return renameFields(err, adminField)
	}
	writeJSON(w, http.StatusCreated, struct {
		APIKey  string   `json:"api_key"`
		Key     adminKey `json:"key"`
		Rotated adminKey `json:"rotated"`
	}{rot.Secret, adminKeyOf(rot.Key), adminKeyOf(rot.Rotated)})
	return nil
}

func (a *admin) revokeKey(w http.ResponseWriter, r *http.Request, _ *paykit.Tenant) error {
	k, err := a.svc.RevokeAPIKey(r.Context(), r.PathValue("id"), r.PathValue("key"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, adminKeyOf(k))
	return nil
}
