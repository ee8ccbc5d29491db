package paykit_test

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
)

// MustIntegration makes a new tenant a web app integration whose ledger is
// checked at the end of the test.
func (e *env) MustIntegration(tb testing.TB) string {
	tb.Helper()
	id := e.MustTenant(tb)
	_, err := e.svc.EnsureIntegration(context.Background(), id, paykit.IntegrationCreate{})
	require.NoError(tb, err)
	return id
}

// MustEmployee registers an employee with the client id id.
func (e *env) MustEmployee(tb testing.TB, tenantID, id string) *paykit.Employee {
	tb.Helper()
	emp, err := e.svc.CreateEmployee(context.Background(), tenantID, paykit.EmployeeCreate{ID: id, Name: "Albin Lindskog",
		CellphoneNumber: "+46703000000", Country: "SWE"})
	require.NoError(tb, err)
	return emp
}

// MustVerified registers an employee and takes them through onboarding.
func (e *env) MustVerified(tb testing.TB, tenantID, id string) *paykit.Employee {
	tb.Helper()
	ctx := context.Background()
	e.MustEmployee(tb, tenantID, id)
	_, err := e.svc.NotifyEmployee(ctx, tenantID, id)
	require.NoError(tb, err)
	_, err = e.svc.ClaimEmployee(ctx, tenantID, id)
	require.NoError(tb, err)
	emp, err := e.svc.VerifyEmployee(ctx, tenantID, id)
	require.NoError(tb, err)
	return emp
}

func amount(s string) *decimal.Decimal { d := dec(s); return &d }

func payoutOf(id, employee, amt string) paykit.PayoutCreate {
	return paykit.PayoutCreate{ID: id, Amount: amount(amt), Currency: "SEK", Description: "Lön genom Gigapay", EmployeeID: employee}
}

// balance returns the posted balance of the integration's account with code.
func (e *env) balance(tb testing.TB, tenantID, code string) string {
	tb.Helper()
	as, err := e.svc.FindAccounts(context.Background(), tenantID, paykit.AccountFilter{Limit: paykit.MaxLimit})
	require.NoError(tb, err)
	for _, a := range as {
		if a.Code == code {
			return a.Balance().Fixed()
		}
	}
	return "none"
}

