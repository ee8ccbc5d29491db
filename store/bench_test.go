package store_test

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/store"
)

var rows = flag.Int("rows", 100_000, "rows of the benchmarks' tables: payments of BenchmarkFindPayments_DeepPage, each list's of BenchmarkLists")

// BenchmarkFindPayments_DeepPage reads the page of 25 payments just before the
// end of a tenant's list of rows rows: by keyset through the Store, and by
// OFFSET on the same file for comparison.
//
//	go test ./store -run '^$' -bench DeepPage -benchtime 200x              # 100k rows
//	go test ./store -run '^$' -bench DeepPage -benchtime 200x -rows 1000000
func BenchmarkFindPayments_DeepPage(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "deep.db")
	db, err := store.Open(path, store.WithSynchronous("OFF"))
	require.NoError(b, err)
	defer db.Close()
	tenant := &paykit.Tenant{ID: "t", Name: "deep", CreatedAt: time.Unix(0, 0).UTC()}
	require.NoError(b, db.InTx(ctx, func(tx paykit.Tx) error { return tx.CreateTenant(ctx, tenant) }))
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var ids []string
	for done := 0; done < *rows; {
		require.NoError(b, db.InTx(ctx, func(tx paykit.Tx) error {
			for i := 0; i < 10_000 && done < *rows; i, done = i+1, done+1 {
				at := base.Add(time.Duration(done) * time.Millisecond)
				p := &paykit.Payment{ID: fmt.Sprintf("p%09d", done), TenantID: "t", Type: paykit.PaymentTypeDeposit,
					Status: paykit.PaymentStatusCompleted, Amount: paykit.MoneyFromMinor(int64(done%9973), "USD"),
					CreatedAt: at, UpdatedAt: at, SubmittedAt: &at}
				if err := tx.CreatePayment(ctx, p); err != nil {
					return err
				}
				ids = append(ids, p.ID)
			}
			return nil
		}))
	}
	cursor := ids[len(ids)-26]

	b.Run("Keyset", func(b *testing.B) {
		for b.Loop() {
			ps, err := db.FindPayments(ctx, "t", paykit.PaymentFilter{After: cursor, Limit: 25})
			if err != nil || len(ps) != 25 {
				b.Fatal(err, len(ps))
			}
		}
	})
	b.Run("Offset", func(b *testing.B) {
		raw, err := sqlx.Open("sqlite", "file:"+path+"?_pragma=query_only(1)")
		require.NoError(b, err)
		defer raw.Close()
		for b.Loop() {
			var got []string
			err := raw.Select(&got, `SELECT id FROM payments WHERE tenant_id = 't' ORDER BY created_at, id LIMIT 25 OFFSET ?`, len(ids)-25)
			if err != nil || len(got) != 25 {
				b.Fatal(err, len(got))
			}
		}
	})
}
