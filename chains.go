package paykit

import (
	"context"
	"math/big"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Chain is a blockchain, and the escrow contract on it, as the Service needs
// them to take web3 payments (RudiqPay). One Chain is one network and one
// contract; the gateway's key signs what it sends. Two implementations ship:
// chain/sandbox, deterministic and in process, driven by sandbox controls; and
// chain/evm, on go-ethereum against any JSON-RPC node. chain/chaintest is the
// conformance suite both pass.
//
// A payment's life on a chain:
//
//  1. The Service calls CreateDeal, from background work and outside any store
//     transaction, with a DealID it chose and stored beforehand.
//  2. It hands the payer's wallet DepositCall's answer: approve the token, then
//     call the contract's function with the arguments as given.
//  3. It polls Events with the cursor it stored last, and applies each event
//     (DealCreated, Deposited, DealCancelled) to the payment with that DealID in
//     the same store transaction that stores the new cursor: every event is
//     applied exactly once, even across crashes.
//  4. To cancel, it calls CancelDeal; the cancellation takes effect when its
//     DealCancelled event arrives.
//
// Confirmations. Events reports an event only once its block is
// Info().Confirmations deep (the head block is 1 deep), and then never takes it
// back: an event in a block that a reorganization removes before that depth is
// never reported, and whatever replaces it on the new branch is reported when
// it is deep enough. Choose the depth beyond the deepest reorganization the
// network sees (its finality); a deeper one is outside this model. Transaction
// follows the same rule: a transaction is succeeded or failed only when that
// deep, pending until then.
//
// Errors. CreateDeal and CancelDeal return ErrDealExists, ErrDealNotFound,
// ErrDealPaid or ErrDealCancelled (wrapped; test with errors.Is) when the
// contract's state forbids the call, and an EINVALID *Error for a deal the
// contract refuses; they find this out before sending, so nothing is spent.
// Any other error (the node unreachable, a nonce race) means "try again later".
// Both are idempotent: asking again for what the contract already has sends
// nothing and returns an empty hash.
type Chain interface {
	// Info returns the facts about the network and its contract that never
	// change while the Chain lives.
	Info() ChainInfo

	// DepositCall returns what a payer's wallet must do to pay deal d, which
	// needs no access to the chain: approve the contract for the price on the
	// token, then call the contract's deposit function with the arguments given.
	DepositCall(d Deal) DepositCall

	// CreateDeal sends the gateway's transaction that opens deal d on the
	// contract and returns its hash, before it is mined. d must be valid (see
	// Deal.Validate). If the contract already has deal d.ID with the same
	// terms, it sends nothing and returns ""; with other terms, ErrDealExists.
	CreateDeal(ctx context.Context, d Deal) (txHash string, err error)

	// CancelDeal sends the gateway's transaction that cancels deal id and
	// returns its hash, before it is mined. It returns ErrDealNotFound for a
	// deal the contract does not have and ErrDealPaid for a paid one (its
	// Deposited event is, or will be, in Events); for a cancelled one it sends
	// nothing and returns "".
	CancelDeal(ctx context.Context, id DealID) (txHash string, err error)

	// Events returns the contract's confirmed events after cursor, in chain
	// order, at most one bounded range of blocks at a time. The empty cursor
	// starts at the block the Chain was configured to start from. Store the
	// returned Cursor with the events' effects; call again at once while More
	// is true.
	Events(ctx context.Context, cursor string) (ChainEvents, error)

	// Transaction reports what became of the transaction with hash, by the
	// same confirmations rule as Events: a payer's deposit the widget reported,
	// or a deal creation that never produced its event. A hash the node does
	// not know (never sent, or dropped by a reorganization and not included
	// again) is ChainTxNotFound, not an error.
	Transaction(ctx context.Context, hash string) (ChainTx, error)
}

// ChainInfo is what the widget and the Service need to know about a Chain.
type ChainInfo struct {
	// ChainID is the network's EIP-155 chain id (1 for Ethereum mainnet, 1337
	// for go-ethereum's simulated backend); the widget's network_id.
	ChainID uint64
	// Contract is the escrow contract's address (the widget's diamond_address).
	Contract string
	// ABI is the contract's ABI, as JSON (the widget's contract.abi).
	ABI string
	// Confirmations is how deep a block must be before its events are
	// reported; at least 1, the head block.
	Confirmations uint64
}

// DealID identifies a deal on its contract. The Service chooses it, before
// CreateDeal, so that creating is idempotent; it is never 0 and never reused
// on one contract. The contract takes any uint256; paykit keeps deal ids to
// uint64, and a dialect showing them to JavaScript as JSON numbers keeps them
// under 2^53 (MaxSafeDealID).
type DealID uint64

// MaxSafeDealID is the largest deal id a JavaScript number holds exactly.
const MaxSafeDealID DealID = 1<<53 - 1

// String renders id in decimal, as the contract's uint256.
func (id DealID) String() string { return big.NewInt(0).SetUint64(uint64(id)).String() }

// Deal is what the gateway opens on the contract for one payment.
type Deal struct {
	ID DealID
	// Token is the ERC-20 contract the price is paid in (0x-hex address).
	Token string
	// Price is in the token's base units: 12.50 USDT of 6 decimals is 12500000.
	// BaseUnits converts.
	Price *big.Int
	// Payee receives the price when the payer deposits (0x-hex address).
	Payee string
	// ExpiresAt is the first instant, by the chain's block time, at which a
	// deposit is refused; the contract keeps it in unix seconds.
	ExpiresAt time.Time
}

// Validate checks what the contract would refuse, except the expiry, which
// only the chain's clock can judge. It returns EINVALID naming the fields of
// Deal ("id", "token", "price", "payee", "expiresAt").
func (d Deal) Validate() error {
	f := map[string]string{}
	if d.ID == 0 {
		f["id"] = "A deal id must be greater than zero."
	}
	if !IsChainAddress(d.Token) {
		f["token"] = msgChainAddress
	}
	if d.Price == nil || d.Price.Sign() <= 0 {
		f["price"] = "A price must be greater than zero."
	}
	if !IsChainAddress(d.Payee) || isZeroAddress(d.Payee) {
		f["payee"] = msgChainAddress
	}
	if d.ExpiresAt.Unix() <= 0 {
		f["expiresAt"] = "An expiry is required."
	}
	if len(f) > 0 {
		return &Error{Code: EINVALID, Message: "The deal is invalid.", Fields: f}
	}
	return nil
}

const msgChainAddress = "An address must be 0x followed by 40 hexadecimal digits."

// IsChainAddress reports whether s is an EVM address: 0x and 40 hex digits,
// in any case. (The EIP-55 checksum of mixed case is the EVM adapter's to
// check: it needs Keccak, which the root does not import.) Compare addresses
// with strings.EqualFold.
func IsChainAddress(s string) bool {
	if len(s) != 42 || (s[:2] != "0x" && s[:2] != "0X") {
		return false
	}
	for _, c := range s[2:] {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return false
		}
	}
	return true
}