func TestPayout_Lifecycle(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		e := MustOpen(t)
		ctx := context.Background()
		tn := e.MustIntegration(t)
		emp := e.MustEmployee(t, tn, "67")
		p, err := e.svc.CreatePayout(ctx, tn, payoutOf("123", "67", "1000"))
		require.NoError(t, err)
		require.Equal(t, "1379.91", p.Cost.Fixed())
		require.False(t, p.FullSalarySpecification())
		inv, err := e.svc.FindInvoiceByID(ctx, tn, p.InvoiceID)
		require.NoError(t, err)
		require.Equal(t, "1379.91", inv.Price.Fixed())
		require.False(t, inv.Open, "without batching each request gets its own invoice")
		require.True(t, paykit.ValidOCR(inv.OCRNumber()))

		_, err = e.svc.AcceptPayout(ctx, tn, "123")
		requireCode(t, paykit.ECONFLICT, err)

		e.clock.Add(time.Minute)
		_, err = e.svc.NotifyEmployee(ctx, tn, "67")
		require.NoError(t, err)
		_, err = e.svc.ClaimEmployee(ctx, tn, "67")
		require.NoError(t, err)
		_, err = e.svc.PayInvoice(ctx, tn, inv.ID)
		require.NoError(t, err)
		p, err = e.svc.FindPayoutByID(ctx, tn, "123")
		require.NoError(t, err)
		require.Nil(t, p.NotifiedAt, "the employee is not told of a payout before they are verified")
		require.Equal(t, "1379.91", e.balance(t, tn, "gigapay_client"))

		_, err = e.svc.VerifyEmployee(ctx, tn, "67")
		require.NoError(t, err)
		p, err = e.svc.FindPayoutByID(ctx, tn, "123")
		require.NoError(t, err)
		require.NotNil(t, p.NotifiedAt)
		_, err = e.svc.DisbursePayout(ctx, tn, "123")
		requireCode(t, paykit.ECONFLICT, err)
		p, err = e.svc.AcceptPayout(ctx, tn, "123")
		require.NoError(t, err)
		require.NotNil(t, p.AcceptedAt)
		p, err = e.svc.DisbursePayout(ctx, tn, "123")
		require.NoError(t, err)
		require.NotNil(t, p.DisbursedAt)
		_, err = e.svc.DisbursePayout(ctx, tn, "123")
		requireCode(t, paykit.ECONFLICT, err)

		require.Equal(t, "0.00", e.balance(t, tn, "gigapay_client"))
		require.Equal(t, "700.00", e.balance(t, tn, "employee:"+emp.UID))
		require.Equal(t, "300.00", e.balance(t, tn, "income_tax"))
		require.Equal(t, "314.20", e.balance(t, tn, "payroll_tax"))
		require.Equal(t, "65.71", e.balance(t, tn, "gigapay_fee"))
		require.Equal(t, "-1379.91", e.balance(t, tn, "world"))
		require.Equal(t, []string{paykit.EventTenantCreated, paykit.EventEmployeeCreated, paykit.EventInvoiceCreated, paykit.EventPayoutCreated, paykit.EventEmployeeNotified,
			paykit.EventEmployeeClaimed, paykit.EventInvoicePaid, paykit.EventEmployeeVerified, paykit.EventPayoutNotified, paykit.EventPayoutAccepted}, e.eventTypes(t, tn, ""))

		// The payout's event is its canonical snapshot; the Gigapay dialect
		// renders it as the API does (httpapi's TestGigapay_EventBodies).
		evs, err := e.svc.FindEvents(ctx, tn, paykit.EventFilter{Limit: 100})
		require.NoError(t, err)
		sek := func(a string) string { return `{"amount":"` + a + `","currency":"SEK"}` }
		require.JSONEq(t, `{"uid":"`+p.UID+`","tenantId":"`+tn+`","id":"123","basis":"amount","amount":`+sek("1000.00")+`,
			"invoicedAmount":`+sek("1314.20")+`,"cost":`+sek("1379.91")+`,"fee":`+sek("65.71")+`,"payroll":`+sek("314.20")+`,
			"tax":`+sek("300.00")+`,"vat":`+sek("344.98")+`,"description":"Lön genom Gigapay","employeeUid":"`+emp.UID+`",
			"employeeId":"67","invoiceUid":"`+inv.UID+`","invoiceId":"`+inv.ID+`","metadata":{},"status":"accepted",
			"createdAt":"2024-01-09T12:00:00Z","notifiedAt":"2024-01-09T12:01:00Z","acceptedAt":"2024-01-09T12:01:00Z",
			"updatedAt":"2024-01-09T12:01:00Z"}`, string(evs[len(evs)-1].Data))
		var snap paykit.Payout
		require.NoError(t, json.Unmarshal(evs[len(evs)-1].Data, &snap))
		snap.DisbursedAt, snap.UpdatedAt = p.DisbursedAt, p.UpdatedAt
		snap.Status = p.Status
		require.Equal(t, p.ID, snap.ID)
		require.JSONEq(t, string(mustMarshal(t, p)), string(mustMarshal(t, &snap)), "the snapshot holds the whole payout")
	})

	t.Run("VerifiedBeforePaid", func(t *testing.T) {
		e := MustOpen(t)
		ctx := context.Background()
		tn := e.MustIntegration(t)
		e.MustVerified(t, tn, "e1")
		p, err := e.svc.CreatePayout(ctx, tn, payoutOf("", "e1", "100"))
		require.NoError(t, err)
		_, err = e.svc.PayInvoice(ctx, tn, p.InvoiceID)
		require.NoError(t, err)
		require.Equal(t, []string{paykit.EventInvoicePaid, paykit.EventPayoutNotified}, e.eventTypes(t, tn, "")[7:])
		_, err = e.svc.PayInvoice(ctx, tn, p.InvoiceID)
		requireCode(t, paykit.ECONFLICT, err)
	})

	t.Run("Guards", func(t *testing.T) {
		e := MustOpen(t)
		ctx := context.Background()
		tn := e.MustIntegration(t)
		e.MustEmployee(t, tn, "e1")
		e.MustEmployee(t, tn, "e2")
		p, err := e.svc.CreatePayout(ctx, tn, payoutOf("p1", "e1", "100"))
		require.NoError(t, err)
		requireCode(t, paykit.EFORBIDDEN, e.svc.DeleteEmployee(ctx, tn, "e1"))
		require.NoError(t, e.svc.DeleteEmployee(ctx, tn, "e2"))

		q, err := e.svc.CreatePayout(ctx, tn, payoutOf("p2", "e1", "200"))
		require.NoError(t, err)
		require.NotEqual(t, p.InvoiceID, q.InvoiceID)
		require.NoError(t, e.svc.DeletePayout(ctx, tn, "p2"))
		inv, err := e.svc.FindInvoiceByID(ctx, tn, q.InvoiceID)
		require.NoError(t, err)
		require.Equal(t, "0.00", inv.Price.Fixed())
		_, err = e.svc.PayInvoice(ctx, tn, inv.ID)
		requireCode(t, paykit.ECONFLICT, err)
		require.NoError(t, e.svc.DeleteInvoice(ctx, tn, inv.ID))

		_, err = e.svc.PayInvoice(ctx, tn, p.InvoiceID)
		require.NoError(t, err)
		requireCode(t, paykit.EFORBIDDEN, e.svc.DeletePayout(ctx, tn, "p1"))
		requireCode(t, paykit.EFORBIDDEN, e.svc.DeleteInvoice(ctx, tn, p.InvoiceID))
		requireCode(t, paykit.ENOTFOUND, e.svc.DeletePayout(ctx, tn, "nope"))
	})

	t.Run("Resend", func(t *testing.T) {
		e := MustOpen(t)
		ctx := context.Background()
		tn := e.MustIntegration(t)
		e.MustEmployee(t, tn, "e1")
		require.NoError(t, e.svc.ResendEmployee(ctx, tn, "e1"))
		err := e.svc.ResendEmployee(ctx, tn, "e1")
		requireCode(t, paykit.ELIMIT, err)
		require.Contains(t, paykit.ErrorMessage(err), "86400 seconds")
		// The error says when a resend can succeed, and the Service how long
		// that is from now, by the Clock.
		require.Equal(t, e.clock.Now().Add(paykit.ResendInterval), paykit.ErrorRetryAt(err))
		wait, ok := e.svc.RetryAfter(err)
		require.True(t, ok)
		require.Equal(t, paykit.ResendInterval, wait)
		e.clock.Add(paykit.ResendInterval - time.Second)
		// Not recorded under its key: the same key succeeds once it is time.
		rctx := paykit.WithIdempotencyKey(ctx, "retry")
		requireCode(t, paykit.ELIMIT, e.svc.ResendEmployee(rctx, tn, "e1"))
		e.clock.Add(time.Second)
		require.NoError(t, e.svc.ResendEmployee(rctx, tn, "e1"))
		_, ok = e.svc.RetryAfter(errors.New("other"))
		require.False(t, ok)

		// An idempotent retry replays the success, even inside the interval.
		kctx := paykit.WithIdempotencyKey(ctx, "k1")
		e.clock.Add(paykit.ResendInterval)
		require.NoError(t, e.svc.ResendEmployee(kctx, tn, "e1"))
		require.NoError(t, e.svc.ResendEmployee(kctx, tn, "e1"))

		_, err = e.svc.CreatePayout(ctx, tn, payoutOf("p1", "e1", "100"))
		require.NoError(t, err)
		requireCode(t, paykit.ECONFLICT, e.svc.ResendPayout(ctx, tn, "p1"))
	})
}

