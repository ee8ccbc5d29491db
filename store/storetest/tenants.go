package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
)

func testTenants(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		want := &paykit.Tenant{ID: NewID(), Name: "Acme", Locked: true, CreatedAt: Base}
		in := *want
		in.CreatedAt = Base.In(time.FixedZone("CET", 3600)) // any zone in, UTC out
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.CreateTenant(ctx, &in) }))
		got, err := s.FindTenantByID(ctx, want.ID)
		require.NoError(t, err)
		require.Equal(t, want, got)
		require.Equal(t, time.UTC, got.CreatedAt.Location())
	})
	t.Run("Microseconds", func(t *testing.T) {
		tn := &paykit.Tenant{ID: NewID(), Name: "µs", CreatedAt: Base.Add(999 * time.Nanosecond)}
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.CreateTenant(ctx, tn) }))
		got, err := s.FindTenantByID(ctx, tn.ID)
		require.NoError(t, err)
		require.True(t, got.CreatedAt.Equal(Base), "got %v", got.CreatedAt)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := s.FindTenantByID(ctx, NewID())
		RequireCode(t, err, paykit.ENOTFOUND)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		tn := MustTenant(t, s)
		RequireCode(t, inTx(s, func(tx paykit.Tx) error {
			return tx.CreateTenant(ctx, &paykit.Tenant{ID: tn.ID, Name: "again", CreatedAt: Base})
		}), paykit.ECONFLICT)
	})
	t.Run("FindTenants", func(t *testing.T) {
		// The other subtests add tenants to this store too: every tenant
		// created here must be listed, and the list is in ID order.
		var created []string
		for range 5 {
			created = append(created, MustTenant(t, s).ID)
		}
		all := pages(t, 2, func(after string) ([]*paykit.Tenant, error) {
			return s.FindTenants(ctx, paykit.TenantFilter{After: after, Limit: 2})
		}, func(tn *paykit.Tenant) string { return tn.ID })
		got := ids(all, func(tn *paykit.Tenant) string { return tn.ID })
		require.IsIncreasing(t, got)
		require.Subset(t, got, created)
		for _, tn := range all {
			want, err := s.FindTenantByID(ctx, tn.ID)
			require.NoError(t, err)
			require.Equal(t, want, tn)
		}
	})
	t.Run("Update", func(t *testing.T) {
		tn := MustTenant(t, s)
		tn.Name, tn.Locked = "Renamed", true
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdateTenant(ctx, tn) }))
		got, err := s.FindTenantByID(ctx, tn.ID)
		require.NoError(t, err)
		require.Equal(t, tn, got)
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdateTenant(ctx, &paykit.Tenant{ID: NewID(), Name: "x"}) }), paykit.ENOTFOUND)
	})
}

func testAPIKeys(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	tn := MustTenant(t, s)
	t.Run("OK", func(t *testing.T) {
		revoked := Base.Add(time.Minute)
		for _, k := range []*paykit.APIKey{
			{ID: NewID(), TenantID: tn.ID, Hash: paykit.HashAPIKey("secret-1"), Prefix: "secret", CreatedAt: Base},
			{ID: NewID(), TenantID: tn.ID, Hash: paykit.HashAPIKey("secret-2"), Prefix: "secret", CreatedAt: Base, RevokedAt: &revoked},
		} {
			require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.CreateAPIKey(ctx, k) }))
			got, err := s.FindAPIKeyByHash(ctx, k.Hash)
			require.NoError(t, err)
			require.Equal(t, k, got)
		}
	})
	// The key of a hash with its tenant, as it is now, in one read.
	t.Run("Credential", func(t *testing.T) {
		own := MustTenant(t, s)
		expires := Base.Add(time.Hour)
		k := &paykit.APIKey{ID: NewID(), TenantID: own.ID, Hash: paykit.HashAPIKey(NewID()), Prefix: "pk_abc",
			CreatedAt: Base, ExpiresAt: &expires}
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.CreateAPIKey(ctx, k) }))
		gotKey, gotTenant, err := s.FindCredential(ctx, k.Hash)
		require.NoError(t, err)
		require.Equal(t, k, gotKey)
		require.Equal(t, own, gotTenant)
		own.Locked = true
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdateTenant(ctx, own) }))
		_, gotTenant, err = s.FindCredential(ctx, k.Hash)
		require.NoError(t, err)
		require.True(t, gotTenant.Locked)
		_, _, err = s.FindCredential(ctx, paykit.HashAPIKey("nobody's"))
		RequireCode(t, err, paykit.ENOTFOUND)
	})
	// A key is found by its tenant and ID, listed oldest first, and its
	// expiry and revocation written (the admin API's rotate and revoke).
	t.Run("ByTenant", func(t *testing.T) {
		own := MustTenant(t, s)
		var want []*paykit.APIKey
		for i := range 3 {
			k := &paykit.APIKey{ID: NewID(), TenantID: own.ID, Hash: paykit.HashAPIKey(NewID()), Prefix: "pk_abc",
				CreatedAt: Base.Add(time.Duration(i) * time.Second)}
			require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.CreateAPIKey(ctx, k) }))
			want = append(want, k)
		}
		got, err := s.FindAPIKeys(ctx, own.ID)
		require.NoError(t, err)
		require.Equal(t, want, got)
		expires, revoked := Base.Add(time.Hour), Base.Add(2*time.Hour)
		k := *want[1]
		k.ExpiresAt, k.RevokedAt = &expires, &revoked
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdateAPIKey(ctx, &k) }))
		one, err := s.FindAPIKeyByID(ctx, own.ID, k.ID)
		require.NoError(t, err)
		require.Equal(t, &k, one)
		_, err = s.FindAPIKeyByID(ctx, tn.ID, k.ID) // another tenant's
		RequireCode(t, err, paykit.ENOTFOUND)
		other := k
		other.TenantID = tn.ID
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.UpdateAPIKey(ctx, &other) }), paykit.ENOTFOUND)
		none, err := s.FindAPIKeys(ctx, NewID())
		require.NoError(t, err)
		require.Empty(t, none)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := s.FindAPIKeyByHash(ctx, paykit.HashAPIKey("nobody's"))
		RequireCode(t, err, paykit.ENOTFOUND)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		other := MustTenant(t, s)
		k := &paykit.APIKey{ID: NewID(), TenantID: tn.ID, Hash: paykit.HashAPIKey("dup"), Prefix: "dup", CreatedAt: Base}
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.CreateAPIKey(ctx, k) }))
		dup := &paykit.APIKey{ID: NewID(), TenantID: other.ID, Hash: paykit.HashAPIKey("dup"), Prefix: "dup", CreatedAt: Base}
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.CreateAPIKey(ctx, dup) }), paykit.ECONFLICT)
	})
}