func isZeroAddress(s string) bool { return strings.Trim(s[2:], "0") == "" }

// DepositCall is what a payer's wallet sends to pay a deal: first
// approve(Contract, Amount) on Token, then Function(Args...) on Contract.
type DepositCall struct {
	// Contract is the escrow contract's address, which the payer calls and
	// approves as the spender.
	Contract string
	// Function is the contract's function to call: "deposit".
	Function string
	// Args are the function's arguments in order. Their Values, as given, are
	// the widget's contract.arguments.
	Args []CallArg
	// Token is the ERC-20 to approve, and Amount the allowance the deposit
	// pulls, in base units.
	Token  string
	Amount *big.Int
}

// Values returns the arguments' values in order: what a wallet library such as
// ethers.js takes for the call.
func (c DepositCall) Values() []string {
	v := make([]string, len(c.Args))
	for i, a := range c.Args {
		v[i] = a.Value
	}
	return v
}

// CallArg is one argument of a contract call. Value is in the form wallets
// accept as it is: an integer type's in decimal (a uint256 can exceed what a
// JSON number holds exactly, so it is a string), an address as 0x-hex.
type CallArg struct {
	Name  string // the ABI's name for it: "dealId"
	Type  string // the ABI type: "uint256"
	Value string // "42"
}