func TestPayout_Create(t *testing.T) {
	t.Run("BulkAllOrNothing", func(t *testing.T) {
		e := MustOpen(t)
		ctx := context.Background()
		tn := e.MustIntegration(t)
		e.MustEmployee(t, tn, "e1")
		_, err := e.svc.CreatePayouts(ctx, tn, []paykit.PayoutCreate{
			payoutOf("a", "e1", "100"), payoutOf("b", "missing", "100"), payoutOf("a", "e1", "0"),
		})
		requireCode(t, paykit.EINVALID, err)
		require.Equal(t, map[string]string{
			"[1].employeeId": `No employee has the id "missing".`,
			"[2].id":         "This id is taken by another payout.",
			"[2].amount":     "Amount must be greater than zero.",
		}, paykit.ErrorFields(err))
		ps, n, err := e.svc.FindPayouts(ctx, tn, paykit.PayoutFilter{})
		require.NoError(t, err)
		require.Empty(t, ps)
		require.Zero(t, n)

		ps, err = e.svc.CreatePayouts(ctx, tn, []paykit.PayoutCreate{payoutOf("a", "e1", "100"), payoutOf("b", "e1", "200")})
		require.NoError(t, err)
		require.Equal(t, ps[0].InvoiceID, ps[1].InvoiceID)
		inv, err := e.svc.FindInvoiceByID(ctx, tn, ps[0].InvoiceID)
		require.NoError(t, err)
		require.Equal(t, ps[0].Cost.Add(ps[1].Cost), inv.Price)
	})

	t.Run("OneOf", func(t *testing.T) {
		e := MustOpen(t)
		tn := e.MustIntegration(t)
		e.MustEmployee(t, tn, "e1")
		in := payoutOf("", "e1", "100")
		in.Cost = amount("100")
		_, err := e.svc.CreatePayout(context.Background(), tn, in)
		requireCode(t, paykit.EINVALID, err)
		require.Equal(t, map[string]string{paykit.FieldInput: "Exactly one of amount, invoicedAmount and cost is required."},
			paykit.ErrorFields(err))
		in.Amount = nil
		p, err := e.svc.CreatePayout(context.Background(), tn, in)
		require.NoError(t, err)
		require.Equal(t, "100.00", p.Cost.Fixed())
		require.True(t, p.FullSalarySpecification())
	})

	t.Run("InlineEmployee", func(t *testing.T) {
		e := MustOpen(t)
		ctx := context.Background()
		tn := e.MustIntegration(t)
		inline := func(id, email string) paykit.PayoutCreate {
			pc := payoutOf("", "", "100")
			pc.Employee = &paykit.EmployeeCreate{ID: id, Name: "Karl Karlsson", Email: email, Country: "SWE"}
			return pc
		}
		ps, err := e.svc.CreatePayouts(ctx, tn, []paykit.PayoutCreate{inline("", "karl@example.com"), inline("", "KARL@example.com")})
		require.NoError(t, err)
		require.Equal(t, ps[0].EmployeeID, ps[1].EmployeeID, "the second matches the first by email")
		p, err := e.svc.CreatePayout(ctx, tn, inline(ps[0].EmployeeID, "other@example.com"))
		require.NoError(t, err)
		require.Equal(t, ps[0].EmployeeID, p.EmployeeID, "matched by id")
		_, n, err := e.svc.FindEmployees(ctx, tn, paykit.EmployeeFilter{})
		require.NoError(t, err)
		require.Equal(t, 1, n)

		_, err = e.svc.CreatePayout(ctx, tn, inline("", ""))
		requireCode(t, paykit.EINVALID, err)
		require.Equal(t, map[string]string{"employee." + paykit.FieldInput: "Either email or cellphoneNumber is required."},
			paykit.ErrorFields(err))
	})

	t.Run("Batching", func(t *testing.T) {
		e := MustOpen(t)
		ctx := context.Background()
		tn := e.MustIntegration(t)
		e.MustEmployee(t, tn, "e1")
		_, err := e.svc.UpdateIntegrationSettings(ctx, tn, paykit.IntegrationSettings{InvoiceBatching: ptr(true)})
		require.NoError(t, err)
		a, err := e.svc.CreatePayout(ctx, tn, payoutOf("", "e1", "100"))
		require.NoError(t, err)
		b, err := e.svc.CreatePayout(ctx, tn, payoutOf("", "e1", "200"))
		require.NoError(t, err)
		require.Equal(t, a.InvoiceID, b.InvoiceID)
		c, err := e.svc.CreatePayout(ctx, tn, paykit.PayoutCreate{Amount: amount("5"), Currency: "EUR", Description: "d", EmployeeID: "e1"})
		require.NoError(t, err)
		require.NotEqual(t, a.InvoiceID, c.InvoiceID, "one open invoice per currency")
		inv, err := e.svc.CloseInvoice(ctx, tn, a.InvoiceID)
		require.NoError(t, err)
		require.False(t, inv.Open)
		d, err := e.svc.CreatePayout(ctx, tn, payoutOf("", "e1", "300"))
		require.NoError(t, err)
		require.NotEqual(t, a.InvoiceID, d.InvoiceID)
		require.Equal(t, 3, countOf(e.eventTypes(t, tn, ""), paykit.EventInvoiceCreated))
	})

	t.Run("Rates", func(t *testing.T) {
		e := MustOpen(t)
		ctx := context.Background()
		tn := e.MustIntegration(t)
		e.MustEmployee(t, tn, "e1")
		r := paykit.DefaultPricingRates()
		r.Fee = dec("0.02")
		_, err := e.svc.UpdateIntegrationSettings(ctx, tn, paykit.IntegrationSettings{Rates: &r})
		require.NoError(t, err)
		p, err := e.svc.PricePayout(ctx, tn, payoutOf("x", "e1", "1000"))
		require.NoError(t, err)
		require.Equal(t, "1340.48", p.Cost.Fixed())
		require.Equal(t, "x", p.ID)
		r.Fee = dec("1.5")
		_, err = e.svc.UpdateIntegrationSettings(ctx, tn, paykit.IntegrationSettings{Rates: &r})
		requireCode(t, paykit.EINVALID, err)
		_, n, err := e.svc.FindPayouts(ctx, tn, paykit.PayoutFilter{})
		require.NoError(t, err)
		require.Zero(t, n, "pricing has no side effects")
	})
}

