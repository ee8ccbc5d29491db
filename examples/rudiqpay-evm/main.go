// Command rudiqpay-evm runs RudiqPay's whole web3 flow on go-ethereum's
// simulated chain, with the EVM adapter (chain/evm) and the Escrow and
// TestUSDT contracts deployed on it: payments are created over the RudiqPay
// API, their deals are created on the chain, the payer's wallet approves and
// calls deposit with exactly the widget's contract.arguments, the adapter
// reports the confirmed events, and the payments complete with their
// transaction hashes and the money in the ledger. Then a cancellation, a
// reverted deposit, a reorganization and a deal the contract refuses.
//
//	go run ./examples/rudiqpay-evm
//
// It lives apart from the example server because it links a whole
// go-ethereum node; `go run ./examples/server` never builds go-ethereum. Its
// test (go test ./examples/rudiqpay-evm) runs the same scenarios with a mock
// clock.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/chain/evm/evmsim"
	"github.com/paykit/paykit/httpapi"
	"github.com/paykit/paykit/store"
)

// The registries' and the tenant's ids.
const (
	networkID  = "5f0c0e2a-1d1b-4c1e-9a59-2d3f00000001"
	currencyID = "5f0c0e2a-1d1b-4c1e-9a59-2d3f00000002"
	contractID = "5f0c0e2a-1d1b-4c1e-9a59-2d3f00000003"
	tenantID   = "evm-demo"
	nodeID     = "5f0c0e2a-1d1b-4c1e-9a59-2d3f000000a1"
	apiKey     = "evm-demo-key"
	// confirmations is how deep the adapter wants a block before it reports
	// its events.
	confirmations = 3
)

func main() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "rudiqpay-evm")
	if err == nil {
		defer os.RemoveAll(dir)
		err = run(ctx, os.Stdout, dir, clock.New())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "rudiqpay-evm:", err)
		os.Exit(1)
	}
}

// run runs every scenario, telling out what happens, on a database in dir and
// the clock clk (near real time: the simulated chain's blocks carry the wall
// clock's time). It returns an error as soon as something is not as it should
// be.
func run(ctx context.Context, out io.Writer, dir string, clk clock.Clock) error {
	w, err := setUp(ctx, dir, clk)
	if err != nil {
		return err
	}
	defer w.Close()
	fmt.Fprintf(out, "simulated chain %d: Escrow at %s, TestUSDT at %s\n", evmsim.ChainID, w.Sim.Escrow.Hex(), w.Sim.Token.Hex())
	for _, sc := range []struct {
		name string
		fn   func(context.Context, io.Writer) error
	}{
		{"paid", w.scenarioPaid},
		{"cancelled", w.scenarioCancelled},
		{"reverted deposit and reorganization", w.scenarioRevertAndReorg},
		{"refused deal", w.scenarioRefused},
	} {
		fmt.Fprintf(out, "\n== %s\n", sc.name)
		if err := sc.fn(ctx, out); err != nil {
			return fmt.Errorf("%s: %w", sc.name, err)
		}
	}
	if err := w.Service.CheckAllInvariants(ctx); err != nil {
		return err
	}
	fmt.Fprintln(out, "\nledger and invariants: OK")
	return nil
}

// World is a Service on SQLite with the simulated chain as its network's
// Chain, the RudiqPay API served over HTTP, and a tenant with one node whose
// integration key is apiKey.
type World struct {
	Sim     *evmsim.Sim
	Service *paykit.Service
	Clock   clock.Clock
	db      *store.DB
	api     *httptest.Server
}

