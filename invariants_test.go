package paykit_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"

	"github.com/paykit/paykit"
)

// world is one tenant holding one of each thing CheckInvariants links: tokens
// in each state, a withdrawal, a Gigapay invoice with a payout, a paid and a
// declined Memento request, and webhook deliveries to an endpoint.
type world struct {
	tenant               string
	payee                *paykit.Account
	reserved, succeeded  *paykit.Token // active and unaccepted; accepted and completed
	payment, withdrawal  *paykit.Payment
	invoice              *paykit.Invoice
	payout               *paykit.Payout
	paid, declined       *paykit.Request
	endpoint             *paykit.Endpoint
	delivery             *paykit.Delivery
	event                *paykit.Event // the delivery's
	deliveriesOfEndpoint int
}

// mustWorld builds a world whose invariants all hold.
func mustWorld(t *testing.T, e *env) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{tenant: e.MustTenant(t)}
	rc := newReceiver(t, ok)
	t.Cleanup(rc.Close)
	w.endpoint = e.mustEndpoint(t, w.tenant, rc.URL, nil)

	payer := e.MustAccount(t, w.tenant, "100")
	w.payee = e.MustUserAccount(t, w.tenant)
	w.reserved = e.MustToken(t, w.tenant, payer.ID, "10", time.Hour)
	tok := e.MustToken(t, w.tenant, payer.ID, "20", time.Hour)
	acc, err := e.svc.AcceptToken(ctx, w.tenant, tok.Token, w.payee.ID)
	require.NoError(t, err)
	w.payment, err = e.svc.CompletePayment(ctx, w.tenant, acc.Payment.ID)
	require.NoError(t, err)
	w.succeeded, err = e.svc.FindTokenByID(ctx, w.tenant, tok.ID)
	require.NoError(t, err)
	w.withdrawal, err = e.svc.CreateWithdrawal(ctx, w.tenant, paykit.WithdrawalCreate{SourceAccountID: payer.ID,
		Amount: dec("5"), AssetType: "usd", ExternalStorage: "ach:1"})
	require.NoError(t, err)

	_, err = e.svc.EnsureIntegration(ctx, w.tenant, paykit.IntegrationCreate{})
	require.NoError(t, err)
	e.MustEmployee(t, w.tenant, "67")
	w.payout, err = e.svc.CreatePayout(ctx, w.tenant, payoutOf("123", "67", "1000"))
	require.NoError(t, err)
	w.invoice, err = e.svc.FindInvoiceByID(ctx, w.tenant, w.payout.InvoiceID)
	require.NoError(t, err)

	e.MustMerchant(t, w.tenant, map[paykit.Currency]string{"USD": "500"})
	e.MustPayer(t, w.tenant, paykit.PayerCreate{Username: "alice", Currency: "usd", Balance: dec("100")})
	ttl := time.Minute
	ask := paykit.RequestCreate{Amount: dec("10.99"), Currency: "USD", Recipient: "alice", ExpiresIn: &ttl, NotifyURL: rc.URL}
	r, err := e.svc.CreateRequest(ctx, w.tenant, ask)
	require.NoError(t, err)
	w.paid, err = e.svc.PayRequest(ctx, w.tenant, r.ID)
	require.NoError(t, err)
	r, err = e.svc.CreateRequest(ctx, w.tenant, ask)
	require.NoError(t, err)
	w.declined, err = e.svc.DeclineRequest(ctx, w.tenant, r.ID)
	require.NoError(t, err)

	// Fans every event out to the endpoint, delivers them and hands the
	// withdrawal to the rail.
	e.MustRunDue(t)
	w.withdrawal, err = e.svc.FindPaymentByID(ctx, w.tenant, w.withdrawal.ID)
	require.NoError(t, err)
	ds, err := e.svc.FindDeliveries(ctx, w.tenant, paykit.DeliveryFilter{EndpointID: &w.endpoint.ID, Limit: paykit.MaxLimit})
	require.NoError(t, err)
	require.NotEmpty(t, ds)
	w.delivery, w.deliveriesOfEndpoint = ds[0], len(ds)
	w.event, err = e.svc.FindEventByID(ctx, w.tenant, w.delivery.EventID)
	require.NoError(t, err)

	require.NoError(t, e.svc.CheckInvariants(ctx, w.tenant))
	return w
}

