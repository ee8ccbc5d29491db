package paykit_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
)

func TestParsePaymentEnums(t *testing.T) {
	for _, tc := range []struct {
		name  string
		parse func(field, s string) (string, error)
		valid func(s string) bool
		ok    []string
		msg   string
	}{
		{"Type", func(f, s string) (string, error) { v, err := paykit.ParsePaymentType(f, s); return string(v), err },
			func(s string) bool { return paykit.PaymentType(s).Valid() },
			[]string{"deposit", "transfer", "withdrawal"},
			"Type must be one of deposit, transfer, withdrawal."},
		{"Status", func(f, s string) (string, error) { v, err := paykit.ParsePaymentStatus(f, s); return string(v), err },
			func(s string) bool { return paykit.PaymentStatus(s).Valid() },
			[]string{"pending", "processing", "completed", "canceled", "failed"},
			"Status must be one of pending, processing, completed, canceled, failed."},
		{"Sort", func(f, s string) (string, error) { v, err := paykit.ParsePaymentSort(f, s); return string(v), err },
			func(s string) bool { return paykit.PaymentSort(s).Valid() },
			[]string{"createdAt", "-createdAt", "amount", "-amount"},
			"Sort must be one of createdAt, -createdAt, amount, -amount."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, s := range tc.ok {
				got, err := tc.parse("f", s)
				require.NoError(t, err)
				require.Equal(t, s, got)
				require.True(t, tc.valid(s), s)
			}
			for _, s := range []string{"", "refund", " " + tc.ok[0], "DEPOSIT", "Pending", "CreatedAt"} {
				_, err := tc.parse("f", s)
				requireCode(t, paykit.EINVALID, err)
				require.Equal(t, map[string]string{"f": tc.msg}, paykit.ErrorFields(err), "%q", s)
				require.False(t, tc.valid(s), s)
			}
		})
	}
}

func TestParseLimit(t *testing.T) {
	for _, s := range []string{"1", "25", "1000"} {
		n, err := paykit.ParseLimit("limit", s)
		require.NoError(t, err)
		require.Equal(t, s, fmt.Sprint(n))
	}
	for _, s := range []string{"", "0", "-1", "1001", "ten", "1.5", " 5"} {
		_, err := paykit.ParseLimit("limit", s)
		requireCode(t, paykit.EINVALID, err)
		require.Equal(t, map[string]string{"limit": "Limit must be an integer from 1 to 1000."}, paykit.ErrorFields(err), "%q", s)
	}
}

// TestService_FindPayments_ErrInvalid: the Service checks a filter's enums, so
// a library caller gets the dialects' messages too.
func TestService_FindPayments_ErrInvalid(t *testing.T) {
	e := MustOpen(t)
	tenant := e.MustTenant(t)
	ctx := context.Background()
	typ, st := paykit.PaymentType("refund"), paykit.PaymentStatus("done")
	for field, f := range map[string]paykit.PaymentFilter{
		"sort":   {Sort: "date"},
		"type":   {Type: &typ},
		"status": {Status: &st},
	} {
		_, err := e.svc.FindPayments(ctx, tenant, f)
		requireCode(t, paykit.EINVALID, err)
		require.Contains(t, paykit.ErrorFields(err), field)
	}
	_, err := e.svc.FindPayments(ctx, tenant, paykit.PaymentFilter{})
	require.NoError(t, err)
}
