package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/httpapi"
	"github.com/paykit/paykit/internal/cputime"
	"github.com/paykit/paykit/store"
)

// webhookEndpoints is how many endpoints every event is delivered to.
const webhookEndpoints = 8

// deliveries appends n events to the outbox, each subscribed by
// webhookEndpoints endpoints on a local receiver, and times RunDue fanning
// them out and posting every delivery, signed (Standard Webhooks), with every
// attempt recorded. Its ops/s are deliveries per second.
func deliveries(t *target, name string, n int) result {
	dsn, drop := t.fresh(name)
	defer drop()
	db, err := store.Open(dsn, t.opts...)
	check(err)
	defer db.Close()
	var received atomic.Int64
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		received.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rcv.Close()
	ctx := context.Background()
	svc := paykit.New(db, paykit.WithPrivateDestinations(), paykit.WithDeliveryConcurrency(64))
	httpapi.RegisterSchemes(svc)
	tn, err := svc.CreateTenant(ctx, "", "bench")
	check(err)
	for i := range webhookEndpoints {
		_, err := svc.CreateEndpoint(ctx, tn.ID, paykit.EndpointCreate{URL: fmt.Sprintf("%s/%d", rcv.URL, i),
			Events: []string{paykit.EventTokenCreated}, Scheme: paykit.SchemeStandard})
		check(err)
	}
	data := []byte(`{"id":"0190f0a4-5c1e-7c4e-9d7a-3b1f5e2a9c10","token":"tok_bench","amount":{"amount":"1.00","currency":"USD"},` +
		`"memo":"bench","status":"active","expiresAt":"2030-01-01T00:00:00Z"}`)
	for left := n; left > 0; {
		k := min(left, 500)
		check(db.InTx(ctx, func(tx paykit.Tx) error {
			for range k {
				err := tx.AppendEvent(ctx, &paykit.Event{ID: uuid.Must(uuid.NewV7()).String(), TenantID: tn.ID,
					Type: paykit.EventTokenCreated, SubjectID: "t", Data: data, CreatedAt: time.Now().UTC()})
				if err != nil {
					return err
				}
			}
			return nil
		}))
		left -= k
	}
	received.Store(0)
	start, cpu := time.Now(), cputime.Process()
	err = svc.RunDue(ctx)
	elapsed := time.Since(start)
	r := result{name: fmt.Sprintf("webhook deliveries (%d endpoints)", webhookEndpoints), elapsed: elapsed, cpu: cputime.Process() - cpu}
	if err != nil {
		r.errors++
	}
	want := int64(n * webhookEndpoints)
	if got := received.Load(); got != want {
		r.errors += want - got
	}
	r.count = int(received.Load())
	return r
}
