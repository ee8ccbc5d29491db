package paykit_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
)

func TestPayment_Deposit(t *testing.T) {
	ctx := context.Background()
	e := MustOpen(t)
	tenant := e.MustTenant(t)
	a := e.MustAccount(t, tenant, "")
	p, err := e.svc.CreateDeposit(ctx, tenant, paykit.DepositCreate{DestinationAccountID: a.ID, Amount: dec("12.34"), AssetType: "USD", ExternalStorage: "wire"})
	require.NoError(t, err)
	require.Equal(t, paykit.PaymentTypeDeposit, p.Type)
	require.Equal(t, paykit.PaymentStatusProcessing, p.Status)
	require.Equal(t, "wire", p.Source.ExternalStorage)
	acct, err := e.svc.FindAccountByID(ctx, tenant, a.ID)
	require.NoError(t, err)
	require.Equal(t, "12.34", acct.Incoming().Fixed())
	require.Equal(t, "0.00", acct.Available().Fixed(), "incoming money is not spendable yet")

	e.MustRunDue(t) // deposits are not handed to the rail
	p, err = e.svc.FindPaymentByID(ctx, tenant, p.ID)
	require.NoError(t, err)
	require.Equal(t, paykit.PaymentStatusProcessing, p.Status)

	_, err = e.svc.CompletePayment(ctx, tenant, p.ID)
	require.NoError(t, err)
	e.RequireBalances(t, tenant, a.ID, "12.34", "12.34")

	t.Run("ErrInvalid", func(t *testing.T) {
		for _, in := range []paykit.DepositCreate{
			{DestinationAccountID: a.ID, Amount: dec("1"), AssetType: "XXX"},
			{DestinationAccountID: a.ID, Amount: dec("1"), AssetType: "EUR"},
			{DestinationAccountID: a.ID, Amount: dec("0.001"), AssetType: "USD"},
			{DestinationAccountID: "", Amount: dec("1"), AssetType: "USD"},
		} {
			_, err := e.svc.CreateDeposit(ctx, tenant, in)
			requireCode(t, paykit.EINVALID, err)
		}
	})
}

func TestPayment_Withdrawal(t *testing.T) {
	ctx := context.Background()
	e := MustOpen(t)
	tenant := e.MustTenant(t)
	a := e.MustAccount(t, tenant, "50.00")

	_, err := e.svc.CreateWithdrawal(ctx, tenant, paykit.WithdrawalCreate{SourceAccountID: a.ID, Amount: dec("50.01"), AssetType: "usd", ExternalStorage: "ach:123"})
	requireCode(t, paykit.ECONFLICT, err)
	_, err = e.svc.CreateWithdrawal(ctx, tenant, paykit.WithdrawalCreate{SourceAccountID: a.ID, Amount: dec("5"), AssetType: "usd"})
	requireCode(t, paykit.EINVALID, err)

	p, err := e.svc.CreateWithdrawal(ctx, tenant, paykit.WithdrawalCreate{SourceAccountID: a.ID, Amount: dec("20"), AssetType: "usd", ExternalStorage: "ach:123"})
	require.NoError(t, err)
	require.Equal(t, paykit.PaymentStatusPending, p.Status)
	e.RequireBalances(t, tenant, a.ID, "30.00", "50.00")

	// The sandbox rail cannot complete what it has not been handed yet.
	_, err = e.svc.CompletePayment(ctx, tenant, p.ID)
	requireCode(t, paykit.ECONFLICT, err)

	e.MustRunDue(t)
	p, err = e.svc.FindPaymentByID(ctx, tenant, p.ID)
	require.NoError(t, err)
	require.Equal(t, paykit.PaymentStatusProcessing, p.Status)
	require.Equal(t, "sandbox_"+p.ID, p.RailReference)
	require.NotNil(t, p.SubmittedAt)
	e.MustRunDue(t) // submitted once only
	require.Equal(t, []string{paykit.EventPaymentCreated, paykit.EventPaymentProcessing}, e.eventTypes(t, tenant, p.ID))

	_, err = e.svc.CompletePayment(ctx, tenant, p.ID)
	require.NoError(t, err)
	e.RequireBalances(t, tenant, a.ID, "30.00", "30.00")
}