// mustExec runs a statement on the database behind the Service's back.
func (e *env) mustExec(tb testing.TB, query string, args ...any) {
	tb.Helper()
	if onPostgres {
		tb.Skip("breaks the database in SQLite's SQL")
	}
	db, err := sql.Open("sqlite", "file:"+e.path+"?_pragma=busy_timeout(10000)")
	require.NoError(tb, err)
	defer db.Close()
	res, err := db.Exec(query, args...)
	require.NoError(tb, err)
	n, err := res.RowsAffected()
	require.NoError(tb, err)
	require.Positive(tb, n, "%s changed nothing", query)
}

// TestService_CheckInvariants breaks each invariant in the database file, as a
// bug or a hand-made fix would, and requires CheckInvariants to name it.
func TestService_CheckInvariants(t *testing.T) {
	for _, tc := range []struct {
		name    string
		corrupt func(t *testing.T, e *env, w *world)
		want    func(w *world) []string
	}{{
		name: "LedgerBalance",
		corrupt: func(t *testing.T, e *env, w *world) {
			e.mustExec(t, `UPDATE accounts SET credits_posted = credits_posted + 1 WHERE id = ?`, w.payee.ID)
		},
		want: func(w *world) []string {
			return []string{"account " + w.payee.ID + ": balances", "USD does not sum to zero"}
		},
	}, {
		name: "TokenReservationVoided",
		corrupt: func(t *testing.T, e *env, w *world) {
			e.mustExec(t, `UPDATE transfers SET status = 'voided' WHERE id = ?`, w.reserved.ReservationID)
		},
		want: func(w *world) []string {
			return []string{fmt.Sprintf("token %s (active): its transfer %s is voided, not pending", w.reserved.ID, w.reserved.ReservationID)}
		},
	}, {
		name: "TokenReservationAmount",
		corrupt: func(t *testing.T, e *env, w *world) {
			e.mustExec(t, `UPDATE transfers SET amount = 999 WHERE id = ?`, w.reserved.ReservationID)
		},
		want: func(w *world) []string {
			return []string{fmt.Sprintf("token %s (active) of 10.00 USD: its transfer %s is of 9.99 USD", w.reserved.ID, w.reserved.ReservationID)}
		},
	}, {
		name: "TokenWithoutPayment",
		corrupt: func(t *testing.T, e *env, w *world) {
			e.mustExec(t, `UPDATE tokens SET payment_id = '' WHERE id = ?`, w.succeeded.ID)
		},
		want: func(w *world) []string {
			return []string{
				fmt.Sprintf("token %s is succeeded but has no payment", w.succeeded.ID),
				fmt.Sprintf("payment %s: its token %s names payment \"\"", w.payment.ID, w.succeeded.ID),
			}
		},
	}, {
		name: "TokenPaymentStatus",
		corrupt: func(t *testing.T, e *env, w *world) {
			e.mustExec(t, `UPDATE payments SET status = 'failed' WHERE id = ?`, w.payment.ID)
		},
		want: func(w *world) []string {
			return []string{
				fmt.Sprintf("token %s is succeeded but its payment %s is failed", w.succeeded.ID, w.payment.ID),
				fmt.Sprintf("payment %s (failed): its transfer %s is posted, not voided", w.payment.ID, w.payment.TransferID),
			}
		},
	}, {
		name: "PaymentTransferSettled",
		corrupt: func(t *testing.T, e *env, w *world) {
			e.mustExec(t, `UPDATE transfers SET status = 'posted' WHERE id = ?`, w.withdrawal.TransferID)
		},
		want: func(w *world) []string {
			return []string{fmt.Sprintf("payment %s (%s): its transfer %s is posted, not pending", w.withdrawal.ID, w.withdrawal.Status, w.withdrawal.TransferID)}
		},
	}, {
		name: "PaymentTransferMissing",
		corrupt: func(t *testing.T, e *env, w *world) {
			e.mustExec(t, `UPDATE payments SET transfer_id = 'gone' WHERE id = ?`, w.withdrawal.ID)
		},
		want: func(w *world) []string {
			return []string{fmt.Sprintf("payment %s: its transfer gone does not exist", w.withdrawal.ID)}
		},
	}, {
		name: "PaymentStatusUnknown",
		corrupt: func(t *testing.T, e *env, w *world) {
			e.mustExec(t, `UPDATE payments SET status = 'lost' WHERE id = ?`, w.withdrawal.ID)
		},
		want: func(w *world) []string {
			return []string{fmt.Sprintf("payment %s has the unknown status \"lost\"", w.withdrawal.ID)}
		},
	}, {
		name: "InvoicePrice",
		corrupt: func(t *testing.T, e *env, w *world) {
			e.mustExec(t, `UPDATE invoices SET price_minor = price_minor + 100 WHERE uid = ?`, w.invoice.UID)
		},
		want: func(w *world) []string {
			return []string{fmt.Sprintf("invoice %s (%q): its price is 1380.91 SEK, its payouts cost 1379.91 SEK", w.invoice.UID, w.invoice.ID)}
		},
	}, {
		name: "PayoutOfUnpaidInvoice",
		corrupt: func(t *testing.T, e *env, w *world) {
			e.mustExec(t, `UPDATE payouts SET status = 'notified' WHERE uid = ?`, w.payout.UID)
		},
		want: func(w *world) []string {
			return []string{fmt.Sprintf("invoice %s (%q) is unpaid but its payout %s is notified", w.invoice.UID, w.invoice.ID, w.payout.UID)}
		},
	}, {
		name: "RequestPaidWithoutTransfer",
		corrupt: func(t *testing.T, e *env, w *world) {
			e.mustExec(t, `UPDATE requests SET transaction_id = '' WHERE id = ?`, w.paid.ID)
		},
		want: func(w *world) []string {
			return []string{fmt.Sprintf("request %s (paid) has no transfer", w.paid.ID)}
		},
	}, {
		name: "RequestTransferVoided",
		corrupt: func(t *testing.T, e *env, w *world) {
			e.mustExec(t, `UPDATE transfers SET status = 'voided' WHERE id = ?`, w.paid.TransactionID)
		},
		want: func(w *world) []string {
			return []string{fmt.Sprintf("request %s (paid): its transfer %s is voided, not posted", w.paid.ID, w.paid.TransactionID)}
		},
	}, {
		name: "RequestRejectedWithoutReason",
		corrupt: func(t *testing.T, e *env, w *world) {
			e.mustExec(t, `UPDATE requests SET reason = '' WHERE id = ?`, w.declined.ID)
		},
		want: func(w *world) []string {
			return []string{fmt.Sprintf("request %s (rejected) has no known reason", w.declined.ID)}
		},
	}, {
		name: "DeliveryEndpointGone",
		corrupt: func(t *testing.T, e *env, w *world) {
			// Without the foreign keys pragma, the endpoint's deliveries stay.
			e.mustExec(t, `DELETE FROM webhook_endpoints WHERE tenant_id = ? AND id = ?`, w.tenant, w.endpoint.ID)
		},
		want: func(w *world) []string {
			return []string{
				fmt.Sprintf("delivery %s: its endpoint %s does not exist", w.delivery.ID, w.endpoint.ID),
				fmt.Sprintf("tenant %s: %d broken invariants", w.tenant, w.deliveriesOfEndpoint),
				fmt.Sprintf("; and %d more", w.deliveriesOfEndpoint-10),
			}
		},
	}, {
		name: "DeliveryEventType",
		corrupt: func(t *testing.T, e *env, w *world) {
			e.mustExec(t, `UPDATE webhook_deliveries SET event_type = 'token.nope' WHERE id = ?`, w.delivery.ID)
		},
		want: func(w *world) []string {
			return []string{fmt.Sprintf("delivery %s is of a token.nope event, but event %s is %s", w.delivery.ID, w.event.ID, w.event.Type)}
		},
	}, {
		name: "EndpointWithoutStandardSecret",
		corrupt: func(t *testing.T, e *env, w *world) {
			e.mustExec(t, `UPDATE webhook_endpoints SET standard_secret = '' WHERE tenant_id = ? AND id = ?`, w.tenant, w.endpoint.ID)
		},
		want: func(w *world) []string {
			return []string{fmt.Sprintf("endpoint %s has no Standard Webhooks secret", w.endpoint.ID)}
		},
	}, {
		name: "DeliveryEventGone",
		corrupt: func(t *testing.T, e *env, w *world) {
			e.mustExec(t, `UPDATE webhook_deliveries SET event_id = 'gone' WHERE id = ?`, w.delivery.ID)
		},
		want: func(w *world) []string {
			return []string{fmt.Sprintf("delivery %s: its event gone does not exist", w.delivery.ID)}
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			e := MustOpenUnchecked(t, local)
			w := mustWorld(t, e)
			tc.corrupt(t, e, w)
			err := e.svc.CheckInvariants(context.Background(), w.tenant)
			requireCode(t, paykit.EINTERNAL, err)
			all := e.svc.CheckAllInvariants(context.Background())
			for _, want := range tc.want(w) {
				require.Contains(t, paykit.ErrorMessage(err), want)
				require.ErrorContains(t, all, want, "every tenant's check names it too")
			}
		})
	}
}