// ChainEventType names what happened on the contract.
type ChainEventType string

// The contract's events.
const (
	ChainEventDealCreated   ChainEventType = "deal_created"   // the gateway opened the deal
	ChainEventDeposited     ChainEventType = "deposited"      // a payer paid the deal's price to its payee
	ChainEventDealCancelled ChainEventType = "deal_cancelled" // the gateway cancelled the open deal
)

// ChainEvent is one confirmed event of the contract. (Block, LogIndex) orders
// events; TxHash is the transaction that emitted it (a payment's
// transaction_hash).
type ChainEvent struct {
	Type     ChainEventType
	DealID   DealID
	TxHash   string
	Block    uint64
	LogIndex uint
	// Amount is the price: the deal's (DealCreated) or the one paid
	// (Deposited), in base units.
	Amount *big.Int
	// Payer is who deposited (Deposited).
	Payer string
	// Token, Payee and ExpiresAt are the deal's terms (DealCreated).
	Token     string
	Payee     string
	ExpiresAt time.Time
}

// ChainEvents is one answer of Chain.Events.
type ChainEvents struct {
	Events []ChainEvent
	// Cursor is where the next call starts: after the last block examined.
	Cursor string
	// More says that confirmed blocks remain after Cursor.
	More bool
}

// ChainTxStatus is what became of a transaction.
type ChainTxStatus string

// Transaction statuses.
const (
	ChainTxPending   ChainTxStatus = "pending"   // waiting to be mined, or mined but not yet Confirmations deep
	ChainTxSucceeded ChainTxStatus = "succeeded" // mined, deep enough, and its effects happened
	ChainTxFailed    ChainTxStatus = "failed"    // mined, deep enough, and reverted: no effect but its fee
	ChainTxNotFound  ChainTxStatus = "not_found" // unknown: never sent, or dropped and not included again
)

// ChainTx is what Chain.Transaction reports.
type ChainTx struct {
	Hash   string
	Status ChainTxStatus
	// Block is the block it was mined in, and Confirmations how deep that
	// block is (0 and 0 until mined).
	Block         uint64
	Confirmations uint64
	// Reason is a failed transaction's revert, decoded when the contract's
	// (or the token's) ABI names it: "WrongAmount(7, 1000000, 999999)".
	Reason string
	// Events are the contract's events it emitted (succeeded only).
	Events []ChainEvent
}

// What the contract's state forbids. Adapters wrap them; test with errors.Is.
var (
	ErrDealNotFound  = &Error{Code: ENOTFOUND, Message: "The deal does not exist on the chain."}
	ErrDealExists    = &Error{Code: ECONFLICT, Message: "Another deal with this id exists on the chain."}
	ErrDealPaid      = &Error{Code: ECONFLICT, Message: "The deal is already paid."}
	ErrDealCancelled = &Error{Code: ECONFLICT, Message: "The deal is cancelled."}
	ErrDealExpired   = &Error{Code: EEXPIRED, Message: "The deal has expired."}
	ErrWrongAmount   = &Error{Code: EINVALID, Message: "The amount is not the deal's price."}
)

// BaseUnits converts amount to a token's base units: 12.5 of a 6-decimal token
// is 12500000. More decimals than the token has is EINVALID naming field, not a
// rounding.
func BaseUnits(field string, amount decimal.Decimal, decimals int32) (*big.Int, error) {
	shifted := amount.Shift(decimals)
	if !shifted.IsInteger() {
		return nil, invalid(field, "Amount has more than %d decimals.", decimals)
	}
	return shifted.BigInt(), nil
}

// FromBaseUnits converts base units of a token with decimals back to an exact
// amount: 12500000 of a 6-decimal token is 12.5.
func FromBaseUnits(units *big.Int, decimals int32) decimal.Decimal {
	return decimal.NewFromBigInt(units, -decimals)
}
