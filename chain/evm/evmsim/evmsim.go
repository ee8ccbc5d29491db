// Package evmsim runs paykit's contracts on go-ethereum's in-process
// simulated backend, with the EVM adapter on top: a whole web3 payment
// setup in one call, for tests and demo programs, without a node.
//
//	sim, err := evmsim.New(ctx, 3) // the adapter counts 3 confirmations
//	defer sim.Close()
//	chain := sim.Chain             // a paykit.Chain
//	...
//	hash, err := sim.Pay(ctx, chain.DepositCall(deal), args) // the payer's wallet
//	sim.Mine(3)
//
// Its keys are fixed, so every run deploys the same contracts at the same
// addresses (Escrow, TestUSDT) and a demo can print them. Blocks are mined
// only by Mine (and Advance); block times follow the real clock.
//
// It imports the whole go-ethereum node: import it from tests and demos,
// never from the example server.
package evmsim

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"fmt"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	"github.com/ethereum/go-ethereum/params"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/chain/evm"
)

// ChainID is the simulated backend's chain id.
const ChainID = 1337

// PayerFunds is what the payer holds of TestUSDT at the start: 1,000,000.000000.
var PayerFunds = big.NewInt(1_000_000_000_000)

// Sim is a simulated chain with the Escrow and a TestUSDT deployed, a payer
// holding PayerFunds, and the adapter on it.
type Sim struct {
	Backend *Backend
	// Chain is the EVM adapter, the gateway's, on the Escrow.
	Chain *evm.Chain
	// Escrow and Token are the deployed contracts.
	Escrow common.Address
	Token  common.Address
	// Gateway signs the adapter's transactions; Payer pays deals; Payee is
	// an address to pay them to.
	Gateway *ecdsa.PrivateKey
	Payer   *ecdsa.PrivateKey
	Payee   common.Address
}

// Key returns the fixed private key named name (the same on every run).
func Key(name string) *ecdsa.PrivateKey {
	seed := sha256.Sum256([]byte("paykit evmsim " + name))
	k, err := crypto.ToECDSA(seed[:])
	if err != nil {
		panic("evmsim: " + err.Error()) // a SHA-256 is a valid key but with negligible odds
	}
	return k
}

// New starts the simulated chain, deploys the contracts, funds the payer and
// returns the adapter counting confirmations deep. Close it when done.
func New(ctx context.Context, confirmations uint64) (*Sim, error) {
	s := &Sim{Gateway: Key("gateway"), Payer: Key("payer"), Payee: crypto.PubkeyToAddress(Key("payee").PublicKey)}
	eth := new(big.Int).Mul(big.NewInt(1000), big.NewInt(params.Ether))
	var err error
	s.Backend, err = newBackend(types.GenesisAlloc{
		crypto.PubkeyToAddress(s.Gateway.PublicKey): {Balance: eth},
		crypto.PubkeyToAddress(s.Payer.PublicKey):   {Balance: eth},
	})
	if err != nil {
		return nil, fmt.Errorf("evmsim: %w", err)
	}
	if err := s.setUp(ctx, confirmations); err != nil {
		_ = s.Backend.Close()
		return nil, fmt.Errorf("evmsim: %w", err)
	}
	return s, nil
}

func (s *Sim) setUp(ctx context.Context, confirmations uint64) error {
	client := s.Backend.Client()
	var err error
	var deploys [2]*types.Transaction
	if s.Escrow, deploys[0], err = evm.DeployEscrow(ctx, client, s.Gateway, crypto.PubkeyToAddress(s.Gateway.PublicKey)); err != nil {
		return err
	}
	if s.Token, deploys[1], err = evm.DeployTestUSDT(ctx, client, s.Gateway); err != nil {
		return err
	}
	s.Backend.Commit()
	mint, err := evm.MintTestUSDT(ctx, client, s.Payer, s.Token, crypto.PubkeyToAddress(s.Payer.PublicKey), PayerFunds)
	if err != nil {
		return err
	}
	s.Backend.Commit()
	for _, tx := range append(deploys[:], mint) {
		r, err := client.TransactionReceipt(ctx, tx.Hash())
		if err != nil {
			return err
		}
		if r.Status != types.ReceiptStatusSuccessful {
			return fmt.Errorf("set-up transaction %s failed", tx.Hash().Hex())
		}
	}
	s.Chain, err = evm.New(ctx, client, evm.Config{Contract: s.Escrow.Hex(), Key: s.Gateway,
		Confirmations: confirmations, FromBlock: 1})
	return err
}

// Close stops the simulated chain.
func (s *Sim) Close() error { return s.Backend.Close() }

// Client is the simulated node's client (JSON-RPC, in process).
func (s *Sim) Client() simulated.Client { return s.Backend.Client() }

// Mine mines n blocks; the first holds every pending transaction.
func (s *Sim) Mine(n int) {
	for range n {
		s.Backend.Commit()
	}
}

// Advance mines one empty block d after the head block (there must be no
// pending transaction).
func (s *Sim) Advance(d time.Duration) error { return s.Backend.AdjustTime(d) }

// Reorg drops the last depth blocks; their transactions are dropped too, not
// included again (the pool is emptied).
func (s *Sim) Reorg(ctx context.Context, depth uint64) error {
	head, err := s.Client().BlockNumber(ctx)
	if err != nil {
		return err
	}
	if depth > head {
		return fmt.Errorf("evmsim: reorg of %d blocks at height %d", depth, head)
	}
	parent, err := s.Client().HeaderByNumber(ctx, new(big.Int).SetUint64(head-depth))
	if err != nil {
		return err
	}
	if err := s.Backend.Fork(parent.Hash()); err != nil {
		return err
	}
	s.Backend.Rollback()
	return nil
}

// Now is the head block's time.
func (s *Sim) Now(ctx context.Context) (time.Time, error) {
	head, err := s.Client().HeaderByNumber(ctx, nil)
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(int64(head.Time), 0).UTC(), nil
}

// Pay plays the payer's wallet with a widget's data (evm.Pay): approve, then
// call.Function(args...) as given, with the Escrow's ABI. It returns the
// deposit's hash; the transactions wait for Mine.
func (s *Sim) Pay(ctx context.Context, call paykit.DepositCall, args []string) (string, error) {
	_, tx, err := evm.Pay(ctx, s.Client(), s.Payer, s.Chain.Info().ABI, call, args)
	if err != nil {
		return "", err
	}
	return tx.Hash().Hex(), nil
}

// PayerAddress is the payer's address.
func (s *Sim) PayerAddress() common.Address { return crypto.PubkeyToAddress(s.Payer.PublicKey) }

// Balance returns addr's TestUSDT balance, in base units.
func (s *Sim) Balance(ctx context.Context, addr common.Address) (*big.Int, error) {
	return evm.TokenBalance(ctx, s.Client(), s.Token, addr)
}
