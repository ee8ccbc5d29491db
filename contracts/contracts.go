// Package contracts holds paykit's Solidity contracts and their compiled
// artifacts, embedded so that any package can deploy or call them without
// reading files:
//
//   - Escrow (Escrow.sol): the deal contract a web3 payment is paid through. It
//     stands in for the gateway's EIP-2535 "diamond" at diamond_address: one
//     contract with createDeal and cancelDeal (the gateway's) and deposit (the
//     payer's), which moves the price straight to the payee.
//   - TestUSDT (TestUSDT.sol): a 6-decimal ERC-20 with an open mint, for tests
//     and the demo.
//
// The artifacts in build/ are compiled by compile.mjs with the solc version
// pinned in package.json and fixed settings; TestArtifacts recompiles and
// compares them byte for byte where node and that solc are installed
// (`npm ci` in this directory). After changing a .sol file:
//
//	(cd contracts && npm ci && node compile.mjs)
//
// The package imports nothing but the standard library and the root package.
package contracts

import (
	_ "embed"
	"encoding/hex"
	"math/big"
	"strings"

	"github.com/paykit/paykit"
)

// SolcVersion is the solc release that compiled the artifacts (package.json pins it).
const SolcVersion = "0.8.37"

var (
	//go:embed build/Escrow.abi.json
	escrowABI string
	//go:embed build/Escrow.bin
	escrowBin string
	//go:embed build/TestUSDT.abi.json
	testUSDTABI string
	//go:embed build/TestUSDT.bin
	testUSDTBin string
)

// EscrowABI returns the Escrow contract's ABI, as JSON.
func EscrowABI() string { return escrowABI }

// EscrowBytecode returns the Escrow contract's creation bytecode; its
// constructor takes the gateway's address (ABI-encoded, appended).
func EscrowBytecode() []byte { return mustHex(escrowBin) }

// TestUSDTABI returns the TestUSDT token's ABI, as JSON.
func TestUSDTABI() string { return testUSDTABI }

// TestUSDTBytecode returns the TestUSDT token's creation bytecode (no
// constructor arguments).
func TestUSDTBytecode() []byte { return mustHex(testUSDTBin) }

// mustHex decodes an embedded artifact; a bad one is a broken build, which
// TestArtifacts catches first.
func mustHex(s string) []byte {
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil {
		panic("contracts: bad embedded bytecode: " + err.Error())
	}
	return b
}

// EscrowDepositCall is what a payer's wallet sends to pay deal d on the Escrow
// contract at addr: approve(addr, price) on d.Token, then
// deposit(dealId, amount) with the amount equal to the price. Every Chain on
// this contract hands it out (paykit.Chain.DepositCall).
func EscrowDepositCall(addr string, d paykit.Deal) paykit.DepositCall {
	price := new(big.Int)
	if d.Price != nil {
		price.Set(d.Price)
	}
	return paykit.DepositCall{
		Contract: addr,
		Function: "deposit",
		Args: []paykit.CallArg{
			{Name: "dealId", Type: "uint256", Value: d.ID.String()},
			{Name: "amount", Type: "uint256", Value: price.String()},
		},
		Token:  d.Token,
		Amount: price,
	}
}
