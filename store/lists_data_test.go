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
)

// The rows of the list benchmarks: one tenant with n rows in each list's
// table, written through the Store's Tx methods (so every column the Store
// derives, such as search text, is as it writes it), 10,000 to a transaction,
// with synchronous OFF. The values repeat with known frequencies, so that each
// filter selects a known share of the rows:
//
//   - payments: 40 % deposits, 40 % transfers (each with its token), 10 %
//     withdrawals, 10 % charges; 90 % completed, 5 % failed, 3 % pending, 2 %
//     processing; half come from one hot account, the rest from 10,000 others.
//   - employees: "Name<k> Surname<j>" with 50 names and 50 surnames (a name
//     matches 2 % of them), every email and phone distinct; 50 % notified.
//   - payouts: n/1,000 invoices of 1,000 payouts; descriptions "Gig <word>"
//     with 100 words; 60 % notified, 40 % accepted, 50 % with start and end.
//   - events: 8 types, 10 events per subject; deliveries: one per event, to 4
//     endpoints, 90 % succeeded, 5 % failed, 5 % pending; requests: 1,000
//     payers.

// listsTenant is the tenant of the benchmark rows.
const listsTenant = "t"

// listsBase is the creation time of the first row; row i is i ms later.
var listsBase = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// listsHot is the account half of the payments come from.
const listsHot = "acct-hot"

var listsEvents = []string{"payment.created", "payment.completed", "payment.failed", "token.created",
	"token.accepted", "payout.created", "payout.notified", "employee.created"}

// openListsDB opens the database of the list benchmarks at path, writing its
// n rows of each table first unless the file has them already (so that a
// -listsdb file is built once and read by every later run).
func openListsDB(tb testing.TB, path string, n int) *store.DB {
	ctx := context.Background()
	db, err := store.Open(path, store.WithSynchronous("OFF"))
	require.NoError(tb, err)
	if _, err := db.FindTenantByID(ctx, listsTenant); err == nil {
		if ps, err := db.FindPayments(ctx, listsTenant, paykit.PaymentFilter{Sort: paykit.PaymentSortCreatedDesc, Limit: 1}); err == nil &&
			len(ps) == 1 && ps[0].ID == fmt.Sprintf("p%09d", n-1) {
			return db
		}
		require.NoError(tb, db.Close())
		require.NoError(tb, os.Remove(path))
		return openListsDB(tb, path, n)
	}
	start := time.Now()
	writeListsRows(tb, db, n)
	tb.Logf("wrote %d rows in each list's table in %s", n, time.Since(start).Round(time.Millisecond))
	return db
}

