package evmsim_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit/chain/evm/evmsim"
)

// TestNew: every run deploys at the same addresses, so a demo can print them,
// and the payer starts funded.
func TestNew(t *testing.T) {
	ctx := context.Background()
	var escrows, tokens []string
	for range 2 {
		s, err := evmsim.New(ctx, 2)
		require.NoError(t, err)
		escrows, tokens = append(escrows, s.Escrow.Hex()), append(tokens, s.Token.Hex())
		require.Equal(t, s.Escrow.Hex(), s.Chain.Info().Contract)
		require.Equal(t, uint64(evmsim.ChainID), s.Chain.Info().ChainID)
		b, err := s.Balance(ctx, s.PayerAddress())
		require.NoError(t, err)
		require.Equal(t, evmsim.PayerFunds, b)
		require.NoError(t, s.Close())
	}
	require.Equal(t, escrows[0], escrows[1])
	require.Equal(t, tokens[0], tokens[1])
	t.Logf("Escrow %s, TestUSDT %s", escrows[0], tokens[0])
}
