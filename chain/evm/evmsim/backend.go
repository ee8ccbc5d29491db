package evmsim

import (
	"context"
	"errors"
	"maps"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/eth"
	"github.com/ethereum/go-ethereum/eth/catalyst"
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	"github.com/ethereum/go-ethereum/eth/filters"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rpc"
)

// Backend is go-ethereum's simulated chain (ethclient/simulated), assembled
// here so that it can keep its transaction pool in step with the test:
//
//   - a send returns once the pool has made the transaction pending, and
//   - a new head returns once the pool has reset onto it.
//
// go-ethereum's own simulated.Backend does neither, and its legacy pool has a
// race (go-ethereum#35649): when the reset for a new head runs together with
// the promotion of a just-sent transaction, the pool counts the account's
// nonce from the chain state, not after its pending transactions, and a
// transaction sent right after another of the same account stays queued. A
// wallet's approve and deposit, sent back to back, then go into two blocks
// where they belong in one, once in a few hundred runs on a loaded machine.
// With no reset ever in flight during a send, and no send's promotion in
// flight at a reset, the two never meet.
type Backend struct {
	node   *node.Node
	eth    *eth.Ethereum
	beacon *catalyst.SimulatedBeacon
	client client
}

// newBackend starts a chain with alloc at genesis, configured as
// simulated.NewBackend configures one.
func newBackend(alloc types.GenesisAlloc) (*Backend, error) {
	nodeConf := node.DefaultConfig
	nodeConf.DataDir = ""
	nodeConf.P2P = p2p.Config{NoDiscovery: true}

	genesisAlloc := core.SystemContractAllocs() // every fork is on from genesis
	maps.Copy(genesisAlloc, alloc)
	ethConf := ethconfig.Defaults
	ethConf.Genesis = &core.Genesis{Config: params.AllDevChainProtocolChanges,
		GasLimit: ethconfig.Defaults.Miner.GasCeil, Alloc: genesisAlloc}
	ethConf.SyncMode = ethconfig.FullSync
	ethConf.TxPool.NoLocals = true
	ethConf.LogNoHistory = true

	stack, err := node.New(&nodeConf)
	if err != nil {
		return nil, err
	}
	b := &Backend{node: stack}
	if b.eth, err = eth.New(stack, &ethConf); err != nil {
		return nil, errors.Join(err, stack.Close())
	}
	stack.RegisterAPIs([]rpc.API{{Namespace: "eth",
		Service: filters.NewFilterAPI(filters.NewFilterSystem(b.eth.APIBackend, filters.Config{}))}})
	if err := stack.Start(); err != nil {
		return nil, errors.Join(err, stack.Close())
	}
	if b.beacon, err = catalyst.NewSimulatedBeacon(0, common.Address{}, b.eth); err != nil {
		return nil, errors.Join(err, stack.Close())
	}
	if err := b.beacon.Fork(b.eth.BlockChain().GetCanonicalHash(0)); err != nil {
		return nil, errors.Join(err, b.Close())
	}
	b.client = client{Client: ethclient.NewClient(stack.Attach()), b: b}
	return b, b.settle()
}

// Close stops the chain; the Backend cannot be used afterwards.
func (b *Backend) Close() error {
	if b.client.Client != nil {
		b.client.Close()
	}
	var err error
	if b.beacon != nil {
		err = b.beacon.Stop()
	}
	return errors.Join(err, b.node.Close())
}

// Client returns a client of the chain.
func (b *Backend) Client() simulated.Client { return b.client }

// Commit seals a block of the pending transactions and returns its hash.
func (b *Backend) Commit() common.Hash {
	h := b.beacon.Commit()
	_ = b.settle() // fails only once the pool is closed, as every later call will
	return h
}

// Rollback drops the pending transactions.
func (b *Backend) Rollback() { b.beacon.Rollback() }

// Fork makes parent the head; blocks committed after it build a side chain.
func (b *Backend) Fork(parent common.Hash) error {
	return errors.Join(b.beacon.Fork(parent), b.settle())
}

// AdjustTime seals an empty block d after the head block.
func (b *Backend) AdjustTime(d time.Duration) error {
	return errors.Join(b.beacon.AdjustTime(d), b.settle())
}

// settle returns once the pool has reset onto the head.
func (b *Backend) settle() error { return b.eth.TxPool().Sync() }

// client sends a transaction straight into the pool and waits until the pool
// has promoted it, where eth_sendRawTransaction would return at once.
type client struct {
	*ethclient.Client
	b *Backend
}

func (c client) SendTransaction(ctx context.Context, tx *types.Transaction) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return c.b.eth.TxPool().Add([]*types.Transaction{tx}, true)[0]
}