func TestEmployee_Update(t *testing.T) {
	e := MustOpen(t)
	ctx := context.Background()
	tn := e.MustIntegration(t)
	e.MustEmployee(t, tn, "1847")
	e.MustEmployee(t, tn, "other")
	_, err := e.svc.CreatePayout(ctx, tn, payoutOf("p", "1847", "10"))
	require.NoError(t, err)
	emp, err := e.svc.UpdateEmployee(ctx, tn, "1847", paykit.EmployeeUpdate{ID: ptr("8472")})
	require.NoError(t, err)
	require.Equal(t, "8472", emp.ID)
	p, err := e.svc.FindPayoutByID(ctx, tn, "p")
	require.NoError(t, err)
	require.Equal(t, "8472", p.EmployeeID, "payouts refer to the employee, not to its id")
	_, err = e.svc.UpdateEmployee(ctx, tn, "8472", paykit.EmployeeUpdate{ID: ptr("other")})
	requireCode(t, paykit.EINVALID, err)
	_, err = e.svc.UpdateEmployee(ctx, tn, "8472", paykit.EmployeeUpdate{CellphoneNumber: ptr("")})
	requireCode(t, paykit.EINVALID, err)
	emp, err = e.svc.UpdateEmployee(ctx, tn, "8472", paykit.EmployeeUpdate{Email: ptr("a@b.se"), CellphoneNumber: ptr(""), Metadata: ptr(json.RawMessage(`{"user_id": 2}`))})
	require.NoError(t, err)
	require.Equal(t, "", emp.CellphoneNumber)
	require.JSONEq(t, `{"user_id":2}`, string(emp.Metadata))
}

