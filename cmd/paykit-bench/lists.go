package main

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/store"
	"github.com/paykit/paykit/store/storetest"
)

// listPages times a page of the GigPay payments list at rows payments of one
// tenant: the rows of the store's BenchmarkLists (storetest.WriteListPayments,
// written at synchronous OFF, 10,000 to a transaction), then n reads each of
// the first page and of the last (a keyset cursor 27 rows from the end), of
// the whole list and of the account that sends half of it, newest first, 26
// rows as the dialect asks. Every other list and filter is in BenchmarkLists,
// which builds all of them (go test ./store -bench Lists -rows 1000000).
func listPages(t *target, rows, n int) []result {
	ctx := context.Background()
	dsn, drop := t.fresh("lists")
	defer drop()
	db, err := store.Open(dsn, append(t.opts, store.WithSynchronous("OFF"))...)
	check(err)
	defer db.Close()
	start := time.Now()
	check(storetest.WriteListTenant(ctx, db))
	check(storetest.WriteListPayments(ctx, db, rows))
	if t.postgres {
		// What autovacuum would have done by now on a table this size: the
		// planner's statistics.
		a, err := sql.Open("pgx", dsn)
		check(err)
		_, err = a.ExecContext(ctx, "ANALYZE")
		check(err)
		check(a.Close())
	}
	fmt.Printf("lists: wrote %d payments in %s\n", rows, time.Since(start).Round(time.Second))

	gigPay := []paykit.PaymentType{paykit.PaymentTypeDeposit, paykit.PaymentTypeTransfer, paykit.PaymentTypeWithdrawal}
	hot := storetest.ListHot
	var out []result
	for _, c := range []struct {
		name string
		f    paykit.PaymentFilter
	}{
		{"all", paykit.PaymentFilter{}},
		{"by account", paykit.PaymentFilter{AccountID: &hot}},
	} {
		f := c.f
		f.Types, f.Sort, f.Limit = gigPay, paykit.PaymentSortCreatedDesc, 26
		// The last page: after the 27th row from the end, the 27th of the
		// opposite order.
		back := f
		back.Sort, back.Limit = paykit.PaymentSortCreatedAsc, 27
		last, err := db.FindPayments(ctx, storetest.ListTenant, back)
		check(err)
		deep := f
		deep.After = last[len(last)-1].ID
		for _, page := range []struct {
			name string
			f    paykit.PaymentFilter
		}{{"first", f}, {"last", deep}} {
			out = append(out, run(fmt.Sprintf("GigPay payments page, %s, %s (%d rows)", c.name, page.name, rows), n, 1, func(int) error {
				ps, err := db.FindPayments(ctx, storetest.ListTenant, page.f)
				if err == nil && len(ps) != 26 {
					err = fmt.Errorf("a page of %d payments, not 26", len(ps))
				}
				return err
			}))
		}
	}
	return out
}
