// Package sandbox is a deterministic, in-process chain that implements
// paykit.Chain with the Escrow contract's rules, for the example server and
// fast tests. Nothing here touches a network or go-ethereum.
//
// What the outside world does is played by controls: a payer deposits
// (Deposit), blocks are mined (Mine), the chain reorganizes (Reorg), the node
// fails (Fail), the gateway's next transaction reverts (RevertNext). Block
// time is the Clock's (WithClock; a clock.Mock in tests), so deal expiries
// follow the same clock as the Service.
//
// By default every transaction is mined at once in a block of its own (like a
// development node's automine) and one confirmation is enough, so a deposit
// is final as soon as it is made; WithManualMining and WithConfirmations give a
// test control of both. Balances and allowances are not modelled: a payer
// always holds and has approved what it deposits.
//
// The sandbox passes the same conformance suite as the EVM adapter
// (chain/chaintest), so what works here works on a real chain.
package sandbox

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/contracts"
)

// Defaults of a new Chain.
const (
	// DefaultChainID is Hardhat's and Anvil's local chain id.
	DefaultChainID = 31337
	// DefaultContract is where the sandbox's escrow contract "is".
	DefaultContract = "0x00000000000000000000000000000000000e5c70"
	// Gateway is the address the sandbox's gateway transactions come from.
	Gateway = "0x000000000000000000000000000000000000a7e0"
	// maxRange bounds the blocks one Events call examines, as a node's log
	// queries are bounded, so callers exercise More.
	maxRange = 1000
)

// Chain is the sandbox chain. Its methods are safe for concurrent use.
type Chain struct {
	mu       sync.Mutex
	clock    clock.Clock
	info     paykit.ChainInfo
	automine bool
	blocks   []*block                // the canonical chain; blocks[0] is genesis
	pool     []*tx                   // sent, not yet mined, in order
	txs      map[string]*tx          // every transaction in pool or in a canonical block, by hash
	deals    map[paykit.DealID]*deal // the contract's state at the head
	fail     error
	revert   bool
	seq      uint64 // makes every hash unique
}

// Option configures a Chain.
type Option func(*Chain)

// WithClock sets the clock block times are read from (default: the real one).
func WithClock(c clock.Clock) Option { return func(ch *Chain) { ch.clock = c } }

// WithConfirmations sets how deep a block must be before its events are
// reported (default 1: the head block).
func WithConfirmations(n uint64) Option {
	return func(ch *Chain) { ch.info.Confirmations = max(n, 1) }
}

// WithChainID sets the chain id (default DefaultChainID).
func WithChainID(id uint64) Option { return func(ch *Chain) { ch.info.ChainID = id } }

// WithContract sets the escrow contract's address (default DefaultContract).
func WithContract(addr string) Option {
	return func(ch *Chain) { ch.info.Contract = strings.ToLower(addr) }
}

// WithManualMining leaves sent transactions pending until Mine.
func WithManualMining() Option { return func(ch *Chain) { ch.automine = false } }

// New returns a sandbox chain holding only its genesis block.
func New(opts ...Option) *Chain {
	ch := &Chain{
		clock: clock.New(),
		info: paykit.ChainInfo{ChainID: DefaultChainID, Contract: DefaultContract,
			ABI: contracts.EscrowABI(), Confirmations: 1},
		automine: true,
		txs:      map[string]*tx{},
		deals:    map[paykit.DealID]*deal{},
	}
	for _, o := range opts {
		o(ch)
	}
	ch.blocks = []*block{{number: 0, hash: ch.hash("block"), time: ch.blockTime()}}
	return ch
}

type dealStatus int

const (
	dealOpen dealStatus = iota + 1
	dealPaid
	dealCancelled
)

// deal is the contract's record of a deal.
type deal struct {
	terms  paykit.Deal
	status dealStatus
	payer  string
}

type txKind int

const (
	txCreate txKind = iota + 1
	txCancel
	txDeposit
)

type tx struct {
	hash   string
	kind   txKind
	from   string
	deal   paykit.Deal // txCreate: the terms; otherwise only ID
	amount *big.Int    // txDeposit
	revert bool        // RevertNext: fails whatever the state

	// Set when mined.
	block  *block
	reason string
	events []paykit.ChainEvent
}

