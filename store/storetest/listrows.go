package storetest

import (
	"context"
	"fmt"
	"time"

	"github.com/paykit/paykit"
)

// The rows of the list benchmarks (store's BenchmarkLists, and the GigPay
// page of cmd/paykit-bench): one tenant with n rows in each list's table,
// written through the Store's Tx methods (so every column the Store
// derives, such as search text, is as it writes it), 10,000 to a transaction,
// with synchronous OFF. The values repeat with known frequencies, so that each
// filter selects a known share of the rows:
//
//   - payments: 40 % deposits, 40 % transfers (each with its token), 10 %
//     withdrawals, 10 % charges; 90 % completed, 5 % failed, 3 % pending, 2 %
//     processing; half come from one hot account, the rest from 10,000 others;
//     one payment in 520 goes to a warm account, and one in 480 to another
//     (1,924 and 2,084 payments at 1M rows, either side of the 2,000 at which
//     package store changes how it sorts an account's payments by amount).
//   - employees: "Name<k> Surname<j>" with 50 names and 50 surnames (a name
//     matches 2 % of them), every email and phone distinct; 50 % notified.
//   - payouts: n/1,000 invoices of 1,000 payouts; descriptions "Gig <word>"
//     with 100 words; 60 % notified, 40 % accepted, 50 % with start and end.
//   - events: 8 types, 10 events per subject; deliveries: one per event, to 4
//     endpoints, 90 % succeeded, 5 % failed, 5 % pending; requests: 1,000
//     payers.

// ListTenant is the tenant of the list rows.
const ListTenant = "t"

// ListBase is the creation time of the first row; row i is i ms later.
var ListBase = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// ListHot is the account half of the payments come from.
const ListHot = "acct-hot"

// ListWarm and ListWarmer are the accounts one payment in 520 and one in 480
// go to.
const (
	ListWarm   = "acct-warm"
	ListWarmer = "acct-warmer"
)

// ListEvents are the types of the events, in turn.
var ListEvents = []string{"payment.created", "payment.completed", "payment.failed", "token.created",
	"token.accepted", "payout.created", "payout.notified", "employee.created"}

// WriteListRows writes every list's n rows, described above, into s.
func WriteListRows(ctx context.Context, s paykit.Store, n int) error {
	if err := WriteListTenant(ctx, s); err != nil {
		return err
	}
	for _, write := range []func(context.Context, paykit.Store, int) error{
		WriteListPayments, writeListPayouts, writeListEvents, writeListRequests,
	} {
		if err := write(ctx, s, n); err != nil {
			return err
		}
	}
	return nil
}

// listAt is the creation time of row i.
func listAt(i int) time.Time { return ListBase.Add(time.Duration(i) * time.Millisecond) }

