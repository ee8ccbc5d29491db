package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
)

func testIdempotency(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	tn, other := MustTenant(t, s), MustTenant(t, s)
	record := func(tenantID, key string, createdAt time.Time) *paykit.IdempotencyRecord {
		return &paykit.IdempotencyRecord{TenantID: tenantID, Key: key, Operation: "token.create",
			Fingerprint: []byte{1, 2, 3, 0, 255}, Result: []byte(`{"id":"x"}`),
			CreatedAt: createdAt, ExpiresAt: createdAt.Add(paykit.IdempotencyTTL)}
	}

	t.Run("OK", func(t *testing.T) {
		ok := record(tn.ID, "key-ok", Base)
		failed := record(tn.ID, "key-failed", Base)
		failed.Result, failed.ErrCode, failed.ErrMessage = nil, paykit.EINVALID, "Invalid input."
		failed.ErrFields = map[string]string{"amount": "Required.", "currency": "Unsupported."}
		for _, want := range []*paykit.IdempotencyRecord{ok, failed} {
			in := *want
			require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.PutIdempotencyRecord(ctx, &in) }))
			got, err := s.FindIdempotencyRecord(ctx, tn.ID, want.Key)
			require.NoError(t, err)
			require.Equal(t, want, got)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.PutIdempotencyRecord(ctx, record(tn.ID, "key-mine", Base)) }))
		_, err := s.FindIdempotencyRecord(ctx, tn.ID, "key-missing")
		RequireCode(t, err, paykit.ENOTFOUND)
		_, err = s.FindIdempotencyRecord(ctx, other.ID, "key-mine")
		RequireCode(t, err, paykit.ENOTFOUND)
		// The same key in another tenant is another record.
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.PutIdempotencyRecord(ctx, record(other.ID, "key-mine", Base)) }))
	})
	t.Run("ErrConflictWhileLive", func(t *testing.T) {
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.PutIdempotencyRecord(ctx, record(tn.ID, "key-live", Base)) }))
		again := record(tn.ID, "key-live", Base.Add(paykit.IdempotencyTTL-time.Microsecond))
		again.Operation = "payment.create"
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.PutIdempotencyRecord(ctx, again) }), paykit.ECONFLICT)
		got, err := s.FindIdempotencyRecord(ctx, tn.ID, "key-live")
		require.NoError(t, err)
		require.Equal(t, "token.create", got.Operation)
	})
	t.Run("ReplacesExpired", func(t *testing.T) {
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.PutIdempotencyRecord(ctx, record(tn.ID, "key-old", Base)) }))
		// Expired exactly at the new record's creation.
		want := record(tn.ID, "key-old", Base.Add(paykit.IdempotencyTTL))
		want.Operation, want.Result, want.ErrCode, want.ErrMessage = "payment.create", nil, paykit.ECONFLICT, "No."
		in := *want
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.PutIdempotencyRecord(ctx, &in) }))
		got, err := s.FindIdempotencyRecord(ctx, tn.ID, "key-old")
		require.NoError(t, err)
		require.Equal(t, want, got)
	})
	t.Run("Delete", func(t *testing.T) {
		now := Base.Add(48 * time.Hour)
		for i := range 5 {
			// Expired at or before now, in both tenants.
			r := record([]string{tn.ID, other.ID}[i%2], fmt.Sprintf("del-%d", i), now.Add(-paykit.IdempotencyTTL-time.Duration(i)*time.Second))
			require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.PutIdempotencyRecord(ctx, r) }))
		}
		live := record(tn.ID, "del-live", now.Add(-paykit.IdempotencyTTL+time.Microsecond))
		require.NoError(t, inTx(s, func(tx paykit.Tx) error { return tx.PutIdempotencyRecord(ctx, live) }))

		// Every earlier subtest's record expired by now too: Base + 24h.
		var total int
		n, err := txValue(s, func(tx paykit.Tx) (int, error) { return tx.DeleteIdempotencyRecords(ctx, now, 3) })
		require.NoError(t, err)
		require.Equal(t, 3, n)
		total += n
		for {
			n, err := txValue(s, func(tx paykit.Tx) (int, error) { return tx.DeleteIdempotencyRecords(ctx, now, 3) })
			require.NoError(t, err)
			require.LessOrEqual(t, n, 3)
			total += n
			if n == 0 {
				break
			}
		}
		require.GreaterOrEqual(t, total, 5)
		for i := range 5 {
			_, err := s.FindIdempotencyRecord(ctx, []string{tn.ID, other.ID}[i%2], fmt.Sprintf("del-%d", i))
			RequireCode(t, err, paykit.ENOTFOUND)
		}
		got, err := s.FindIdempotencyRecord(ctx, tn.ID, "del-live")
		require.NoError(t, err)
		require.Equal(t, live, got)
	})
}