type block struct {
	number uint64
	hash   string
	time   time.Time
	txs    []*tx
	undo   map[paykit.DealID]*deal // each touched deal as it was before the block (nil: absent)
}

// Info implements paykit.Chain.
func (ch *Chain) Info() paykit.ChainInfo { return ch.info }

// DepositCall implements paykit.Chain: approve the contract for the price, then
// deposit(dealId, amount).
func (ch *Chain) DepositCall(d paykit.Deal) paykit.DepositCall {
	return contracts.EscrowDepositCall(ch.info.Contract, d)
}

// CreateDeal implements paykit.Chain.
func (ch *Chain) CreateDeal(_ context.Context, d paykit.Deal) (string, error) {
	if err := d.Validate(); err != nil {
		return "", err
	}
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if ch.fail != nil {
		return "", ch.fail
	}
	if d.ExpiresAt.Unix() <= ch.blockTime().Unix() {
		return "", &paykit.Error{Code: paykit.EINVALID, Message: "The deal is invalid.",
			Fields: map[string]string{"expiresAt": "The expiry has passed by the chain's clock."}}
	}
	if cur := ch.pending(d.ID); cur != nil {
		if sameTerms(cur.terms, d) {
			return "", nil
		}
		return "", fmt.Errorf("create deal %s: %w", d.ID, paykit.ErrDealExists)
	}
	d.Price = new(big.Int).Set(d.Price)
	return ch.send(&tx{kind: txCreate, from: Gateway, deal: d}), nil
}

// CancelDeal implements paykit.Chain.
func (ch *Chain) CancelDeal(_ context.Context, id paykit.DealID) (string, error) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if ch.fail != nil {
		return "", ch.fail
	}
	cur := ch.pending(id)
	switch {
	case cur == nil:
		return "", fmt.Errorf("cancel deal %s: %w", id, paykit.ErrDealNotFound)
	case cur.status == dealPaid:
		return "", fmt.Errorf("cancel deal %s: %w", id, paykit.ErrDealPaid)
	case cur.status == dealCancelled:
		return "", nil
	}
	return ch.send(&tx{kind: txCancel, from: Gateway, deal: paykit.Deal{ID: id}}), nil
}

// Events implements paykit.Chain. The cursor is the number of the next block
// to examine, in decimal.
func (ch *Chain) Events(_ context.Context, cursor string) (paykit.ChainEvents, error) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if ch.fail != nil {
		return paykit.ChainEvents{}, ch.fail
	}
	from := uint64(1)
	if cursor != "" {
		n, err := strconv.ParseUint(cursor, 10, 64)
		if err != nil || n == 0 {
			return paykit.ChainEvents{}, fmt.Errorf("sandbox: bad cursor %q", cursor)
		}
		from = n
	}
	head := ch.head().number
	if head+1 < ch.info.Confirmations || head+1-ch.info.Confirmations < from {
		return paykit.ChainEvents{Cursor: strconv.FormatUint(from, 10)}, nil
	}
	confirmed := head + 1 - ch.info.Confirmations
	to := min(confirmed, from+maxRange-1)
	var out []paykit.ChainEvent
	for _, b := range ch.blocks[from : to+1] {
		for _, t := range b.txs {
			out = append(out, t.events...)
		}
	}
	return paykit.ChainEvents{Events: out, Cursor: strconv.FormatUint(to+1, 10), More: to < confirmed}, nil
}

// Transaction implements paykit.Chain.
func (ch *Chain) Transaction(_ context.Context, hash string) (paykit.ChainTx, error) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if ch.fail != nil {
		return paykit.ChainTx{}, ch.fail
	}
	return ch.report(hash), nil
}

func (ch *Chain) report(hash string) paykit.ChainTx {
	t, ok := ch.txs[strings.ToLower(hash)]
	if !ok {
		return paykit.ChainTx{Hash: hash, Status: paykit.ChainTxNotFound}
	}
	out := paykit.ChainTx{Hash: t.hash, Status: paykit.ChainTxPending}
	if t.block == nil {
		return out
	}
	out.Block, out.Confirmations = t.block.number, ch.head().number-t.block.number+1
	switch {
	case out.Confirmations < ch.info.Confirmations:
	case t.reason != "":
		out.Status, out.Reason = paykit.ChainTxFailed, t.reason
	default:
		out.Status, out.Events = paykit.ChainTxSucceeded, t.events
	}
	return out
}