// setUp starts the simulated chain and the Service, and registers the chain.
func setUp(ctx context.Context, dir string, clk clock.Clock) (_ *World, err error) {
	sim, err := evmsim.New(ctx, confirmations)
	if err != nil {
		return nil, err
	}
	w := &World{Sim: sim, Clock: clk}
	defer func() {
		if err != nil {
			w.Close()
		}
	}()
	if w.db, err = store.Open(filepath.Join(dir, "paykit.db")); err != nil {
		return nil, err
	}
	w.Service = paykit.New(w.db, paykit.WithClock(clk), paykit.WithChain(networkID, sim.Chain))
	mux := http.NewServeMux()
	mux.Handle("/rudiqpay/", http.StripPrefix("/rudiqpay", httpapi.NewRudiqPay(w.Service)))
	w.api = httptest.NewServer(mux)

	svc := w.Service
	if _, err := svc.CreateNetwork(ctx, paykit.NetworkCreate{ID: networkID, ChainID: evmsim.ChainID, Name: "Simulated"}); err != nil {
		return nil, err
	}
	if _, err := svc.CreateChainCurrency(ctx, paykit.ChainCurrencyCreate{ID: currencyID, NetworkID: networkID, Symbol: "USDT",
		TokenAddress: sim.Token.Hex(), Decimals: 6}); err != nil {
		return nil, err
	}
	if _, err := svc.CreateChainContract(ctx, paykit.ChainContractCreate{ID: contractID, NetworkID: networkID,
		Address: sim.Escrow.Hex()}); err != nil {
		return nil, err
	}
	if _, err := svc.CreateTenant(ctx, tenantID, "EVM demo"); err != nil {
		return nil, err
	}
	if _, err := svc.CreateNode(ctx, tenantID, paykit.NodeCreate{ID: nodeID, Name: "Shop"}); err != nil {
		return nil, err
	}
	if _, err := svc.CreateNodeAPIKey(ctx, tenantID, nodeID, apiKey); err != nil {
		return nil, err
	}
	return w, nil
}

// Close stops the API, the database and the chain.
func (w *World) Close() {
	if w.api != nil {
		w.api.Close()
	}
	if w.db != nil {
		w.db.Close()
	}
	w.Sim.Close()
}

// Payment is a payment as the API shows it.
type Payment struct {
	ID              string  `json:"id"`
	Status          string  `json:"status"`
	DealID          *uint64 `json:"deal_id"`
	TransactionHash *string `json:"transaction_hash"`
	FailureReason   *string `json:"failure_reason"`
	AccessToken     string  `json:"access_token"`
}

// Widget is the payer's widget as the API shows it.
type Widget struct {
	NetworkID      uint64      `json:"network_id"`
	DealID         uint64      `json:"deal_id"`
	Price          json.Number `json:"price"`
	PriceDecimals  int         `json:"price_decimals"`
	DiamondAddress string      `json:"diamond_address"`
	TokenAddress   string      `json:"token_address"`
	Contract       struct {
		ABI          json.RawMessage `json:"abi"`
		FunctionName string          `json:"function_name"`
		Arguments    []string        `json:"arguments"`
	} `json:"contract"`
}

// call sends a request to the API with the integration's key (or auth, when
// not empty) and decodes a 2xx answer into out; another status is an error.
func (w *World) call(method, path, body, auth string, want int, out any) error {
	req, err := http.NewRequest(method, w.api.URL+"/rudiqpay"+path, strings.NewReader(body))
	if err != nil {
		return err
	}
	if auth == "" {
		auth = apiKey
	}
	req.Header.Set("Authorization", "Bearer "+auth)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %d, not %d: %s", method, path, resp.StatusCode, want, bytes.TrimSpace(b))
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(b, out)
}