// writeListsRows writes the benchmark's rows, described above.
func writeListsRows(tb testing.TB, db *store.DB, n int) {
	ctx := context.Background()
	at := func(i int) time.Time { return listsBase.Add(time.Duration(i) * time.Millisecond) }
	ptr := func(t time.Time) *time.Time { return &t }
	in := func(count int, each func(tx paykit.Tx, i int) error) {
		for done := 0; done < count; {
			require.NoError(tb, db.InTx(ctx, func(tx paykit.Tx) error {
				for end := min(done+10_000, count); done < end; done++ {
					if err := each(tx, done); err != nil {
						return err
					}
				}
				return nil
			}))
		}
	}
	in(1, func(tx paykit.Tx, _ int) error {
		if err := tx.CreateTenant(ctx, &paykit.Tenant{ID: listsTenant, Name: "lists", CreatedAt: listsBase}); err != nil {
			return err
		}
		for e := range 4 {
			err := tx.CreateEndpoint(ctx, &paykit.Endpoint{ID: fmt.Sprintf("we%d", e), TenantID: listsTenant,
				URL: fmt.Sprintf("https://hooks%d.example.com/in", e), Scheme: paykit.SchemeStandard,
				Secret: "whsec_c2VjcmV0", StandardSecret: "whsec_c2VjcmV0", Enabled: true, CreatedAt: listsBase, UpdatedAt: listsBase})
			if err != nil {
				return err
			}
		}
		for p := range 1000 {
			err := tx.CreatePayer(ctx, &paykit.Payer{ID: fmt.Sprintf("py%04d", p), TenantID: listsTenant,
				Username: fmt.Sprintf("payer%04d", p), CreatedAt: listsBase})
			if err != nil {
				return err
			}
		}
		return nil
	})

	// Payments.
	in(n, func(tx paykit.Tx, i int) error {
		p := &paykit.Payment{ID: fmt.Sprintf("p%09d", i), TenantID: listsTenant, Status: paykit.PaymentStatusCompleted,
			Amount: paykit.MoneyFromMinor(int64(i*7919%100_000), "USD"), CreatedAt: at(i), UpdatedAt: at(i), SubmittedAt: ptr(at(i)),
			Source:      paykit.Party{AccountID: fmt.Sprintf("a%05d", i%10_000)},
			Destination: paykit.Party{AccountID: fmt.Sprintf("a%05d", i*31%10_000)}}
		switch k := i % 10; {
		case k < 4:
			p.Type = paykit.PaymentTypeDeposit
		case k < 8:
			p.Type, p.PaymentTokenID = paykit.PaymentTypeTransfer, fmt.Sprintf("tk%09d", i)
		case k < 9:
			p.Type = paykit.PaymentTypeWithdrawal
		default:
			p.Type = paykit.PaymentTypeCharge
		}
		if i%2 == 0 {
			p.Source.AccountID = listsHot
		}
		switch k := i % 100; {
		case k >= 98:
			p.Status, p.SubmittedAt = paykit.PaymentStatusProcessing, nil
		case k >= 95:
			p.Status, p.SubmittedAt = paykit.PaymentStatusPending, nil
		case k >= 90:
			p.Status = paykit.PaymentStatusFailed
		}
		return tx.CreatePayment(ctx, p)
	})

	// Employees, invoices and payouts.
	in(n, func(tx paykit.Tx, i int) error {
		e := &paykit.Employee{UID: fmt.Sprintf("e%09d", i), TenantID: listsTenant, ID: fmt.Sprintf("emp%09d", i),
			Name:  fmt.Sprintf("Name%d Surname%d", i%50, i/50%50),
			Email: fmt.Sprintf("user%d@example.com", i), CellphoneNumber: fmt.Sprintf("+46700%07d", i),
			Country: "SE", Status: paykit.EmployeeStatusCreated, CreatedAt: at(i), UpdatedAt: at(i)}
		if i%2 == 0 {
			e.Status, e.NotifiedAt = paykit.EmployeeStatusNotified, ptr(at(i))
		}
		return tx.CreateEmployee(ctx, e)
	})
	in((n+999)/1000, func(tx paykit.Tx, i int) error {
		return tx.CreateInvoice(ctx, &paykit.Invoice{UID: fmt.Sprintf("i%09d", i), TenantID: listsTenant,
			ID: fmt.Sprintf("inv%09d", i), Currency: "SEK", Price: paykit.MoneyFromMinor(0, "SEK"),
			CreatedAt: at(i * 1000), UpdatedAt: at(i * 1000)})
	})
	in(n, func(tx paykit.Tx, i int) error {
		m := func(v int64) paykit.Money { return paykit.MoneyFromMinor(v, "SEK") }
		p := &paykit.Payout{UID: fmt.Sprintf("po%09d", i), TenantID: listsTenant, ID: fmt.Sprintf("pay%09d", i),
			EmployeeUID: fmt.Sprintf("e%09d", i*7919%n), InvoiceUID: fmt.Sprintf("i%09d", i/1000),
			Basis: paykit.PricingBasisAmount, Amount: m(10_000), InvoicedAmount: m(10_000), Cost: m(13_000),
			Description: fmt.Sprintf("Gig word%d", i%100), Status: paykit.PayoutStatusCreated,
			CreatedAt: at(i), UpdatedAt: at(i)}
		if i%2 == 0 {
			p.StartAt, p.EndAt = ptr(at(i)), ptr(at(i).Add(time.Hour))
		}
		if i%5 < 3 {
			p.Status, p.NotifiedAt = paykit.PayoutStatusNotified, ptr(at(i))
		}
		if i%5 < 2 {
			p.Status, p.AcceptedAt = paykit.PayoutStatusAccepted, ptr(at(i))
		}
		return tx.CreatePayout(ctx, p)
	})

	// Events and their deliveries.
	in(n, func(tx paykit.Tx, i int) error {
		return tx.AppendEvent(ctx, &paykit.Event{ID: fmt.Sprintf("ev%09d", i), TenantID: listsTenant,
			Type: listsEvents[i%len(listsEvents)], SubjectID: fmt.Sprintf("s%08d", i/10), Data: []byte(`{}`), CreatedAt: at(i)})
	})
	in(n, func(tx paykit.Tx, i int) error {
		d := &paykit.Delivery{ID: fmt.Sprintf("d%09d", i), TenantID: listsTenant, EventID: fmt.Sprintf("ev%09d", i),
			EventType: listsEvents[i%len(listsEvents)], EndpointID: fmt.Sprintf("we%d", i%4),
			URL: fmt.Sprintf("https://hooks%d.example.com/in", i%4), Scheme: paykit.SchemeStandard,
			Body: []byte(`{}`), Status: paykit.DeliveryStatusSucceeded, Attempts: 1, Tries: 1,
			LastAttemptAt: ptr(at(i)), LastStatusCode: 200, CreatedAt: at(i), UpdatedAt: at(i)}
		switch i % 20 {
		case 18:
			d.Status, d.LastStatusCode = paykit.DeliveryStatusFailed, 500
		case 19:
			d.Status, d.NextAttemptAt, d.Attempts, d.Tries = paykit.DeliveryStatusPending, ptr(at(i)), 0, 0
		}
		return tx.CreateDelivery(ctx, d)
	})

	// Requests.
	in(n, func(tx paykit.Tx, i int) error {
		r := &paykit.Request{ID: fmt.Sprintf("r%09d", i), TenantID: listsTenant, PayerID: fmt.Sprintf("py%04d", i%1000),
			Recipient: "shop", Amount: paykit.MoneyFromMinor(int64(100+i%1000), "SEK"), Status: paykit.RequestStatusPaid,
			ExpiresAt: at(i).Add(time.Minute), CompletedAt: ptr(at(i)), CreatedAt: at(i), UpdatedAt: at(i)}
		return tx.CreateRequest(ctx, r)
	})
}
