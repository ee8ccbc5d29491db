package evm

import (
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/contracts"
)

// The contracts' ABIs, parsed once; the committed JSON is checked by the
// contracts package's tests, so a parse failure is a broken build.
var (
	escrowABI = mustABI(contracts.EscrowABI())
	tokenABI  = mustABI(contracts.TestUSDTABI())
)

func mustABI(s string) abi.ABI {
	a, err := abi.JSON(strings.NewReader(s))
	if err != nil {
		panic("evm: bad embedded ABI: " + err.Error())
	}
	return a
}

// ParseABI parses a contract's ABI from its JSON.
func ParseABI(s string) (abi.ABI, error) { return abi.JSON(strings.NewReader(s)) }

// PackCall encodes a call of function with args given as a wallet library
// takes them from a widget (paykit.DepositCall.Values): integers in decimal
// (or 0x-hex), addresses in 0x-hex, booleans as true/false, strings as they
// are. It is how a payer's wallet turns the widget's contract.abi,
// contract.function_name and contract.arguments into calldata.
func PackCall(a abi.ABI, function string, args []string) ([]byte, error) {
	m, ok := a.Methods[function]
	if !ok {
		return nil, fmt.Errorf("evm: the ABI has no function %q", function)
	}
	if len(args) != len(m.Inputs) {
		return nil, fmt.Errorf("evm: %s takes %d arguments, not %d", m.Sig, len(m.Inputs), len(args))
	}
	vals := make([]any, len(args))
	for i, in := range m.Inputs {
		v, err := argValue(in.Type, args[i])
		if err != nil {
			return nil, fmt.Errorf("evm: %s argument %d (%s): %w", function, i, in.Name, err)
		}
		vals[i] = v
	}
	return a.Pack(function, vals...)
}

// argValue converts s to the Go value abi.Pack wants for t.
func argValue(t abi.Type, s string) (any, error) {
	switch t.T {
	case abi.UintTy, abi.IntTy:
		n, ok := new(big.Int).SetString(s, 0)
		if !ok {
			return nil, fmt.Errorf("%q is not an integer", s)
		}
		if t.Size > 64 {
			return n, nil
		}
		v := reflect.New(t.GetType()).Elem()
		if t.T == abi.UintTy {
			if n.Sign() < 0 || !n.IsUint64() || v.OverflowUint(n.Uint64()) {
				return nil, fmt.Errorf("%s out of range for %s", s, t)
			}
			v.SetUint(n.Uint64())
		} else {
			if !n.IsInt64() || v.OverflowInt(n.Int64()) {
				return nil, fmt.Errorf("%s out of range for %s", s, t)
			}
			v.SetInt(n.Int64())
		}
		return v.Interface(), nil
	case abi.AddressTy:
		if !common.IsHexAddress(s) {
			return nil, fmt.Errorf("%q is not an address", s)
		}
		return common.HexToAddress(s), nil
	case abi.BoolTy:
		return strconv.ParseBool(s)
	case abi.StringTy:
		return s, nil
	case abi.BytesTy:
		return hexutil.Decode(s)
	}
	return nil, fmt.Errorf("type %s is not supported", t)
}

// decodeLog turns one of the Escrow contract's logs into a ChainEvent; ok is
// false for any other log.
func decodeLog(l *types.Log) (e paykit.ChainEvent, ok bool, err error) {
	if len(l.Topics) < 2 {
		return e, false, nil
	}
	ev, err := escrowABI.EventByID(l.Topics[0])
	if err != nil {
		return e, false, nil //nolint:nilerr // not one of ours
	}
	indexed := 0
	for _, in := range ev.Inputs {
		if in.Indexed {
			indexed++
		}
	}
	if len(l.Topics) != 1+indexed {
		return e, false, nil
	}
	id := new(big.Int).SetBytes(l.Topics[1].Bytes())
	if !id.IsUint64() {
		// Only the gateway opens deals, always with a uint64 id, and the other
		// events need an open deal: this cannot be one of ours.
		return e, false, nil
	}
	e = paykit.ChainEvent{DealID: paykit.DealID(id.Uint64()), TxHash: l.TxHash.Hex(), Block: l.BlockNumber,
		LogIndex: l.Index}
	data, err := ev.Inputs.NonIndexed().Unpack(l.Data)
	if err != nil {
		return e, false, fmt.Errorf("evm: decode %s in %s: %w", ev.Name, l.TxHash.Hex(), err)
	}
	switch ev.Name {
	case "DealCreated": // (dealId, token, payee indexed; price, expiresAt)
		e.Type = paykit.ChainEventDealCreated
		e.Token = common.BytesToAddress(l.Topics[2].Bytes()).Hex()
		e.Payee = common.BytesToAddress(l.Topics[3].Bytes()).Hex()
		e.Amount = data[0].(*big.Int)
		e.ExpiresAt = unixTime(data[1].(uint64))
	case "Deposited": // (dealId, payer indexed; amount)
		e.Type = paykit.ChainEventDeposited
		e.Payer = common.BytesToAddress(l.Topics[2].Bytes()).Hex()
		e.Amount = data[0].(*big.Int)
	case "DealCancelled":
		e.Type = paykit.ChainEventDealCancelled
	default:
		return e, false, nil
	}
	return e, true, nil
}

// revertData returns the revert data a node attached to err, if any.
func revertData(err error) ([]byte, bool) {
	var de rpc.DataError
	if !errors.As(err, &de) {
		return nil, false
	}
	s, ok := de.ErrorData().(string)
	if !ok {
		return nil, false
	}
	b, err := hexutil.Decode(s)
	return b, err == nil && len(b) >= 4
}

// decodeRevert names a revert by the Escrow's or the token's custom errors,
// Solidity's Error(string) or Panic(uint256): "WrongAmount(7, 1000000, 999999)".
func decodeRevert(data []byte) (name, reason string) {
	if len(data) < 4 {
		return "", ""
	}
	sel := [4]byte(data[:4])
	for _, a := range []*abi.ABI{&escrowABI, &tokenABI} {
		e, err := a.ErrorByID(sel)
		if err != nil {
			continue
		}
		args, err := e.Inputs.Unpack(data[4:])
		if err != nil {
			return e.Name, e.Name
		}
		parts := make([]string, len(args))
		for i, v := range args {
			switch v := v.(type) {
			case common.Address:
				parts[i] = v.Hex()
			default:
				parts[i] = fmt.Sprint(v)
			}
		}
		return e.Name, e.Name + "(" + strings.Join(parts, ", ") + ")"
	}
	if msg, err := abi.UnpackRevert(data); err == nil {
		return "", msg
	}
	return "", "0x" + common.Bytes2Hex(data)
}
