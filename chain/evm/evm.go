// Package evm is paykit's Chain on an EVM network, through go-ethereum: the
// Escrow contract (package contracts) at a configured address, the gateway's
// transactions signed with its key, and any JSON-RPC node behind an
// ethclient.Client (or go-ethereum's in-process simulated backend, which
// the tests and the demo use).
//
//	client, err := ethclient.DialContext(ctx, "https://rpc.example.net")
//	...
//	chain, err := evm.New(ctx, client, evm.Config{
//		Contract:      "0x…",             // the Escrow, deployed with the gateway's address
//		Key:           gatewayKey,        // *ecdsa.PrivateKey, e.g. crypto.HexToECDSA(os.Getenv("GATEWAY_KEY"))
//		Confirmations: 12,
//		FromBlock:     19_000_000,        // the contract's deployment block
//	})
//
// It is the only package of paykit that imports go-ethereum (with the demo
// program that runs it); the root and the example server never do.
package evm

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/contracts"
)

// Backend is what the adapter needs of a node. *ethclient.Client has it, and
// so has the Client of go-ethereum's simulated backend.
type Backend interface {
	bind.ContractBackend
	bind.PendingContractCaller
	ethereum.BlockNumberReader
	ethereum.ChainIDReader
	ethereum.TransactionReader
}

// Config configures a Chain.
type Config struct {
	// Contract is the Escrow contract's address.
	Contract string
	// Key is the gateway's private key: the contract's gateway, which signs
	// createDeal and cancelDeal and pays their fees.
	Key *ecdsa.PrivateKey
	// Confirmations is how deep a block must be before its events count (the
	// head block is 1 deep). Default 12; choose it beyond the network's
	// deepest reorganization.
	Confirmations uint64
	// FromBlock is where Events starts with the empty cursor: the block the
	// contract was deployed in.
	FromBlock uint64
	// MaxRange bounds the blocks one Events call asks the node's logs for
	// (default 2000; public nodes refuse wide ranges).
	MaxRange uint64
}

// Defaults of Config.
const (
	DefaultConfirmations = 12
	DefaultMaxRange      = 2000
)

// Chain implements paykit.Chain on an EVM node. It is safe for concurrent use.
type Chain struct {
	b        Backend
	contract common.Address
	gateway  common.Address
	chainID  *big.Int
	cfg      Config
	escrow   *bind.BoundContract
	info     paykit.ChainInfo

	// send serializes the gateway's transactions, so that each takes the
	// nonce after the one before, and guards inflight.
	send sync.Mutex
	// inflight are the gateway's transactions sent and perhaps not yet
	// mined, by call and deal, so that asking twice sends once: a node's
	// "pending" state, where one would look, does not reliably include the
	// pool. It is memory only: after a restart, a repeated call made while
	// the first is still in the pool sends a second transaction, which
	// reverts when mined (DealAlreadyExists) and costs only its fee.
	inflight map[sentKey]sentTx
	order    []sentKey // inflight's keys, oldest first, for pruning
}

type sentKey struct {
	method string
	id     paykit.DealID
}

type sentTx struct {
	hash  common.Hash
	terms paykit.Deal
	at    time.Time
}

// inflightTTL is how long a sent transaction is remembered. Its clock is the
// real one: it measures the node's pool, not paykit's time.
const inflightTTL = time.Hour

var _ paykit.Chain = (*Chain)(nil)

// New returns a Chain on the node behind b. It asks the node for its chain id
// and checks that cfg.Contract is an Escrow whose gateway is cfg.Key's
// address, so a wrong address or key fails here and not at the first payment.
func New(ctx context.Context, b Backend, cfg Config) (*Chain, error) {
	if cfg.Key == nil {
		return nil, errors.New("evm: no gateway key")
	}
	if !common.IsHexAddress(cfg.Contract) {
		return nil, fmt.Errorf("evm: contract %q is not an address", cfg.Contract)
	}
	if cfg.Confirmations == 0 {
		cfg.Confirmations = DefaultConfirmations
	}
	if cfg.MaxRange == 0 {
		cfg.MaxRange = DefaultMaxRange
	}
	id, err := b.ChainID(ctx)
	if err != nil {
		return nil, fmt.Errorf("evm: chain id: %w", err)
	}
	c := &Chain{
		b:        b,
		contract: common.HexToAddress(cfg.Contract),
		gateway:  crypto.PubkeyToAddress(cfg.Key.PublicKey),
		chainID:  id,
		cfg:      cfg,
		inflight: map[sentKey]sentTx{},
	}
	c.escrow = bind.NewBoundContract(c.contract, escrowABI, b, b, b)
	c.info = paykit.ChainInfo{ChainID: id.Uint64(), Contract: c.contract.Hex(), ABI: contracts.EscrowABI(),
		Confirmations: cfg.Confirmations}
	var out []any
	if err := c.escrow.Call(&bind.CallOpts{Context: ctx}, &out, "gateway"); err != nil {
		return nil, fmt.Errorf("evm: contract %s is not an Escrow: %w", c.contract.Hex(), err)
	}
	if gw := out[0].(common.Address); gw != c.gateway {
		return nil, fmt.Errorf("evm: the contract's gateway is %s, the key's address is %s", gw.Hex(), c.gateway.Hex())
	}
	return c, nil
}