// Create creates a web3 payment of price USDT to the simulated payee, over
// the API.
func (w *World) Create(externalID, price string) (Payment, error) {
	body := fmt.Sprintf(`{"external_id":%q,"node_id":%q,"network_id":%q,"currency_id":%q,"price":%s,"paid_price":%s,`+
		`"payment_method":"web3","payment_group":"product","payment_address":%q,"expires_at":%q}`,
		externalID, nodeID, networkID, currencyID, price, price, w.Sim.Payee.Hex(),
		w.Clock.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	var p Payment
	return p, w.call("POST", "/api/v1/payments", body, "", http.StatusCreated, &p)
}

// Get returns a payment as the API shows it.
func (w *World) Get(id string) (Payment, error) {
	var p Payment
	return p, w.call("GET", "/api/v1/payments/"+id, "", "", http.StatusOK, &p)
}

// Widget returns the payer's widget of a payment, with its access token.
func (w *World) Widget(p Payment) (Widget, error) {
	var wd Widget
	return wd, w.call("GET", "/api/v1/widget/payments/"+p.ID, "", p.AccessToken, http.StatusOK, &wd)
}

// Pay plays the payer's wallet with the widget: it approves token_address for
// the amount (the second argument) to diamond_address, and calls
// function_name with args on it, encoded from the widget's ABI. It returns the
// deposit's hash; the transactions wait to be mined.
func (w *World) Pay(ctx context.Context, wd Widget, args []string) (string, error) {
	amount, ok := new(big.Int).SetString(wd.Contract.Arguments[1], 10)
	if !ok {
		return "", fmt.Errorf("the widget's amount %q is not an integer", wd.Contract.Arguments[1])
	}
	call := paykit.DepositCall{Contract: wd.DiamondAddress, Function: wd.Contract.FunctionName, Token: wd.TokenAddress, Amount: amount}
	return w.Sim.Pay(ctx, call, args)
}

// Settle performs due work, mines enough blocks for what was sent to be
// confirmed, and performs due work again.
func (w *World) Settle(ctx context.Context) error {
	if err := w.Service.RunDue(ctx); err != nil {
		return err
	}
	w.Sim.Mine(confirmations)
	return w.Service.RunDue(ctx)
}

// Expect returns an error unless the payment's status is want.
func (w *World) Expect(id, want string) (Payment, error) {
	p, err := w.Get(id)
	if err == nil && p.Status != want {
		reason := ""
		if p.FailureReason != nil {
			reason = *p.FailureReason
		}
		err = fmt.Errorf("payment %s is %s, not %s %s", id, p.Status, want, reason)
	}
	return p, err
}

// Opened creates a payment and settles until its deal is on the chain.
func (w *World) Opened(ctx context.Context, externalID, price string) (Payment, Widget, error) {
	p, err := w.Create(externalID, price)
	if err != nil {
		return Payment{}, Widget{}, err
	}
	if err := w.Settle(ctx); err != nil {
		return Payment{}, Widget{}, err
	}
	if p, err = w.Expect(p.ID, "processing"); err != nil {
		return Payment{}, Widget{}, err
	}
	wd, err := w.Widget(p)
	return p, wd, err
}

func (w *World) scenarioPaid(ctx context.Context, out io.Writer) error {
	p, wd, err := w.Opened(ctx, "order-1", "12.5")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "payment %s: deal %d on chain %d, widget arguments %q\n", p.ID, wd.DealID, wd.NetworkID, wd.Contract.Arguments)
	before, err := w.Sim.Balance(ctx, w.Sim.Payee)
	if err != nil {
		return err
	}
	hash, err := w.Pay(ctx, wd, wd.Contract.Arguments)
	if err != nil {
		return err
	}
	w.Sim.Mine(confirmations - 1)
	if err := w.Service.RunDue(ctx); err != nil {
		return err
	}
	if _, err := w.Expect(p.ID, "processing"); err != nil {
		return fmt.Errorf("before its confirmation: %w", err)
	}
	if err := w.Settle(ctx); err != nil {
		return err
	}
	if p, err = w.Expect(p.ID, "completed"); err != nil {
		return err
	}
	if p.TransactionHash == nil || !strings.EqualFold(*p.TransactionHash, hash) {
		return fmt.Errorf("transaction_hash %v, not the deposit's %s", p.TransactionHash, hash)
	}
	after, err := w.Sim.Balance(ctx, w.Sim.Payee)
	if err != nil {
		return err
	}
	a, err := w.Service.FindNodeAccount(ctx, tenantID, nodeID, "USDT")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "completed by %s; the payee got %s base units on chain; the node's ledger account holds %s\n",
		hash, new(big.Int).Sub(after, before), a.Balance())
	if new(big.Int).Sub(after, before).Cmp(big.NewInt(12_500_000)) != 0 || a.Balance().Fixed() != "12.500000" {
		return errors.New("the money did not move as paid")
	}
	return nil
}

