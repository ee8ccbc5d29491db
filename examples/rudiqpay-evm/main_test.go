package main

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
)

// TestRun runs every scenario of the program end to end on the simulated
// chain: create over the API → deal on the chain → the payer approves and
// deposits with exactly the widget's arguments → the adapter reports the
// confirmed event → completed with the deposit's hash and the money in the
// ledger; cancel → cancelDeal mined → cancelled; a reverted deposit and a
// reorganized one move nothing; a deal the contract refuses fails its
// payment. The mock clock starts at the real time, which the simulated
// chain's blocks carry, so that deal expiries mean the same on both sides.
func TestRun(t *testing.T) {
	mock := clock.NewMock()
	mock.Set(time.Now())
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, t.TempDir(), mock), "%s", out.String())
	t.Log(out.String())
	require.Contains(t, out.String(), "ledger and invariants: OK")
}

// TestLogs: a paid payment's logs over the API, newest first, name the chain
// as the actor of what the chain did.
func TestLogs(t *testing.T) {
	ctx := context.Background()
	mock := clock.NewMock()
	mock.Set(time.Now())
	w, err := setUp(ctx, t.TempDir(), mock)
	require.NoError(t, err)
	defer w.Close()
	p, wd, err := w.Opened(ctx, "order-1", "1")
	require.NoError(t, err)
	_, err = w.Pay(ctx, wd, wd.Contract.Arguments)
	require.NoError(t, err)
	require.NoError(t, w.Settle(ctx))
	var logs struct {
		Items []struct {
			EventType string `json:"event_type"`
			ActorType string `json:"actor_type"`
		}
		Total int
	}
	require.NoError(t, w.call("GET", "/api/v1/payments/"+p.ID+"/logs", "", "", 200, &logs))
	require.Equal(t, 4, logs.Total)
	var got []string
	for _, l := range logs.Items {
		got = append(got, l.EventType+"/"+l.ActorType)
	}
	require.Equal(t, []string{"completed/chain", "deal_created/chain", "sent_to_consumer/system", "created/integration"}, got)
	require.NoError(t, w.Service.CheckAllInvariants(ctx))
}

// TestDroppedCreation: a deal's creation that a reorganization drops before
// it is confirmed fails once the node has not known it for DealDropAfter:
// the payment is pending with its failure_reason, and retry-send creates the
// deal again, with the same id and terms.
func TestDroppedCreation(t *testing.T) {
	ctx := context.Background()
	mock := clock.NewMock()
	mock.Set(time.Now())
	w, err := setUp(ctx, t.TempDir(), mock)
	require.NoError(t, err)
	defer w.Close()
	p, err := w.Create("order-1", "2")
	require.NoError(t, err)
	require.NoError(t, w.Service.RunDue(ctx)) // createDeal sent
	w.Sim.Mine(1)
	require.NoError(t, w.Sim.Reorg(ctx, 1)) // and gone
	require.NoError(t, w.Settle(ctx))
	_, err = w.Expect(p.ID, "processing")
	require.NoError(t, err)

	mock.Add(paykit.DealDropAfter + time.Minute)
	require.NoError(t, w.Service.RunDue(ctx))
	p, err = w.Expect(p.ID, "pending")
	require.NoError(t, err)
	require.Contains(t, *p.FailureReason, "dropped")

	var retried Payment
	require.NoError(t, w.call("POST", "/api/v1/payments/"+p.ID+"/retry-send", "", "", 200, &retried))
	require.NoError(t, w.Settle(ctx))
	p, wd, err := func() (Payment, Widget, error) {
		p, err := w.Expect(p.ID, "processing")
		if err != nil {
			return p, Widget{}, err
		}
		wd, err := w.Widget(p)
		return p, wd, err
	}()
	require.NoError(t, err)
	require.Equal(t, uint64(1), wd.DealID, "the same deal id")
	_, err = w.Pay(ctx, wd, wd.Contract.Arguments)
	require.NoError(t, err)
	require.NoError(t, w.Settle(ctx))
	_, err = w.Expect(p.ID, "completed")
	require.NoError(t, err)
	require.NoError(t, w.Service.CheckAllInvariants(ctx))
}
