package evm

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/contracts"
)

// What the other parties do: deploy the contracts, mint the test token, and
// pay as a payer's wallet. The tests and the demo program use them; a
// production gateway deploys its contract once, with its own tools.

// Deployer is what deploying and paying need of a node.
type Deployer interface {
	bind.ContractBackend
	ChainID(ctx context.Context) (*big.Int, error)
}

// payerGas is the gas limit of a payer's calls. It is fixed, not estimated:
// the deposit is sent while its approval still waits in the pool, when an
// estimate would see no allowance and fail. It is generous because the newest
// forks (the simulated backend runs them all) price new storage slots far
// higher than mainnet's ~70,000 for a deposit; only the gas used is paid.
const payerGas = 1_000_000

func transactor(ctx context.Context, b Deployer, key *ecdsa.PrivateKey) (*bind.TransactOpts, error) {
	id, err := b.ChainID(ctx)
	if err != nil {
		return nil, fmt.Errorf("evm: chain id: %w", err)
	}
	opts := bind.NewKeyedTransactor(key, id)
	opts.Context = ctx
	return opts, nil
}

// DeployEscrow sends the transaction that deploys an Escrow whose gateway is
// gateway, from deployer's account, and returns the contract's address and
// the transaction; the contract exists once it is mined.
func DeployEscrow(ctx context.Context, b Deployer, deployer *ecdsa.PrivateKey, gateway common.Address) (common.Address, *types.Transaction, error) {
	opts, err := transactor(ctx, b, deployer)
	if err != nil {
		return common.Address{}, nil, err
	}
	args, err := escrowABI.Pack("", gateway)
	if err != nil {
		return common.Address{}, nil, err
	}
	addr, tx, err := bind.DeployContract(opts, contracts.EscrowBytecode(), b, args)
	if err != nil {
		return common.Address{}, nil, fmt.Errorf("evm: deploy Escrow: %w", err)
	}
	return addr, tx, nil
}

// DeployTestUSDT sends the transaction that deploys a TestUSDT token.
func DeployTestUSDT(ctx context.Context, b Deployer, deployer *ecdsa.PrivateKey) (common.Address, *types.Transaction, error) {
	opts, err := transactor(ctx, b, deployer)
	if err != nil {
		return common.Address{}, nil, err
	}
	addr, tx, err := bind.DeployContract(opts, contracts.TestUSDTBytecode(), b, nil)
	if err != nil {
		return common.Address{}, nil, fmt.Errorf("evm: deploy TestUSDT: %w", err)
	}
	return addr, tx, nil
}

// MintTestUSDT sends, from key's account, the transaction that mints amount
// base units of the TestUSDT at token for to.
func MintTestUSDT(ctx context.Context, b Deployer, key *ecdsa.PrivateKey, token, to common.Address, amount *big.Int) (*types.Transaction, error) {
	return send(ctx, b, key, token, "mint", mustPack(tokenABI.Pack("mint", to, amount)))
}

// TokenBalance returns addr's balance of the ERC-20 at token.
func TokenBalance(ctx context.Context, b Deployer, token, addr common.Address) (*big.Int, error) {
	var out []any
	c := bind.NewBoundContract(token, tokenABI, b, b, b)
	if err := c.Call(&bind.CallOpts{Context: ctx}, &out, "balanceOf", addr); err != nil {
		return nil, fmt.Errorf("evm: balance of %s: %w", addr.Hex(), err)
	}
	return out[0].(*big.Int), nil
}

// Pay plays a payer's wallet given a widget's data: it sends, from payer's
// account, approve(call.Contract, call.Amount) on call.Token and then
// call.Function(args...) on call.Contract, encoded from abiJSON and args
// exactly as given (PackCall). It returns both transactions, sent and not
// yet mined; the second's hash is the payment's transaction hash.
func Pay(ctx context.Context, b Deployer, payer *ecdsa.PrivateKey, abiJSON string, call paykit.DepositCall, args []string) (approve, deposit *types.Transaction, err error) {
	a, err := ParseABI(abiJSON)
	if err != nil {
		return nil, nil, fmt.Errorf("evm: the widget's ABI: %w", err)
	}
	function := call.Function
	data, err := PackCall(a, function, args)
	if err != nil {
		return nil, nil, err
	}
	if !common.IsHexAddress(call.Token) || !common.IsHexAddress(call.Contract) || call.Amount == nil {
		return nil, nil, fmt.Errorf("evm: pay: the call lacks a token, a contract or an amount")
	}
	spender := common.HexToAddress(call.Contract)
	approve, err = send(ctx, b, payer, common.HexToAddress(call.Token), "approve",
		mustPack(tokenABI.Pack("approve", spender, call.Amount)))
	if err != nil {
		return nil, nil, err
	}
	deposit, err = sendAt(ctx, b, payer, spender, function, data, approve.Nonce()+1)
	if err != nil {
		return approve, nil, err
	}
	return approve, deposit, nil
}

// send sends data to to from key's account with a fixed gas limit.
func send(ctx context.Context, b Deployer, key *ecdsa.PrivateKey, to common.Address, what string, data []byte) (*types.Transaction, error) {
	return sendAt(ctx, b, key, to, what, data, 0)
}

// sendAt is send with nonce, or the account's next pending nonce for 0.
func sendAt(ctx context.Context, b Deployer, key *ecdsa.PrivateKey, to common.Address, what string, data []byte, nonce uint64) (*types.Transaction, error) {
	opts, err := transactor(ctx, b, key)
	if err != nil {
		return nil, err
	}
	opts.GasLimit = payerGas
	if nonce != 0 {
		opts.Nonce = new(big.Int).SetUint64(nonce)
	}
	tx, err := bind.NewBoundContract(to, escrowABI, b, b, b).RawTransact(opts, data)
	if err != nil {
		return nil, fmt.Errorf("evm: %s: %w", what, err)
	}
	return tx, nil
}

func mustPack(b []byte, err error) []byte {
	if err != nil {
		panic("evm: " + err.Error())
	}
	return b
}