func (w *World) scenarioCancelled(ctx context.Context, out io.Writer) error {
	p, _, err := w.Opened(ctx, "order-2", "5")
	if err != nil {
		return err
	}
	if err := w.call("POST", "/api/v1/payments/"+p.ID+"/cancel", "", "", http.StatusAccepted, nil); err != nil {
		return err
	}
	if _, err := w.Expect(p.ID, "cancelling"); err != nil {
		return err
	}
	if err := w.Settle(ctx); err != nil { // cancelDeal sent, mined and confirmed
		return err
	}
	if _, err := w.Expect(p.ID, "cancelled"); err != nil {
		return err
	}
	fmt.Fprintf(out, "payment %s: cancel 202, cancelDeal mined and confirmed: cancelled\n", p.ID)
	return nil
}

func (w *World) scenarioRevertAndReorg(ctx context.Context, out io.Writer) error {
	p, wd, err := w.Opened(ctx, "order-3", "7.25")
	if err != nil {
		return err
	}
	// A deposit of the wrong amount reverts (WrongAmount): no event.
	wrong := []string{wd.Contract.Arguments[0], "7249999"}
	hash, err := w.Pay(ctx, wd, wrong)
	if err != nil {
		return err
	}
	if err := w.Settle(ctx); err != nil {
		return err
	}
	tx, err := w.Sim.Chain.Transaction(ctx, hash)
	if err != nil {
		return err
	}
	if _, err := w.Expect(p.ID, "processing"); err != nil {
		return err
	}
	fmt.Fprintf(out, "a deposit of the wrong amount: %s (%s); the payment stays processing\n", tx.Status, tx.Reason)

	// A deposit in a block the chain drops before it is confirmed is never
	// seen; the payer's deposit on the new branch counts.
	if _, err := w.Pay(ctx, wd, wd.Contract.Arguments); err != nil {
		return err
	}
	w.Sim.Mine(1)
	if err := w.Sim.Reorg(ctx, 1); err != nil {
		return err
	}
	if err := w.Settle(ctx); err != nil {
		return err
	}
	if _, err := w.Expect(p.ID, "processing"); err != nil {
		return fmt.Errorf("after the reorganization: %w", err)
	}
	hash, err = w.Pay(ctx, wd, wd.Contract.Arguments)
	if err != nil {
		return err
	}
	if err := w.Settle(ctx); err != nil {
		return err
	}
	if p, err = w.Expect(p.ID, "completed"); err != nil {
		return err
	}
	fmt.Fprintf(out, "a deposit dropped by a reorganization was never seen; the one on the new branch completed it: %s\n", *p.TransactionHash)
	return nil
}

func (w *World) scenarioRefused(ctx context.Context, out io.Writer) error {
	// Another gateway's deal holds the next deal id (a database sharing the
	// contract): the contract refuses this payment's deal.
	c, err := w.Service.FindChainContract(ctx, networkID)
	if err != nil {
		return err
	}
	_, err = w.Sim.Chain.CreateDeal(ctx, paykit.Deal{ID: c.NextDealID, Token: w.Sim.Token.Hex(), Price: big.NewInt(1),
		Payee: w.Sim.Payee.Hex(), ExpiresAt: w.Clock.Now().Add(time.Hour)})
	if err != nil {
		return err
	}
	w.Sim.Mine(1)
	p, err := w.Create("order-4", "1")
	if err != nil {
		return err
	}
	if err := w.Settle(ctx); err != nil {
		return err
	}
	if p, err = w.Expect(p.ID, "failed"); err != nil {
		return err
	}
	fmt.Fprintf(out, "payment %s: %s\n", p.ID, *p.FailureReason)
	return w.call("POST", "/api/v1/payments/"+p.ID+"/retry-send", "", "", http.StatusBadRequest, nil)
}