func TestIntegration_Access(t *testing.T) {
	e := MustOpen(t)
	ctx := context.Background()
	acct := e.MustIntegration(t)
	other := e.MustIntegration(t)
	in := paykit.IntegrationCreate{ID: "650fd73ff5", Name: "Gigatron", Email: "inv@gigatron.se", Recipient: "Gigatron AB",
		AddressLine1: "Gatan 1", ZipCode: "111 22", City: "Stockholm"}
	integ, err := e.svc.CreateIntegration(ctx, acct, in)
	require.NoError(t, err)
	require.Equal(t, paykit.IntegrationTypeCustom, integ.Type)
	_, err = e.svc.CreateIntegration(ctx, acct, in)
	requireCode(t, paykit.EINVALID, err) // taken among acct's
	// Ids are unique per account (issue 13): another account may use this
	// one, and never learns that acct does; each finds its own.
	_, err = e.svc.FindIntegrationByID(ctx, other, "650fd73ff5")
	requireCode(t, paykit.ENOTFOUND, err)
	theirs, err := e.svc.CreateIntegration(ctx, other, in)
	require.NoError(t, err)
	require.NotEqual(t, integ.TenantID, theirs.TenantID)
	found, err := e.svc.FindIntegrationByID(ctx, other, "650fd73ff5")
	require.NoError(t, err)
	require.Equal(t, theirs.TenantID, found.TenantID)
	found, err = e.svc.FindIntegrationByID(ctx, acct, "650fd73ff5")
	require.NoError(t, err)
	require.Equal(t, integ.TenantID, found.TenantID)
	list, n, err := e.svc.FindIntegrations(ctx, paykit.IntegrationFilter{Account: &acct})
	require.NoError(t, err)
	require.Equal(t, 2, n)
	require.Equal(t, "650fd73ff5", list[0].ID)

	requireCode(t, paykit.EFORBIDDEN, e.svc.DeleteIntegration(ctx, acct, acct))
	e.MustEmployee(t, integ.TenantID, "e1")
	requireCode(t, paykit.EFORBIDDEN, e.svc.DeleteIntegration(ctx, acct, "650fd73ff5"))
	require.NoError(t, e.svc.DeleteEmployee(ctx, integ.TenantID, "e1"))
	require.NoError(t, e.svc.DeleteIntegration(ctx, acct, "650fd73ff5"))
	_, err = e.svc.FindIntegrationByID(ctx, acct, "650fd73ff5")
	requireCode(t, paykit.ENOTFOUND, err)
	_, err = e.svc.FindIntegrationByID(ctx, other, "650fd73ff5")
	require.NoError(t, err, "another account's is not deleted")
	_, err = e.svc.CreateIntegration(ctx, acct, in) // the id is free again
	require.NoError(t, err)

	inv, err := e.svc.CreateInvoiceIntegration(ctx, acct, paykit.IntegrationCreate{Name: "Freelancer", Email: "f@x.se",
		Recipient: "F", AddressLine1: "A", ZipCode: "1", City: "C"})
	require.NoError(t, err)
	_, err = e.svc.UpdateIntegration(ctx, acct, inv.ID, paykit.IntegrationUpdate{Name: ptr("x")})
	requireCode(t, paykit.EFORBIDDEN, err)
	requireCode(t, paykit.EFORBIDDEN, e.svc.DeleteIntegration(ctx, acct, inv.ID))

	again, err := e.svc.EnsureIntegration(ctx, acct, paykit.IntegrationCreate{})
	require.NoError(t, err)
	require.Equal(t, paykit.IntegrationTypeWebApp, again.Type)

	// A replace needs what a create needs, the web app integration's too
	// (whose own create needs only a name): nothing changes without it.
	// An update may still leave the address out.
	_, err = e.svc.UpdateIntegration(ctx, acct, acct, paykit.IntegrationUpdate{Name: ptr("Web")})
	require.NoError(t, err)
	billing := paykit.IntegrationCreate{Name: "Web", Email: "b@x.se", Recipient: "R", AddressLine1: "A", ZipCode: "1", City: "C",
		Metadata: json.RawMessage(`{"k":1}`)}
	_, err = e.svc.ReplaceIntegration(ctx, acct, acct, billing)
	require.NoError(t, err)
	_, err = e.svc.ReplaceIntegration(ctx, acct, acct, paykit.IntegrationCreate{Name: "Web"})
	requireCode(t, paykit.EINVALID, err)
	require.ElementsMatch(t, []string{"email", "recipient", "addressLine1", "zipCode", "city"}, slices.Collect(maps.Keys(paykit.ErrorFields(err))))
	kept, err := e.svc.FindIntegrationByID(ctx, acct, acct)
	require.NoError(t, err)
	require.Equal(t, "b@x.se", kept.Email)
	require.JSONEq(t, `{"k":1}`, string(kept.Metadata))
}

