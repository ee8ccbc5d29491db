package paykit_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
)

// sealingKey is a test's sealing key.
var sealingKey = bytes.Repeat([]byte{7}, paykit.SealingKeySize)

// TestService_CreateAPIKey_SigningKey: a tenant's new API key becomes its
// merchant's signing key in the same transaction, sealed in the store, and
// each new key replaces the last.
func TestService_CreateAPIKey_SigningKey(t *testing.T) {
	ctx := context.Background()
	e := MustOpen(t, paykit.WithSealingKey(sealingKey))
	tenant := e.MustTenant(t)
	m, err := e.svc.FindMerchant(ctx, tenant)
	require.NoError(t, err)
	require.Empty(t, m.SigningKey, "no key yet")

	first, err := e.svc.CreateAPIKey(ctx, tenant, "")
	require.NoError(t, err)
	m, err = e.svc.FindMerchant(ctx, tenant)
	require.NoError(t, err)
	require.Equal(t, first, m.SigningKey)
	require.Equal(t, paykit.DefaultCountryCode, m.DefaultCountryCode)

	raw, err := e.db.FindMerchant(ctx, tenant)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(raw.SigningKey, "sealed:v1:"), raw.SigningKey)
	require.NotContains(t, raw.SigningKey, first, "the store never holds the key in the clear")

	second, err := e.svc.CreateAPIKey(ctx, tenant, "")
	require.NoError(t, err)
	m, err = e.svc.FindMerchant(ctx, tenant)
	require.NoError(t, err)
	require.Equal(t, second, m.SigningKey, "the newest key signs")

	// Settings that give no key keep it.
	m, err = e.svc.ConfigureMerchant(ctx, tenant, paykit.MerchantSettings{DefaultCountryCode: "+1"})
	require.NoError(t, err)
	require.Equal(t, second, m.SigningKey)
	require.Equal(t, "+1", m.DefaultCountryCode)

	t.Run("ErrConflict", func(t *testing.T) {
		_, err := e.svc.CreateAPIKey(ctx, tenant, second)
		requireCode(t, paykit.ECONFLICT, err)
		m, err := e.svc.FindMerchant(ctx, tenant)
		require.NoError(t, err)
		require.Equal(t, second, m.SigningKey, "nothing written")
	})
	t.Run("ErrOtherSealingKey", func(t *testing.T) {
		for _, opts := range [][]paykit.Option{nil, {paykit.WithSealingKey(bytes.Repeat([]byte{8}, paykit.SealingKeySize))}} {
			other := paykit.New(e.db, opts...)
			_, err := other.FindMerchant(ctx, tenant)
			require.ErrorContains(t, err, "seal")
		}
	})
	t.Run("ErrOtherTenant", func(t *testing.T) {
		// A sealed key moved to another tenant's row does not open.
		victim := e.MustTenant(t)
		_, err := e.svc.CreateAPIKey(ctx, victim, "")
		require.NoError(t, err)
		require.NoError(t, e.db.InTx(ctx, func(tx paykit.Tx) error {
			m, err := tx.FindMerchant(ctx, victim)
			if err != nil {
				return err
			}
			m.SigningKey = raw.SigningKey
			return tx.PutMerchant(ctx, m)
		}))
		_, err = e.svc.FindMerchant(ctx, victim)
		require.ErrorContains(t, err, "seal")
		_, err = e.svc.CreateAPIKey(ctx, victim, "") // repaired by a new key
		require.NoError(t, err)
	})
	t.Run("Unsealed", func(t *testing.T) {
		// Without a sealing key the key is kept in the clear, marked so; a key
		// a version before sealing stored in the clear still opens.
		plain := MustOpen(t)
		tenant := plain.MustTenant(t)
		key, err := plain.svc.CreateAPIKey(ctx, tenant, "")
		require.NoError(t, err)
		raw, err := plain.db.FindMerchant(ctx, tenant)
		require.NoError(t, err)
		require.Equal(t, "plain:"+key, raw.SigningKey)
		require.NoError(t, plain.db.InTx(ctx, func(tx paykit.Tx) error {
			raw.SigningKey = "legacy-key"
			return tx.PutMerchant(ctx, raw)
		}))
		m, err := plain.svc.FindMerchant(ctx, tenant)
		require.NoError(t, err)
		require.Equal(t, "legacy-key", m.SigningKey)
	})
	t.Run("BadKeySize", func(t *testing.T) {
		require.Panics(t, func() { paykit.WithSealingKey([]byte("short")) })
	})
}