// Deposit plays a payer's wallet paying a deal: it sends deposit(args...) from
// payer, with args as the widget hands them out (DepositCall.Values: the deal
// id and the amount, in decimal), and returns the transaction as Transaction
// reports it (with the defaults, mined and final: succeeded, or failed with
// the contract's revert such as "WrongAmount(7, 1000000, 999999)"). It
// returns an error, and sends nothing, when the arguments are not two
// unsigned integers or payer is not an address.
func (ch *Chain) Deposit(payer string, args ...string) (paykit.ChainTx, error) {
	if !paykit.IsChainAddress(payer) {
		return paykit.ChainTx{}, fmt.Errorf("sandbox: deposit: payer %q is not an address", payer)
	}
	if len(args) != 2 {
		return paykit.ChainTx{}, fmt.Errorf("sandbox: deposit takes 2 arguments (dealId, amount), not %d", len(args))
	}
	id, ok1 := new(big.Int).SetString(args[0], 10)
	amount, ok2 := new(big.Int).SetString(args[1], 10)
	if !ok1 || !ok2 || id.Sign() < 0 || amount.Sign() < 0 || !id.IsUint64() {
		return paykit.ChainTx{}, fmt.Errorf("sandbox: deposit: arguments %q are not a deal id and an amount", args)
	}
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if ch.fail != nil {
		return paykit.ChainTx{}, ch.fail
	}
	hash := ch.send(&tx{kind: txDeposit, from: strings.ToLower(payer),
		deal: paykit.Deal{ID: paykit.DealID(id.Uint64())}, amount: amount})
	return ch.report(hash), nil
}

// Mine mines n blocks at the Clock's time; the first holds every pending
// transaction.
func (ch *Chain) Mine(n int) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	for range n {
		ch.mine()
	}
}

// Reorg replaces the chain's last depth blocks (never genesis) with nothing:
// the head goes back depth blocks, and the transactions in those blocks are
// dropped, as if the winning branch's miners never saw them (Transaction
// reports them not_found). Mine grows the new branch.
func (ch *Chain) Reorg(depth int) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	for range min(depth, len(ch.blocks)-1) {
		b := ch.blocks[len(ch.blocks)-1]
		ch.blocks = ch.blocks[:len(ch.blocks)-1]
		for id, was := range b.undo {
			if was == nil {
				delete(ch.deals, id)
			} else {
				ch.deals[id] = was
			}
		}
		for _, t := range b.txs {
			delete(ch.txs, t.hash)
		}
	}
}

// Fail makes every call of the Chain's interface and Deposit return err, as
// an unreachable node would, until Fail(nil).
func (ch *Chain) Fail(err error) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	ch.fail = err
}

// RevertNext makes the next gateway transaction (CreateDeal or CancelDeal)
// revert when it is mined, as if the contract's state had changed between the
// check and the mining: the call returns its hash, and Transaction reports it
// failed with the reason "Reverted".
func (ch *Chain) RevertNext() {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	ch.revert = true
}

// Head returns the number and time of the head block.
func (ch *Chain) Head() (uint64, time.Time) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.head().number, ch.head().time
}

func (ch *Chain) head() *block { return ch.blocks[len(ch.blocks)-1] }

// blockTime is the time a block mined now gets: the Clock's, in whole seconds
// as a block header keeps it.
func (ch *Chain) blockTime() time.Time { return ch.clock.Now().UTC().Truncate(time.Second) }

// send adds t to the pool, mining it at once under automine, and returns its
// hash.
func (ch *Chain) send(t *tx) string {
	if t.from == Gateway && ch.revert {
		t.revert, ch.revert = true, false
	}
	t.hash = ch.hash("tx")
	ch.txs[t.hash] = t
	ch.pool = append(ch.pool, t)
	if ch.automine {
		ch.mine()
	}
	return t.hash
}

func (ch *Chain) mine() {
	b := &block{number: ch.head().number + 1, hash: ch.hash("block"), time: ch.blockTime(),
		txs: ch.pool, undo: map[paykit.DealID]*deal{}}
	ch.pool = nil
	for _, t := range b.txs {
		ch.execute(b, t)
	}
	ch.blocks = append(ch.blocks, b)
}