// TestPayment_WithdrawalRace has 100 goroutines withdraw from one account at
// once: the balance never goes below zero and exactly the funded number win.
func TestPayment_WithdrawalRace(t *testing.T) {
	ctx := context.Background()
	e := MustOpen(t)
	tenant := e.MustTenant(t)
	a := e.MustAccount(t, tenant, "37.00")
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.svc.CreateWithdrawal(ctx, tenant, paykit.WithdrawalCreate{SourceAccountID: a.ID, Amount: dec("1.00"), AssetType: "usd", ExternalStorage: "ach"})
			switch paykit.ErrorCode(err) {
			case "":
				mu.Lock()
				wins++
				mu.Unlock()
			case paykit.ECONFLICT:
			default:
				t.Errorf("withdrawal %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	require.Equal(t, 37, wins)
	e.RequireBalances(t, tenant, a.ID, "0.00", "37.00")
}

func TestPayment_Find(t *testing.T) {
	ctx := context.Background()
	e := MustOpen(t)
	tenant := e.MustTenant(t)
	a := e.MustAccount(t, tenant, "")
	amounts := []string{"5.00", "1.00", "9.00", "3.00", "7.00"}
	var ids []string
	for _, amt := range amounts {
		e.clock.Add(time.Second)
		p, err := e.svc.CreateDeposit(ctx, tenant, paykit.DepositCreate{DestinationAccountID: a.ID, Amount: dec(amt), AssetType: "usd"})
		require.NoError(t, err)
		ids = append(ids, p.ID)
	}
	_, err := e.svc.CompletePayment(ctx, tenant, ids[2])
	require.NoError(t, err)

	all := func(f paykit.PaymentFilter) []string {
		t.Helper()
		var out []string
		f.Limit = 2
		for {
			page, err := e.svc.FindPayments(ctx, tenant, f)
			require.NoError(t, err)
			for _, p := range page {
				out = append(out, p.Amount.Fixed())
			}
			if len(page) < f.Limit {
				return out
			}
			f.After = page[len(page)-1].ID
		}
	}
	require.Equal(t, amounts, all(paykit.PaymentFilter{}))
	require.Equal(t, []string{"7.00", "3.00", "9.00", "1.00", "5.00"}, all(paykit.PaymentFilter{Sort: paykit.PaymentSortCreatedDesc}))
	require.Equal(t, []string{"1.00", "3.00", "5.00", "7.00", "9.00"}, all(paykit.PaymentFilter{Sort: paykit.PaymentSortAmountAsc}))
	require.Equal(t, []string{"9.00", "7.00", "5.00", "3.00", "1.00"}, all(paykit.PaymentFilter{Sort: paykit.PaymentSortAmountDesc}))
	require.Equal(t, []string{"9.00"}, all(paykit.PaymentFilter{Status: ptr(paykit.PaymentStatusCompleted)}))
	from, until := epoch.Add(2*time.Second), epoch.Add(4*time.Second)
	require.Equal(t, []string{"1.00", "9.00"}, all(paykit.PaymentFilter{CreatedFrom: &from, CreatedUntil: &until}))
	require.Equal(t, amounts, all(paykit.PaymentFilter{AccountID: &a.ID}))
	require.Empty(t, all(paykit.PaymentFilter{Type: ptr(paykit.PaymentTypeWithdrawal)}))

	_, err = e.svc.FindPayments(ctx, tenant, paykit.PaymentFilter{Sort: "status"})
	requireCode(t, paykit.EINVALID, err)
	other := e.MustTenant(t)
	_, err = e.svc.FindPaymentByID(ctx, other, ids[0])
	requireCode(t, paykit.ENOTFOUND, err)
	got, err := e.svc.FindPayments(ctx, other, paykit.PaymentFilter{})
	require.NoError(t, err)
	require.Empty(t, got)
}
