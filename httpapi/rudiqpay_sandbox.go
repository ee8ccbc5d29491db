package httpapi

import (
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/paykit/paykit"
)

// RudiqPaySandboxChain is a chain the sandbox controls can drive: what
// chain/sandbox's Chain does beside being a paykit.Chain.
type RudiqPaySandboxChain interface {
	// Deposit sends deposit(args...) from payer, as a wallet would, and
	// reports the transaction.
	Deposit(payer string, args ...string) (paykit.ChainTx, error)
	// Mine mines n blocks.
	Mine(n int)
	// Head returns the number and time of the head block.
	Head() (uint64, time.Time)
}

// SandboxPayer is the address the sandbox's payer deposits from unless told
// otherwise.
const SandboxPayer = "0x000000000000000000000000000000000000bEEF"

// NewRudiqPaySandbox returns the sandbox controls of the RudiqPay dialect,
// which play the payer's wallet and the miners on the sandbox chains, keyed
// by network ID, with RudiqPay's auth, shapes and errors. Mount it only
// where such control is wanted.
//
//	POST /payments/{id}/deposit  {"payer"?,"arguments"?}: the payer approves and deposits into the payment's deal,
//	                             with the widget's contract.arguments unless arguments are given
//	                             → 200 {"transaction_hash","status","reason","block"}
//	POST /mine                   {"blocks"? (1),"network_id"? (the only chain's)} → 200 {"network_id","block"}
//	POST /run-due                perform all work due by the clock now (deals, chain events, expiries) → 204
//
// A deposit the contract refuses (the wrong amount, after the expiry, twice)
// is mined and reported failed, with the contract's reason: it moves nothing.
func NewRudiqPaySandbox(svc *paykit.Service, chains map[string]RudiqPaySandboxChain, opts ...RudiqPayOption) http.Handler {
	s := &rudiqPaySandbox{rudiqPay: newRudiqPay(svc, opts), chains: chains}
	rt := s.router()
	s.handle(rt, "POST /payments/{id}/deposit", s.deposit)
	s.handle(rt, "POST /mine", s.mine)
	s.handle(rt, "POST /run-due", s.runDue)
	return rt
}

type rudiqPaySandbox struct {
	*rudiqPay
	chains map[string]RudiqPaySandboxChain
}

func (s *rudiqPaySandbox) deposit(w http.ResponseWriter, r *http.Request, a paykit.NodeAccess) (int, any, error) {
	var in struct {
		Payer     string   `json:"payer"`
		Arguments []string `json:"arguments"`
	}
	if err := decodeJSON(w, r, &in, true); err != nil {
		return 0, nil, err
	}
	p, err := s.svc.FindWeb3PaymentByID(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	ch, ok := s.chains[p.NetworkID]
	if !ok {
		return 0, nil, paykit.Errorf(paykit.ECONFLICT, "Payment %s is not on a sandbox chain.", p.ID)
	}
	args := in.Arguments
	if args == nil {
		wd, err := s.svc.AuthenticateWidget(r.Context(), p.ID, p.AccessToken)
		if err != nil {
			return 0, nil, err
		}
		if wd.Call == nil {
			return 0, nil, paykit.Errorf(paykit.ECONFLICT, "Payment %s is not a web3 payment.", p.ID)
		}
		args = wd.Call.Values()
	}
	payer := in.Payer
	if payer == "" {
		payer = SandboxPayer
	}
	tx, err := ch.Deposit(payer, args...)
	if err != nil {
		return 0, nil, invalidField("arguments", err.Error())
	}
	return http.StatusOK, struct {
		TransactionHash string  `json:"transaction_hash"`
		Status          string  `json:"status"`
		Reason          *string `json:"reason"`
		Block           uint64  `json:"block"`
	}{tx.Hash, string(tx.Status), nullable(tx.Reason), tx.Block}, nil
}

func (s *rudiqPaySandbox) mine(w http.ResponseWriter, r *http.Request, a paykit.NodeAccess) (int, any, error) {
	var in struct {
		Blocks    *int   `json:"blocks"`
		NetworkID string `json:"network_id"`
	}
	if err := decodeJSON(w, r, &in, true); err != nil {
		return 0, nil, err
	}
	n := 1
	if in.Blocks != nil {
		if n = *in.Blocks; n < 1 || n > 1000 {
			return 0, nil, invalidField("blocks", "Must be an integer from 1 to 1000.")
		}
	}
	id := in.NetworkID
	if id == "" && len(s.chains) == 1 {
		id = slices.Collect(maps.Keys(s.chains))[0]
	}
	ch, ok := s.chains[id]
	if !ok {
		return 0, nil, invalidField("network_id", "No sandbox chain has this network.")
	}
	ch.Mine(n)
	head, _ := ch.Head()
	return http.StatusOK, struct {
		NetworkID string `json:"network_id"`
		Block     uint64 `json:"block"`
	}{id, head}, nil
}

func (s *rudiqPaySandbox) runDue(w http.ResponseWriter, r *http.Request, a paykit.NodeAccess) (int, any, error) {
	if err := s.svc.RunDue(r.Context()); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}
