package store_test

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/store/storetest"
)

var listsDB = flag.String("listsdb", "", "database file of BenchmarkLists, built once when it lacks -rows rows (default: a temporary file)")

// BenchmarkLists reads a page of 25 (26 rows, as the dialects ask one more to
// know whether another page follows) from every list route's query, with each
// filter and sort the routes offer, at -rows rows of one tenant in each
// table (see lists_data_test.go): the first page, and a deep one, by keyset
// cursor near the end and, where the route pages by offset, at the last page
// and in the middle.
//
//	go test ./store -run '^$' -bench Lists -benchtime 200x                                         # 100k rows
//	go test ./store -run '^$' -bench Lists -benchtime 200x -rows 1000000 -listsdb /tmp/lists1m.db  # the 1M run
func BenchmarkLists(b *testing.B) {
	path := *listsDB
	if path == "" {
		path = filepath.Join(b.TempDir(), "lists.db")
	}
	db := openListsDB(b, path, *rows)
	defer db.Close()
	n := *rows
	ctx := context.Background()
	at := func(i int) *time.Time { t := storetest.ListBase.Add(time.Duration(i) * time.Millisecond); return &t }
	str := func(s string) *string { return &s }

	b.Run("GigPayPayments", func(b *testing.B) {
		gigPay := []paykit.PaymentType{paykit.PaymentTypeDeposit, paykit.PaymentTypeTransfer, paykit.PaymentTypeWithdrawal}
		transfer, failed, processing := paykit.PaymentTypeTransfer, paykit.PaymentStatusFailed, paykit.PaymentStatusProcessing
		filters := []struct {
			name string
			f    paykit.PaymentFilter
		}{
			{"all", paykit.PaymentFilter{}},
			{"type=transfer", paykit.PaymentFilter{Type: &transfer}},
			{"status=failed", paykit.PaymentFilter{Status: &failed}},
			{"status=processing", paykit.PaymentFilter{Status: &processing}},
			{"paymentTokenId", paykit.PaymentFilter{PaymentTokenID: str(fmt.Sprintf("tk%09d", n/2/10*10+4))}},
			{"accountId=hot", paykit.PaymentFilter{AccountID: str(storetest.ListHot)}},
			{"accountId=cold", paykit.PaymentFilter{AccountID: str("a01234")}},
			{"accountId=warm", paykit.PaymentFilter{AccountID: str(storetest.ListWarm)}},
			{"accountId=warmer", paykit.PaymentFilter{AccountID: str(storetest.ListWarmer)}},
			{"created=window", paykit.PaymentFilter{CreatedFrom: at(n / 2), CreatedUntil: at(n/2 + 10_000)}},
		}
		sorts := []struct{ sort, opposite paykit.PaymentSort }{
			{paykit.PaymentSortCreatedAsc, paykit.PaymentSortCreatedDesc}, {paykit.PaymentSortCreatedDesc, paykit.PaymentSortCreatedAsc},
			{paykit.PaymentSortAmountAsc, paykit.PaymentSortAmountDesc}, {paykit.PaymentSortAmountDesc, paykit.PaymentSortAmountAsc},
		}
		for _, c := range filters {
			for _, s := range sorts {
				f := c.f
				f.Types, f.Sort, f.Limit = gigPay, s.sort, 26
				// The deep page is the last: after the 26th row from the end,
				// which is the 26th of the opposite order.
				back := f
				back.Sort = s.opposite
				last, err := db.FindPayments(ctx, storetest.ListTenant, back)
				require.NoError(b, err)
				deep := f
				if len(last) > 0 {
					deep.After = last[len(last)-1].ID
				}
				for _, page := range []struct {
					name string
					f    paykit.PaymentFilter
				}{{"first", f}, {"deep", deep}} {
					b.Run(fmt.Sprintf("%s/sort=%s/%s", c.name, s.sort, page.name), func(b *testing.B) {
						for b.Loop() {
							if _, err := db.FindPayments(ctx, storetest.ListTenant, page.f); err != nil {
								b.Fatal(err)
							}
						}
					})
				}
			}
		}
	})

	b.Run("GigapayPayouts", func(b *testing.B) {
		yes, no := true, false
		cases := []struct {
			name string
			f    paykit.PayoutFilter
		}{
			{"all", paykit.PayoutFilter{}},
			{"employee", paykit.PayoutFilter{EmployeeID: str(fmt.Sprintf("emp%09d", n/3))}},
			{"invoice", paykit.PayoutFilter{InvoiceID: str(fmt.Sprintf("inv%09d", (n-1)/1000/2))}},
			{"search=description(1%)", paykit.PayoutFilter{Search: str("word42")}},
			{"search=employee(2%)", paykit.PayoutFilter{Search: str("name7 surname")}},
			{"search=one", paykit.PayoutFilter{Search: str(fmt.Sprintf("user%d@", n/3))}},
			{"search=none", paykit.PayoutFilter{Search: str("zzz")}},
			{"created_at=window", paykit.PayoutFilter{CreatedAt: paykit.TimeFilter{After: at(n / 2), Before: at(n/2 + 10_000)}}},
			{"notified_at_null", paykit.PayoutFilter{NotifiedAt: paykit.TimeFilter{Null: &yes}}},
			{"start_at_null=false", paykit.PayoutFilter{StartAt: paykit.TimeFilter{Null: &no}}},
			{"accepted_at_before(oldest)", paykit.PayoutFilter{AcceptedAt: paykit.TimeFilter{Before: at(n / 1000)}}},
		}
		for _, c := range cases {
			benchListPages(b, c.name, func(p paykit.ListPage) (paykit.Cursor, int, int, error) {
				f := c.f
				f.ListPage = p
				ps, count, err := db.FindPayouts(ctx, storetest.ListTenant, f)
				if err != nil || len(ps) == 0 {
					return paykit.Cursor{}, 0, count, err
				}
				return paykit.Cursor{CreatedAt: ps[0].CreatedAt, UID: ps[0].UID}, len(ps), count, nil
			})
		}
	})

	b.Run("GigapayEmployees", func(b *testing.B) {
		yes := true
		cases := []struct {
			name string
			f    paykit.EmployeeFilter
		}{
			{"all", paykit.EmployeeFilter{}},
			{"search=name(2%)", paykit.EmployeeFilter{Search: str("name7 surname")}},
			{"search=one", paykit.EmployeeFilter{Search: str(fmt.Sprintf("user%d@", n/3))}},
			{"search=none", paykit.EmployeeFilter{Search: str("zzz")}},
			{"email", paykit.EmployeeFilter{Email: str(fmt.Sprintf("USER%d@example.com", n/3))}},
			{"cellphone", paykit.EmployeeFilter{CellphoneNumber: str(fmt.Sprintf("+46700%07d", n/3))}},
			{"created_at=window", paykit.EmployeeFilter{CreatedAt: paykit.TimeFilter{After: at(n / 2), Before: at(n/2 + 10_000)}}},
			{"notified_at_null", paykit.EmployeeFilter{NotifiedAt: paykit.TimeFilter{Null: &yes}}},
		}
		for _, c := range cases {
			benchListPages(b, c.name, func(p paykit.ListPage) (paykit.Cursor, int, int, error) {
				f := c.f
				f.ListPage = p
				es, count, err := db.FindEmployees(ctx, storetest.ListTenant, f)
				if err != nil || len(es) == 0 {
					return paykit.Cursor{}, 0, count, err
				}
				return paykit.Cursor{CreatedAt: es[0].CreatedAt, UID: es[0].UID}, len(es), count, nil
			})
		}
	})

	b.Run("Events", func(b *testing.B) {
		failed, subject := "payment.failed", fmt.Sprintf("s%08d", n/20)
		for _, c := range []struct {
			name string
			f    paykit.EventFilter
			last int // the row of the deep page's cursor
		}{
			{"all", paykit.EventFilter{}, n - 26},
			{"type", paykit.EventFilter{Type: &failed}, (n-1)/8*8 - 25*8 + 2},
			{"subject", paykit.EventFilter{SubjectID: &subject}, n / 20 * 10},
		} {
			ev, err := db.FindEventByID(ctx, storetest.ListTenant, fmt.Sprintf("ev%09d", max(c.last, 0)))
			require.NoError(b, err)
			benchKeyset(b, c.name, func(deep bool) (int, error) {
				f := c.f
				if deep {
					f.AfterSeq = ev.Seq
				}
				f.Limit = 26
				es, err := db.FindEvents(ctx, storetest.ListTenant, f)
				return len(es), err
			})
		}
	})

	b.Run("Deliveries", func(b *testing.B) {
		we2, event := "we2", fmt.Sprintf("ev%09d", n/2)
		failed, pending := paykit.DeliveryStatusFailed, paykit.DeliveryStatusPending
		for _, c := range []struct {
			name  string
			f     paykit.DeliveryFilter
			after int // the row of the deep page's cursor
		}{
			{"all", paykit.DeliveryFilter{}, n - 27},
			{"endpoint", paykit.DeliveryFilter{EndpointID: &we2}, (n-1)/4*4 - 26*4 + 2},
			{"event", paykit.DeliveryFilter{EventID: &event}, n/2 - 1},
			{"status=failed", paykit.DeliveryFilter{Status: &failed}, (n-1)/20*20 - 26*20 + 18},
			{"status=pending", paykit.DeliveryFilter{Status: &pending}, (n-1)/20*20 - 26*20 + 19},
		} {
			benchKeyset(b, c.name, func(deep bool) (int, error) {
				f := c.f
				if deep {
					f.After = fmt.Sprintf("d%09d", max(c.after, 0))
				}
				f.Limit = 26
				ds, err := db.FindDeliveries(ctx, storetest.ListTenant, f)
				return len(ds), err
			})
		}
	})

	b.Run("MementoRequests", func(b *testing.B) {
		benchKeyset(b, "all", func(deep bool) (int, error) {
			f := paykit.RequestFilter{Limit: 26}
			if deep {
				f.After = fmt.Sprintf("r%09d", n-27)
			}
			rs, err := db.FindRequests(ctx, storetest.ListTenant, f)
			return len(rs), err
		})
	})
}

