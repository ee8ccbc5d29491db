package paykit_test

import (
	"errors"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
)

func TestDeal_Validate(t *testing.T) {
	ok := paykit.Deal{ID: 1, Token: "0x00000000000000000000000000000000000000A1", Price: big.NewInt(1),
		Payee: "0x00000000000000000000000000000000000000b2", ExpiresAt: time.Unix(1_900_000_000, 0)}
	require.NoError(t, ok.Validate())
	for _, tt := range []struct {
		field string
		edit  func(*paykit.Deal)
	}{
		{"id", func(d *paykit.Deal) { d.ID = 0 }},
		{"token", func(d *paykit.Deal) { d.Token = "" }},
		{"token", func(d *paykit.Deal) { d.Token = "0x00000000000000000000000000000000000000g1" }},
		{"token", func(d *paykit.Deal) { d.Token = "00000000000000000000000000000000000000000a1" }},
		{"price", func(d *paykit.Deal) { d.Price = nil }},
		{"price", func(d *paykit.Deal) { d.Price = big.NewInt(-1) }},
		{"payee", func(d *paykit.Deal) { d.Payee = "0x0000000000000000000000000000000000000000" }},
		{"expiresAt", func(d *paykit.Deal) { d.ExpiresAt = time.Time{} }},
	} {
		t.Run(tt.field, func(t *testing.T) {
			d := ok
			tt.edit(&d)
			err := d.Validate()
			var pe *paykit.Error
			require.True(t, errors.As(err, &pe), "%v", err)
			require.Equal(t, paykit.EINVALID, pe.Code)
			require.Equal(t, []string{tt.field}, keys(pe.Fields))
		})
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestBaseUnits(t *testing.T) {
	for _, tt := range []struct {
		amount   string
		decimals int32
		units    string
	}{
		{"12.5", 6, "12500000"},
		{"0.000001", 6, "1"},
		{"1000000000000", 18, "1000000000000000000000000000000"},
		{"7", 0, "7"},
	} {
		u, err := paykit.BaseUnits("price", decimal.RequireFromString(tt.amount), tt.decimals)
		require.NoError(t, err)
		require.Equal(t, tt.units, u.String())
		require.True(t, decimal.RequireFromString(tt.amount).Equal(paykit.FromBaseUnits(u, tt.decimals)))
	}
	_, err := paykit.BaseUnits("price", decimal.RequireFromString("0.0000001"), 6)
	require.Equal(t, paykit.EINVALID, paykit.ErrorCode(err))
	require.Equal(t, "12.5", paykit.FromBaseUnits(big.NewInt(12_500_000), 6).String())
}

func TestDealID_String(t *testing.T) {
	require.Equal(t, "9007199254740991", paykit.MaxSafeDealID.String())
	require.Equal(t, "18446744073709551615", paykit.DealID(1<<64-1).String())
}

// TestChainErrors: adapters wrap the deal errors; callers find them with
// errors.Is and their codes with ErrorCode.
func TestChainErrors(t *testing.T) {
	err := fmt.Errorf("cancel deal 7: %w", paykit.ErrDealPaid)
	require.ErrorIs(t, err, paykit.ErrDealPaid)
	require.Equal(t, paykit.ECONFLICT, paykit.ErrorCode(err))
	require.Equal(t, paykit.ENOTFOUND, paykit.ErrorCode(paykit.ErrDealNotFound))
}