// Info implements paykit.Chain.
func (c *Chain) Info() paykit.ChainInfo { return c.info }

// Gateway returns the gateway's address, which pays the fees of CreateDeal
// and CancelDeal: keep it funded.
func (c *Chain) Gateway() common.Address { return c.gateway }

// DepositCall implements paykit.Chain: approve the contract for the price on
// the token, then deposit(dealId, amount).
func (c *Chain) DepositCall(d paykit.Deal) paykit.DepositCall {
	call := contracts.EscrowDepositCall(c.info.Contract, d)
	if common.IsHexAddress(call.Token) {
		call.Token = common.HexToAddress(call.Token).Hex()
	}
	return call
}

// onChain is a deal as the contract's deals(dealId) returns it.
type onChain struct {
	Token     common.Address
	ExpiresAt uint64
	Status    uint8 // 0 none, 1 open, 2 paid, 3 cancelled (Escrow.Status)
	Payee     common.Address
	Price     *big.Int
	Payer     common.Address
}

const (
	statusNone uint8 = iota
	statusOpen
	statusPaid
	statusCancelled
)

// deal reads deal id from the pending state: what the contract will hold once
// the transactions waiting in the node's pool are mined, so that a second
// CreateDeal or CancelDeal right after the first sends nothing.
func (c *Chain) deal(ctx context.Context, id paykit.DealID) (onChain, error) {
	var out []any
	err := c.escrow.Call(&bind.CallOpts{Context: ctx, Pending: true}, &out, "deals", new(big.Int).SetUint64(uint64(id)))
	if err != nil {
		return onChain{}, fmt.Errorf("evm: read deal %s: %w", id, err)
	}
	return onChain{Token: out[0].(common.Address), ExpiresAt: out[1].(uint64), Status: out[2].(uint8),
		Payee: out[3].(common.Address), Price: out[4].(*big.Int), Payer: out[5].(common.Address)}, nil
}

// CreateDeal implements paykit.Chain.
func (c *Chain) CreateDeal(ctx context.Context, d paykit.Deal) (string, error) {
	if err := d.Validate(); err != nil {
		return "", err
	}
	head, err := c.b.HeaderByNumber(ctx, nil)
	if err != nil {
		return "", fmt.Errorf("evm: head: %w", err)
	}
	if d.ExpiresAt.Unix() <= int64(head.Time) {
		return "", &paykit.Error{Code: paykit.EINVALID, Message: "The deal is invalid.",
			Fields: map[string]string{"expiresAt": "The expiry has passed by the chain's clock."}}
	}
	c.send.Lock()
	defer c.send.Unlock()
	key := sentKey{"createDeal", d.ID}
	if prev, ok, err := c.pending(ctx, key); err != nil {
		return "", err
	} else if ok {
		if sameTerms(prev.terms, d) {
			return "", nil
		}
		return "", fmt.Errorf("create deal %s: %w", d.ID, paykit.ErrDealExists)
	}
	cur, err := c.deal(ctx, d.ID)
	if err != nil {
		return "", err
	}
	if cur.Status != statusNone {
		if cur.Token == common.HexToAddress(d.Token) && cur.Price.Cmp(d.Price) == 0 &&
			cur.Payee == common.HexToAddress(d.Payee) && cur.ExpiresAt == uint64(d.ExpiresAt.Unix()) {
			return "", nil
		}
		return "", fmt.Errorf("create deal %s: %w", d.ID, paykit.ErrDealExists)
	}
	return c.transact(ctx, key, d, new(big.Int).SetUint64(uint64(d.ID)), common.HexToAddress(d.Token),
		d.Price, common.HexToAddress(d.Payee), uint64(d.ExpiresAt.Unix()))
}