// benchKeyset times the first page of a keyset list and its deep page.
func benchKeyset(b *testing.B, name string, page func(deep bool) (int, error)) {
	for _, deep := range []bool{false, true} {
		sub := name + "/first"
		if deep {
			sub = name + "/deep"
		}
		b.Run(sub, func(b *testing.B) {
			for b.Loop() {
				if _, err := page(deep); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchListPages times the pages of a Gigapay list (newest first, with its
// count): the first, the keyset page after the 26th oldest row, and by offset
// the last page and the middle one. find reads a page and returns the cursor
// of its first row, its length and the count.
func benchListPages(b *testing.B, name string, find func(paykit.ListPage) (paykit.Cursor, int, int, error)) {
	_, _, count, err := find(paykit.ListPage{Limit: 1})
	require.NoError(b, err)
	cursor, _, _, err := find(paykit.ListPage{Offset: max(count-26, 0), Limit: 1})
	require.NoError(b, err)
	pages := []struct {
		name string
		p    paykit.ListPage
	}{
		{"first", paykit.ListPage{Limit: 26}},
		{"deep", paykit.ListPage{After: &cursor, Limit: 26}},
		{"offset=last", paykit.ListPage{Offset: max(count-25, 0), Limit: 26}},
		{"offset=middle", paykit.ListPage{Offset: count / 2 / 25 * 25, Limit: 26}},
	}
	for _, p := range pages {
		b.Run(name+"/"+p.name, func(b *testing.B) {
			for b.Loop() {
				if _, _, _, err := find(p.p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkListWrites times the writes that the list indexes and counts cost:
// a payment, an employee and a payout created, 100 to a transaction, with
// synchronous OFF so that the time is the statements' (index entries,
// triggers), not the disk's, on a table of -rows rows.
//
//	go test ./store -run '^$' -bench ListWrites -benchtime 20000x
func BenchmarkListWrites(b *testing.B) {
	path := filepath.Join(b.TempDir(), "writes.db")
	db := openListsDB(b, path, *rows)
	defer db.Close()
	ctx := context.Background()
	at := storetest.ListBase.Add(time.Hour * 24 * 365)
	batched := func(b *testing.B, each func(tx paykit.Tx, i int) error) {
		i := 0
		for b.Loop() {
			if i%100 == 0 {
				require.NoError(b, db.InTx(ctx, func(tx paykit.Tx) error {
					for j := i; j < i+100; j++ {
						if err := each(tx, j); err != nil {
							return err
						}
					}
					return nil
				}))
			}
			i++
		}
	}
	b.Run("CreatePayment", func(b *testing.B) {
		batched(b, func(tx paykit.Tx, i int) error {
			return tx.CreatePayment(ctx, &paykit.Payment{ID: fmt.Sprintf("w%09d", i), TenantID: storetest.ListTenant,
				Type: paykit.PaymentTypeTransfer, Status: paykit.PaymentStatusProcessing,
				Amount: paykit.MoneyFromMinor(int64(i*7919%100_000), "USD"), PaymentTokenID: fmt.Sprintf("wt%09d", i),
				Source:      paykit.Party{AccountID: storetest.ListHot},
				Destination: paykit.Party{AccountID: fmt.Sprintf("a%05d", i%10_000)}, CreatedAt: at, UpdatedAt: at})
		})
	})
	b.Run("CreateEmployee", func(b *testing.B) {
		batched(b, func(tx paykit.Tx, i int) error {
			return tx.CreateEmployee(ctx, &paykit.Employee{UID: fmt.Sprintf("we%09d", i), TenantID: storetest.ListTenant,
				ID: fmt.Sprintf("wemp%09d", i), Name: "Name Surname", Email: fmt.Sprintf("w%d@example.com", i),
				Status: paykit.EmployeeStatusCreated, CreatedAt: at, UpdatedAt: at})
		})
	})
	b.Run("CreatePayout", func(b *testing.B) {
		batched(b, func(tx paykit.Tx, i int) error {
			m := paykit.MoneyFromMinor(10_000, "SEK")
			return tx.CreatePayout(ctx, &paykit.Payout{UID: fmt.Sprintf("wpo%09d", i), TenantID: storetest.ListTenant,
				ID: fmt.Sprintf("wpay%09d", i), EmployeeUID: fmt.Sprintf("e%09d", i*7919%*rows), InvoiceUID: "i000000000",
				Basis: paykit.PricingBasisAmount, Amount: m, InvoicedAmount: m, Cost: m, Description: "Gig",
				Status: paykit.PayoutStatusCreated, CreatedAt: at, UpdatedAt: at})
		})
	})
}