func mustMarshal(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	require.NoError(tb, err)
	return b
}

func countOf(ss []string, s string) int {
	n := 0
	for _, x := range ss {
		if x == s {
			n++
		}
	}
	return n
}

// TestInvoice_AppURL: an invoice's app link is under WithInvoiceAppURL and
// names the invoice by the id its clients see, also after they change it, in
// what the API returns and in what the store keeps; the pdf link keeps the
// invoice's uid.
func TestInvoice_AppURL(t *testing.T) {
	ctx := context.Background()
	e := MustOpen(t, paykit.WithInvoiceAppURL("https://pay.example.com/"))
	tn := e.MustIntegration(t)
	e.MustEmployee(t, tn, "67")
	p, err := e.svc.CreatePayout(ctx, tn, payoutOf("123", "67", "1000.00"))
	require.NoError(t, err)
	inv, err := e.svc.FindInvoiceByID(ctx, tn, p.InvoiceID)
	require.NoError(t, err)
	require.NotEqual(t, inv.UID, inv.ID)
	require.Equal(t, "https://pay.example.com/i/"+inv.ID+"/?token="+inv.Token, inv.AppURL)
	require.Equal(t, "https://pay.example.com/invoice/"+inv.UID+"/?token="+inv.Token+"&language=en", inv.PDFURL)

	upd, err := e.svc.UpdateInvoice(ctx, tn, inv.ID, paykit.InvoiceUpdate{ID: ptr("inv-1")})
	require.NoError(t, err)
	require.Equal(t, "https://pay.example.com/i/inv-1/?token="+inv.Token, upd.AppURL)
	again, err := e.svc.FindInvoiceByID(ctx, tn, "inv-1")
	require.NoError(t, err)
	require.Equal(t, upd.AppURL, again.AppURL)
	require.Equal(t, inv.PDFURL, again.PDFURL)
}