// execute runs t in b against the contract's rules (Escrow.sol), recording the
// deal's previous state in b.undo.
func (ch *Chain) execute(b *block, t *tx) {
	t.block, t.reason, t.events = b, "", nil
	id := t.deal.ID
	cur := ch.deals[id]
	if _, ok := b.undo[id]; !ok {
		b.undo[id] = cur
	}
	ev := paykit.ChainEvent{DealID: id, TxHash: t.hash, Block: b.number}
	t.reason = ch.check(b, t, cur)
	if t.reason != "" {
		return
	}
	switch t.kind {
	case txCreate:
		ch.deals[id] = &deal{terms: t.deal, status: dealOpen}
		ev.Type, ev.Amount, ev.Token, ev.Payee = paykit.ChainEventDealCreated, new(big.Int).Set(t.deal.Price), t.deal.Token, t.deal.Payee
		ev.ExpiresAt = time.Unix(t.deal.ExpiresAt.Unix(), 0).UTC()
	case txCancel:
		ch.deals[id] = &deal{terms: cur.terms, status: dealCancelled}
		ev.Type = paykit.ChainEventDealCancelled
	case txDeposit:
		ch.deals[id] = &deal{terms: cur.terms, status: dealPaid, payer: t.from}
		ev.Type, ev.Amount, ev.Payer = paykit.ChainEventDeposited, new(big.Int).Set(t.amount), t.from
	}
	ev.LogIndex = ch.logIndex(b, t)
	t.events = []paykit.ChainEvent{ev}
}

// check returns the contract's revert for t against the deal's state cur, or "".
func (ch *Chain) check(b *block, t *tx, cur *deal) string {
	id := t.deal.ID
	if t.revert {
		return "Reverted"
	}
	if t.kind == txCreate {
		if t.deal.ExpiresAt.Unix() <= b.time.Unix() {
			return "InvalidDeal()"
		}
		if cur != nil {
			return fmt.Sprintf("DealAlreadyExists(%s)", id)
		}
		return ""
	}
	switch {
	case cur == nil:
		return fmt.Sprintf("UnknownDeal(%s)", id)
	case cur.status == dealPaid:
		return fmt.Sprintf("DealAlreadyPaid(%s)", id)
	case cur.status == dealCancelled:
		return fmt.Sprintf("DealIsCancelled(%s)", id)
	}
	if t.kind == txDeposit {
		if b.time.Unix() >= cur.terms.ExpiresAt.Unix() {
			return fmt.Sprintf("DealExpired(%s)", id)
		}
		if t.amount.Cmp(cur.terms.Price) != 0 {
			return fmt.Sprintf("WrongAmount(%s, %s, %s)", id, cur.terms.Price, t.amount)
		}
	}
	return ""
}

// logIndex is the position in b of t's one event: the events of the
// transactions before it.
func (ch *Chain) logIndex(b *block, t *tx) uint {
	var n uint
	for _, o := range b.txs {
		if o == t {
			break
		}
		n += uint(len(o.events))
	}
	return n
}

// pending returns deal id as it will be once the pool is mined (nil: absent).
func (ch *Chain) pending(id paykit.DealID) *deal {
	cur := ch.deals[id]
	for _, t := range ch.pool {
		if t.deal.ID != id || t.revert {
			continue
		}
		switch {
		case t.kind == txCreate && cur == nil:
			cur = &deal{terms: t.deal, status: dealOpen}
		case t.kind == txCancel && cur != nil && cur.status == dealOpen:
			cur = &deal{terms: cur.terms, status: dealCancelled}
		case t.kind == txDeposit && cur != nil && cur.status == dealOpen && t.amount.Cmp(cur.terms.Price) == 0:
			cur = &deal{terms: cur.terms, status: dealPaid, payer: t.from}
		}
	}
	return cur
}

func sameTerms(a, b paykit.Deal) bool {
	return a.ID == b.ID && strings.EqualFold(a.Token, b.Token) && a.Price.Cmp(b.Price) == 0 &&
		strings.EqualFold(a.Payee, b.Payee) && a.ExpiresAt.Unix() == b.ExpiresAt.Unix()
}

// hash returns a new, unique, deterministic 32-byte hash in 0x-hex.
func (ch *Chain) hash(kind string) string {
	ch.seq++
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], ch.seq)
	sum := sha256.Sum256(append([]byte("paykit sandbox "+kind), n[:]...))
	return "0x" + hex.EncodeToString(sum[:])
}