func sameTerms(a, b paykit.Deal) bool {
	return a.ID == b.ID && common.HexToAddress(a.Token) == common.HexToAddress(b.Token) && a.Price.Cmp(b.Price) == 0 &&
		common.HexToAddress(a.Payee) == common.HexToAddress(b.Payee) && a.ExpiresAt.Unix() == b.ExpiresAt.Unix()
}

// pending reports whether the gateway's transaction for key was sent and is
// still waiting in the node's pool. Once it is mined (or gone), the
// contract's state tells, and it is forgotten. c.send is held.
func (c *Chain) pending(ctx context.Context, key sentKey) (sentTx, bool, error) {
	now := time.Now()
	for len(c.order) > 0 {
		k := c.order[0]
		if s, ok := c.inflight[k]; ok && now.Sub(s.at) < inflightTTL {
			break
		}
		delete(c.inflight, k)
		c.order = c.order[1:]
	}
	s, ok := c.inflight[key]
	if !ok {
		return sentTx{}, false, nil
	}
	_, isPending, err := c.b.TransactionByHash(ctx, s.hash)
	if err != nil && !errors.Is(err, ethereum.NotFound) {
		return sentTx{}, false, fmt.Errorf("evm: transaction %s: %w", s.hash.Hex(), err)
	}
	if err == nil && isPending {
		return s, true, nil
	}
	delete(c.inflight, key)
	return sentTx{}, false, nil
}

// CancelDeal implements paykit.Chain.
func (c *Chain) CancelDeal(ctx context.Context, id paykit.DealID) (string, error) {
	c.send.Lock()
	defer c.send.Unlock()
	key := sentKey{"cancelDeal", id}
	if _, ok, err := c.pending(ctx, key); err != nil {
		return "", err
	} else if ok {
		return "", nil
	}
	cur, err := c.deal(ctx, id)
	if err != nil {
		return "", err
	}
	switch cur.Status {
	case statusNone:
		return "", fmt.Errorf("cancel deal %s: %w", id, paykit.ErrDealNotFound)
	case statusPaid:
		return "", fmt.Errorf("cancel deal %s: %w", id, paykit.ErrDealPaid)
	case statusCancelled:
		return "", nil
	}
	return c.transact(ctx, key, paykit.Deal{ID: id}, new(big.Int).SetUint64(uint64(id)))
}

// transact signs and sends the gateway's call key.method, and remembers it
// in flight. Estimating its gas runs it on the node first, so a call the
// contract would refuse fails here, with the contract's reason, and costs
// nothing. c.send is held.
func (c *Chain) transact(ctx context.Context, key sentKey, terms paykit.Deal, args ...any) (string, error) {
	opts := bind.NewKeyedTransactor(c.cfg.Key, c.chainID)
	opts.Context = ctx
	tx, err := c.escrow.Transact(opts, key.method, args...)
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", key.method, key.id, revertError(err))
	}
	c.inflight[key] = sentTx{hash: tx.Hash(), terms: terms, at: time.Now()}
	c.order = append(c.order, key)
	return tx.Hash().Hex(), nil
}

// revertError maps the contract's refusals to paykit's errors; any other
// error (the node, the fees, a nonce race) stays as it is, to be tried again.
func revertError(err error) error {
	data, ok := revertData(err)
	if !ok {
		return err
	}
	name, reason := decodeRevert(data)
	var pe *paykit.Error
	switch name {
	case "UnknownDeal":
		pe = paykit.ErrDealNotFound
	case "DealAlreadyExists":
		pe = paykit.ErrDealExists
	case "DealAlreadyPaid":
		pe = paykit.ErrDealPaid
	case "DealIsCancelled":
		pe = paykit.ErrDealCancelled
	case "InvalidDeal":
		pe = &paykit.Error{Code: paykit.EINVALID, Message: "The contract refused the deal (" + reason + ")."}
	default:
		return fmt.Errorf("reverted: %s: %w", reason, err)
	}
	return fmt.Errorf("reverted: %s: %w", reason, pe)
}

