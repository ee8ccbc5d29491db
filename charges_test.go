package paykit_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
)

// chargeWorld is a master team splitting with a vendor team of its billing
// account: a succeeded split charge of 100.05 MXN (10 %: 10.01 and 90.04),
// and an open charge.
type chargeWorld struct {
	split, open *paykit.Payment
}

func mustChargeWorld(t *testing.T, e *env) *chargeWorld {
	t.Helper()
	ctx := context.Background()
	_, err := e.svc.CreateBillingAccount(ctx, "ba", "")
	require.NoError(t, err)
	for _, id := range []string{"master", "vendor"} {
		_, err := e.svc.CreateTenant(ctx, id, id)
		require.NoError(t, err)
	}
	_, err = e.svc.ConfigureTeam(ctx, "master", paykit.TeamSettings{BillingAccountID: "ba", Master: true,
		Split: paykit.SplitBilling{Enabled: true, MasterPercent: dec("10"), MetadataKeys: []string{"vendor_id"}}})
	require.NoError(t, err)
	_, err = e.svc.ConfigureTeam(ctx, "vendor", paykit.TeamSettings{BillingAccountID: "ba"})
	require.NoError(t, err)
	c, err := e.svc.CreateClient(ctx, "master", paykit.ClientCreate{Name: "Client"})
	require.NoError(t, err)
	price := dec("100.05")
	in := paykit.ChargeCreate{ClientID: c.ID, Items: []paykit.ChargeItemInput{{Name: "x", UnitPrice: &price}},
		Metadata: []byte(`{"vendor_id":"vendor"}`)}
	w := &chargeWorld{}
	p, err := e.svc.CreateCharge(ctx, "master", in)
	require.NoError(t, err)
	w.split, err = e.svc.MoveCharge(ctx, "master", p.ID, paykit.PaymentStatusSucceeded, "")
	require.NoError(t, err)
	require.Equal(t, int64(1001), w.split.Charge.Split.MasterAmount.Minor())
	require.Equal(t, int64(9004), w.split.Charge.Split.ConnectAmount.Minor())
	in.Metadata = nil
	w.open, err = e.svc.CreateCharge(ctx, "master", in)
	require.NoError(t, err)
	require.NoError(t, e.svc.CheckAllInvariants(ctx))
	return w
}

// TestService_CheckInvariants_Charges breaks each invariant of charges and
// requires CheckInvariants to name it.
func TestService_CheckInvariants_Charges(t *testing.T) {
	for _, tc := range []struct {
		name    string
		corrupt func(t *testing.T, e *env, w *chargeWorld)
		want    func(w *chargeWorld) string
	}{{
		name: "SplitShares",
		corrupt: func(t *testing.T, e *env, w *chargeWorld) {
			e.mustExec(t, `UPDATE payments SET charge = json_set(charge, '$.split.masterAmount.amount', '10.00') WHERE id = ?`, w.split.ID)
		},
		want: func(w *chargeWorld) string { return "payment " + w.split.ID + " of 100.05 MXN split 10% to the master" },
	}, {
		name: "SplitOutVoided",
		corrupt: func(t *testing.T, e *env, w *chargeWorld) {
			e.mustExec(t, `UPDATE transfers SET status = 'voided' WHERE id = ?`, w.split.Charge.Split.OutTransferID)
		},
		want: func(w *chargeWorld) string {
			return fmt.Sprintf("payment %s (split out): its transfer %s is voided, not posted", w.split.ID, w.split.Charge.Split.OutTransferID)
		},
	}, {
		name: "SplitInMissing",
		corrupt: func(t *testing.T, e *env, w *chargeWorld) {
			e.mustExec(t, `UPDATE payments SET charge = json_set(charge, '$.split.inTransferId', 'gone') WHERE id = ?`, w.split.ID)
		},
		want: func(w *chargeWorld) string { return "its transfer gone does not exist" },
	}, {
		name: "ItemTotal",
		corrupt: func(t *testing.T, e *env, w *chargeWorld) {
			e.mustExec(t, `UPDATE payments SET charge = json_set(charge, '$.items[0].total.amount', '1.00') WHERE id = ?`, w.open.ID)
		},
		want: func(w *chargeWorld) string { return "payment " + w.open.ID + ": item 0 totals 1.00 MXN" },
	}, {
		name: "SucceededWithoutMoney",
		corrupt: func(t *testing.T, e *env, w *chargeWorld) {
			e.mustExec(t, `UPDATE payments SET status = 'succeeded' WHERE id = ?`, w.open.ID)
		},
		want: func(w *chargeWorld) string {
			return fmt.Sprintf("payment %s (succeeded): its transfer %s is pending, not posted", w.open.ID, w.open.TransferID)
		},
	}, {
		name: "UnknownStatus",
		corrupt: func(t *testing.T, e *env, w *chargeWorld) {
			e.mustExec(t, `UPDATE payments SET status = 'completed' WHERE id = ?`, w.open.ID)
		},
		want: func(w *chargeWorld) string { return "payment " + w.open.ID + ` has the unknown status "completed"` },
	}} {
		t.Run(tc.name, func(t *testing.T) {
			e := MustOpenUnchecked(t)
			w := mustChargeWorld(t, e)
			tc.corrupt(t, e, w)
			err := e.svc.CheckInvariants(context.Background(), "master")
			requireCode(t, paykit.EINTERNAL, err)
			require.Contains(t, paykit.ErrorMessage(err), tc.want(w))
		})
	}
}

// TestService_MoveCharge: only charges move by their processor, and charges
// do not move by the rail's controls.
func TestService_MoveCharge(t *testing.T) {
	e := MustOpen(t)
	w := mustChargeWorld(t, e)
	ctx := context.Background()
	_, err := e.svc.CompletePayment(ctx, "master", w.open.ID)
	requireCode(t, paykit.ECONFLICT, err)
	require.True(t, strings.Contains(paykit.ErrorMessage(err), "is a charge"))
	payer := e.MustAccount(t, "master", "")
	dep, err := e.svc.CreateDeposit(ctx, "master", paykit.DepositCreate{DestinationAccountID: payer.ID, Amount: dec("1"), AssetType: "USD"})
	require.NoError(t, err)
	_, err = e.svc.MoveCharge(ctx, "master", dep.ID, paykit.PaymentStatusSucceeded, "")
	requireCode(t, paykit.ENOTFOUND, err)
	_, err = e.svc.MoveCharge(ctx, "master", w.open.ID, paykit.PaymentStatusCompleted, "")
	requireCode(t, paykit.EINVALID, err)
	_, err = e.svc.CompletePayment(ctx, "master", dep.ID)
	require.NoError(t, err)
}
