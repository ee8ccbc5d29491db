package main

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/benbjohnson/clock"
	"github.com/paykit/paykit"
	"github.com/paykit/paykit/chain/sandbox"
	"github.com/paykit/paykit/httpapi"
)

// The RudiqPay demo: a USDT-like token on the sandbox chain (in process,
// deterministic, every transaction mined at once and final at one
// confirmation), its network, currency and escrow contract with fixed ids, and
// a node tree for the demo tenant: a root node, which the demo key reaches
// with every other node, and a shop under it, whose integration key
// (demoShopKey) reaches only the shop.
const (
	demoRudiqNode     = "c0ffee00-0000-4000-8000-000000000001" // the demo tenant's root node
	demoRudiqShop     = "c0ffee00-0000-4000-8000-000000000002" // a shop under it
	demoRudiqNetwork  = "c0ffee00-0000-4000-8000-0000000000a1" // the sandbox chain, chain id 31337
	demoRudiqCurrency = "c0ffee00-0000-4000-8000-0000000000b1" // USDT on it, 6 decimals
	demoRudiqContract = "c0ffee00-0000-4000-8000-0000000000c1" // the escrow contract, sandbox.DefaultContract
	// demoRudiqToken is where the sandbox's USDT "is" (the sandbox keeps no
	// balances).
	demoRudiqToken = "0x000000000000000000000000000000000000005d"
	// demoShopKey is the integration key of the demo's shop node.
	demoShopKey = "demo-shop"
)

// rudiqPayChain returns the demo's sandbox chain, on the Service's clock.
func rudiqPayChain(clk clock.Clock) *sandbox.Chain { return sandbox.New(sandbox.WithClock(clk)) }

// mountRudiqPay mounts the RudiqPay dialect at /rudiqpay and its sandbox
// controls (the payer's wallet and the miners of ch) at /sandbox/rudiqpay.
func mountRudiqPay(mux *http.ServeMux, svc *paykit.Service, ch *sandbox.Chain) {
	mux.Handle("/rudiqpay/", http.StripPrefix("/rudiqpay", httpapi.NewRudiqPay(svc)))
	mux.Handle("/sandbox/rudiqpay/", http.StripPrefix("/sandbox/rudiqpay",
		httpapi.NewRudiqPaySandbox(svc, map[string]httpapi.RudiqPaySandboxChain{demoRudiqNetwork: ch})))
}

// seedRudiqPayRegistries registers the sandbox chain's network, its USDT and
// its contract, idempotently, whether or not -demo is given: they describe
// the chain the server always runs.
func seedRudiqPayRegistries(ctx context.Context, svc *paykit.Service) error {
	ok := func(_ any, err error) error {
		if paykit.ErrorCode(err) == paykit.ECONFLICT {
			return nil
		}
		return err
	}
	if err := ok(svc.CreateNetwork(ctx, paykit.NetworkCreate{ID: demoRudiqNetwork, ChainID: sandbox.DefaultChainID,
		Name: "Sandbox chain"})); err != nil {
		return err
	}
	if err := ok(svc.CreateChainCurrency(ctx, paykit.ChainCurrencyCreate{ID: demoRudiqCurrency, NetworkID: demoRudiqNetwork,
		Symbol: "USDT", TokenAddress: demoRudiqToken, Decimals: 6})); err != nil {
		return err
	}
	return ok(svc.CreateChainContract(ctx, paykit.ChainContractCreate{ID: demoRudiqContract, NetworkID: demoRudiqNetwork,
		Address: sandbox.DefaultContract}))
}

// catchUpSandbox mines the sandbox chain, which lives in memory and starts at
// its genesis block on every start, up to where the contract's events were
// read before: the blocks of a new run are then read, not skipped. The deals
// of a previous run are gone with its chain; their payments end by expiry.
func catchUpSandbox(ctx context.Context, svc *paykit.Service, ch *sandbox.Chain) error {
	c, err := svc.FindChainContract(ctx, demoRudiqNetwork)
	if err != nil || c.Cursor == "" {
		return err
	}
	next, err := strconv.ParseUint(c.Cursor, 10, 64)
	if err != nil {
		return fmt.Errorf("the sandbox contract's cursor %q: %w", c.Cursor, err)
	}
	if head, _ := ch.Head(); next > head+1 {
		ch.Mine(int(next - head - 1))
	}
	return nil
}

// seedRudiqPayDemo seeds the demo tenant's node tree and the shop's key;
// each step is idempotent.
func seedRudiqPayDemo(ctx context.Context, svc *paykit.Service) error {
	for _, n := range []paykit.NodeCreate{{ID: demoRudiqNode, Name: "Demo"}, {ID: demoRudiqShop, ParentID: demoRudiqNode, Name: "Demo shop"}} {
		if _, err := svc.CreateNode(ctx, demoTenantID, n); err != nil && paykit.ErrorCode(err) != paykit.ECONFLICT {
			return err
		}
	}
	if _, err := svc.CreateNodeAPIKey(ctx, demoTenantID, demoRudiqShop, demoShopKey); err != nil && paykit.ErrorCode(err) != paykit.ECONFLICT {
		return err
	}
	return nil
}
