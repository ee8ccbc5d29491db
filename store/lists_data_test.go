package store_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/store"
	"github.com/paykit/paykit/store/storetest"
)

// openListsDB opens the database of the list benchmarks at path, writing its
// n rows of each table first unless the file has them already (so that a
// -listsdb file is built once and read by every later run).
func openListsDB(tb testing.TB, path string, n int) *store.DB {
	ctx := context.Background()
	db, err := store.Open(path, store.WithSynchronous("OFF"))
	require.NoError(tb, err)
	if _, err := db.FindTenantByID(ctx, storetest.ListTenant); err == nil {
		if ps, err := db.FindPayments(ctx, storetest.ListTenant, paykit.PaymentFilter{Sort: paykit.PaymentSortCreatedDesc, Limit: 1}); err == nil &&
			len(ps) == 1 && ps[0].ID == fmt.Sprintf("p%09d", n-1) {
			// A file of before the warm accounts lacks them.
			warmer := storetest.ListWarmer
			if warm, err := db.FindPayments(ctx, storetest.ListTenant, paykit.PaymentFilter{AccountID: &warmer, Limit: 1}); err == nil && len(warm) == 1 {
				return db
			}
		}
		require.NoError(tb, db.Close())
		require.NoError(tb, os.Remove(path))
		return openListsDB(tb, path, n)
	}
	start := time.Now()
	require.NoError(tb, storetest.WriteListRows(ctx, db, n))
	tb.Logf("wrote %d rows in each list's table in %s", n, time.Since(start).Round(time.Millisecond))
	return db
}