// Events implements paykit.Chain. The cursor is the number of the next block
// to examine, in decimal.
func (c *Chain) Events(ctx context.Context, cursor string) (paykit.ChainEvents, error) {
	from := c.cfg.FromBlock
	if cursor != "" {
		n, err := strconv.ParseUint(cursor, 10, 64)
		if err != nil {
			return paykit.ChainEvents{}, fmt.Errorf("evm: bad cursor %q", cursor)
		}
		from = n
	}
	head, err := c.b.BlockNumber(ctx)
	if err != nil {
		return paykit.ChainEvents{}, fmt.Errorf("evm: head: %w", err)
	}
	n := c.cfg.Confirmations
	if head+1 < n || head+1-n < from {
		return paykit.ChainEvents{Cursor: strconv.FormatUint(from, 10)}, nil
	}
	confirmed := head + 1 - n
	to := min(confirmed, from+c.cfg.MaxRange-1)
	logs, err := c.b.FilterLogs(ctx, ethereum.FilterQuery{
		FromBlock: new(big.Int).SetUint64(from),
		ToBlock:   new(big.Int).SetUint64(to),
		Addresses: []common.Address{c.contract},
		Topics: [][]common.Hash{{escrowABI.Events["DealCreated"].ID, escrowABI.Events["Deposited"].ID,
			escrowABI.Events["DealCancelled"].ID}},
	})
	if err != nil {
		return paykit.ChainEvents{}, fmt.Errorf("evm: logs of blocks %d-%d: %w", from, to, err)
	}
	out := paykit.ChainEvents{Cursor: strconv.FormatUint(to+1, 10), More: to < confirmed}
	for i := range logs {
		if logs[i].Removed {
			continue
		}
		e, ok, err := decodeLog(&logs[i])
		if err != nil {
			return paykit.ChainEvents{}, err
		}
		if ok {
			out.Events = append(out.Events, e)
		}
	}
	return out, nil
}

// Transaction implements paykit.Chain. A failed transaction's reason comes
// from running it again on the state after its block (eth_call), which names
// the contract's error in nearly every case; "Reverted" when it does not.
func (c *Chain) Transaction(ctx context.Context, hash string) (paykit.ChainTx, error) {
	out := paykit.ChainTx{Hash: hash, Status: paykit.ChainTxNotFound}
	h := common.HexToHash(hash)
	rcpt, err := c.b.TransactionReceipt(ctx, h)
	if errors.Is(err, ethereum.NotFound) {
		if _, _, err := c.b.TransactionByHash(ctx, h); errors.Is(err, ethereum.NotFound) {
			return out, nil
		} else if err != nil {
			return out, fmt.Errorf("evm: transaction %s: %w", hash, err)
		}
		out.Status = paykit.ChainTxPending
		return out, nil
	} else if err != nil {
		return out, fmt.Errorf("evm: receipt of %s: %w", hash, err)
	}
	head, err := c.b.BlockNumber(ctx)
	if err != nil {
		return out, fmt.Errorf("evm: head: %w", err)
	}
	out.Hash, out.Status = rcpt.TxHash.Hex(), paykit.ChainTxPending
	out.Block = rcpt.BlockNumber.Uint64()
	if head >= out.Block {
		out.Confirmations = head - out.Block + 1
	}
	if out.Confirmations < c.cfg.Confirmations {
		return out, nil
	}
	if rcpt.Status == types.ReceiptStatusSuccessful {
		out.Status = paykit.ChainTxSucceeded
		for _, l := range rcpt.Logs {
			if l.Address != c.contract {
				continue
			}
			e, ok, err := decodeLog(l)
			if err != nil {
				return out, err
			}
			if ok {
				out.Events = append(out.Events, e)
			}
		}
		return out, nil
	}
	out.Status, out.Reason = paykit.ChainTxFailed, c.reason(ctx, h, rcpt)
	return out, nil
}

// reason runs a failed transaction again as a call on the state after its
// block and decodes the revert.
func (c *Chain) reason(ctx context.Context, h common.Hash, rcpt *types.Receipt) string {
	tx, _, err := c.b.TransactionByHash(ctx, h)
	if err != nil {
		return "Reverted"
	}
	from, err := types.Sender(types.LatestSignerForChainID(c.chainID), tx)
	if err != nil {
		return "Reverted"
	}
	_, err = c.b.CallContract(ctx, ethereum.CallMsg{From: from, To: tx.To(), Gas: tx.Gas(), Value: tx.Value(),
		Data: tx.Data()}, rcpt.BlockNumber)
	if data, ok := revertData(err); ok {
		if _, reason := decodeRevert(data); reason != "" {
			return reason
		}
	}
	return "Reverted"
}

// unixTime is a contract's unix seconds as a time.
func unixTime(s uint64) time.Time { return time.Unix(int64(s), 0).UTC() }