// inBatches calls each for i in [0, count), 10,000 to a transaction.
func inBatches(ctx context.Context, s paykit.Store, count int, each func(tx paykit.Tx, i int) error) error {
	for done := 0; done < count; {
		err := s.InTx(ctx, func(tx paykit.Tx) error {
			for end := min(done+10_000, count); done < end; done++ {
				if err := each(tx, done); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// WriteListTenant writes the tenant of the list rows, its 4 webhook endpoints
// and its 1,000 payers.
func WriteListTenant(ctx context.Context, s paykit.Store) error {
	return s.InTx(ctx, func(tx paykit.Tx) error {
		if err := tx.CreateTenant(ctx, &paykit.Tenant{ID: ListTenant, Name: "lists", CreatedAt: ListBase}); err != nil {
			return err
		}
		for e := range 4 {
			err := tx.CreateEndpoint(ctx, &paykit.Endpoint{ID: fmt.Sprintf("we%d", e), TenantID: ListTenant,
				URL: fmt.Sprintf("https://hooks%d.example.com/in", e), Scheme: paykit.SchemeStandard,
				Secret: "whsec_c2VjcmV0", StandardSecret: "whsec_c2VjcmV0", Enabled: true, CreatedAt: ListBase, UpdatedAt: ListBase})
			if err != nil {
				return err
			}
		}
		for p := range 1000 {
			err := tx.CreatePayer(ctx, &paykit.Payer{ID: fmt.Sprintf("py%04d", p), TenantID: ListTenant,
				Username: fmt.Sprintf("payer%04d", p), CreatedAt: ListBase})
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// WriteListPayments writes the n payments of ListTenant, p000000000 on.
func WriteListPayments(ctx context.Context, s paykit.Store, n int) error {
	return inBatches(ctx, s, n, func(tx paykit.Tx, i int) error {
		p := &paykit.Payment{ID: fmt.Sprintf("p%09d", i), TenantID: ListTenant, Status: paykit.PaymentStatusCompleted,
			Amount: paykit.MoneyFromMinor(int64(i*7919%100_000), "USD"), CreatedAt: listAt(i), UpdatedAt: listAt(i), SubmittedAt: ptr(listAt(i)),
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
			p.Source.AccountID = ListHot
		}
		switch { // never both: i ≡ 1 (mod 520) and i ≡ 3 (mod 480) differ mod 40
		case i%520 == 1:
			p.Destination.AccountID = ListWarm
		case i%480 == 3:
			p.Destination.AccountID = ListWarmer
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
}

// writeListPayouts writes the employees, invoices and payouts.
func writeListPayouts(ctx context.Context, s paykit.Store, n int) error {
	err := inBatches(ctx, s, n, func(tx paykit.Tx, i int) error {
		e := &paykit.Employee{UID: fmt.Sprintf("e%09d", i), TenantID: ListTenant, ID: fmt.Sprintf("emp%09d", i),
			Name:  fmt.Sprintf("Name%d Surname%d", i%50, i/50%50),
			Email: fmt.Sprintf("user%d@example.com", i), CellphoneNumber: fmt.Sprintf("+46700%07d", i),
			Country: "SE", Status: paykit.EmployeeStatusCreated, CreatedAt: listAt(i), UpdatedAt: listAt(i)}
		if i%2 == 0 {
			e.Status, e.NotifiedAt = paykit.EmployeeStatusNotified, ptr(listAt(i))
		}
		return tx.CreateEmployee(ctx, e)
	})
	if err != nil {
		return err
	}
	err = inBatches(ctx, s, (n+999)/1000, func(tx paykit.Tx, i int) error {
		return tx.CreateInvoice(ctx, &paykit.Invoice{UID: fmt.Sprintf("i%09d", i), TenantID: ListTenant,
			ID: fmt.Sprintf("inv%09d", i), Currency: "SEK", Price: paykit.MoneyFromMinor(0, "SEK"),
			CreatedAt: listAt(i * 1000), UpdatedAt: listAt(i * 1000)})
	})
	if err != nil {
		return err
	}
	return inBatches(ctx, s, n, func(tx paykit.Tx, i int) error {
		m := func(v int64) paykit.Money { return paykit.MoneyFromMinor(v, "SEK") }
		p := &paykit.Payout{UID: fmt.Sprintf("po%09d", i), TenantID: ListTenant, ID: fmt.Sprintf("pay%09d", i),
			EmployeeUID: fmt.Sprintf("e%09d", i*7919%n), InvoiceUID: fmt.Sprintf("i%09d", i/1000),
			Basis: paykit.PricingBasisAmount, Amount: m(10_000), InvoicedAmount: m(10_000), Cost: m(13_000),
			Description: fmt.Sprintf("Gig word%d", i%100), Status: paykit.PayoutStatusCreated,
			CreatedAt: listAt(i), UpdatedAt: listAt(i)}
		if i%2 == 0 {
			p.StartAt, p.EndAt = ptr(listAt(i)), ptr(listAt(i).Add(time.Hour))
		}
		if i%5 < 3 {
			p.Status, p.NotifiedAt = paykit.PayoutStatusNotified, ptr(listAt(i))
		}
		if i%5 < 2 {
			p.Status, p.AcceptedAt = paykit.PayoutStatusAccepted, ptr(listAt(i))
		}
		return tx.CreatePayout(ctx, p)
	})
}

// writeListEvents writes the events and their deliveries.
func writeListEvents(ctx context.Context, s paykit.Store, n int) error {
	err := inBatches(ctx, s, n, func(tx paykit.Tx, i int) error {
		return tx.AppendEvent(ctx, &paykit.Event{ID: fmt.Sprintf("ev%09d", i), TenantID: ListTenant,
			Type: ListEvents[i%len(ListEvents)], SubjectID: fmt.Sprintf("s%08d", i/10), Data: []byte(`{}`), CreatedAt: listAt(i)})
	})
	if err != nil {
		return err
	}
	return inBatches(ctx, s, n, func(tx paykit.Tx, i int) error {
		d := &paykit.Delivery{ID: fmt.Sprintf("d%09d", i), TenantID: ListTenant, EventID: fmt.Sprintf("ev%09d", i),
			EventType: ListEvents[i%len(ListEvents)], EndpointID: fmt.Sprintf("we%d", i%4),
			URL: fmt.Sprintf("https://hooks%d.example.com/in", i%4), Scheme: paykit.SchemeStandard,
			Body: []byte(`{}`), Status: paykit.DeliveryStatusSucceeded, Attempts: 1, Tries: 1,
			LastAttemptAt: ptr(listAt(i)), LastStatusCode: 200, CreatedAt: listAt(i), UpdatedAt: listAt(i)}
		switch i % 20 {
		case 18:
			d.Status, d.LastStatusCode = paykit.DeliveryStatusFailed, 500
		case 19:
			d.Status, d.NextAttemptAt, d.Attempts, d.Tries = paykit.DeliveryStatusPending, ptr(listAt(i)), 0, 0
		}
		return tx.CreateDelivery(ctx, d)
	})
}

// writeListRequests writes the Memento requests.
func writeListRequests(ctx context.Context, s paykit.Store, n int) error {
	return inBatches(ctx, s, n, func(tx paykit.Tx, i int) error {
		r := &paykit.Request{ID: fmt.Sprintf("r%09d", i), TenantID: ListTenant, PayerID: fmt.Sprintf("py%04d", i%1000),
			Recipient: "shop", Amount: paykit.MoneyFromMinor(int64(100+i%1000), "SEK"), Status: paykit.RequestStatusPaid,
			ExpiresAt: listAt(i).Add(time.Minute), CompletedAt: ptr(listAt(i)), CreatedAt: listAt(i), UpdatedAt: listAt(i)}
		return tx.CreateRequest(ctx, r)
	})
}
