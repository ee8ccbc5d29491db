package paykit

import (
	"context"
	"fmt"
	"time"
)

// Rail carries payments to the world outside paykit: a payout provider such as
// MassPay, a bank, a card processor or a chain. The Service calls Submit from
// background work, outside any transaction, for every payment that needs the
// rail; a rail reports the final outcome either at once in its RailResult or
// later through CompletePayment, CancelPayment or FailPayment (typically from the
// provider's webhook).
type Rail interface {
	Submit(ctx context.Context, p *Payment) (RailResult, error)
}

// RailResult is what a rail says when it takes a payment. Status is
// PaymentStatusProcessing when the outcome comes later, or a final status.
type RailResult struct {
	Reference string
	Status    PaymentStatus
	Reason    string
}

// SandboxRail is the default rail: it accepts every payment and leaves its
// outcome to sandbox controls (the example server's /sandbox/ routes, or calls
// to CompletePayment, CancelPayment and FailPayment), so that every documented
// status is reachable, deterministically.
type SandboxRail struct{}

// Submit accepts p and reports it processing.
func (SandboxRail) Submit(_ context.Context, p *Payment) (RailResult, error) {
	return RailResult{Reference: "sandbox_" + p.ID, Status: PaymentStatusProcessing}, nil
}

// railLease is how long a worker owns a payment it is submitting; if the worker
// dies, another takes the payment over when the lease ends.
const railLease = time.Minute

// submitPayments hands due payments to the rail. Each is leased first, so that
// several processes sharing a database never submit one twice at once, and the
// rail is called outside any transaction.
func (s *Service) submitPayments(ctx context.Context) (int, error) {
	now := s.now()
	ps, err := inTx(ctx, s.store, func(tx Tx) ([]*Payment, error) {
		return tx.ClaimPaymentsToSubmit(ctx, now, now.Add(railLease), s.batchSize)
	})
	if err != nil {
		return 0, err
	}
	for _, p := range ps {
		res, err := s.rail.Submit(ctx, p)
		if err != nil {
			// The lease runs out and a later RunDue tries again.
			s.log.Warn("paykit: rail submit", "payment", p.ID, "err", err)
			continue
		}
		if err := s.recordSubmission(ctx, p.TenantID, p.ID, res); err != nil {
			return 0, fmt.Errorf("record submission of %s: %w", p.ID, err)
		}
	}
	return len(ps), nil
}

func (s *Service) recordSubmission(ctx context.Context, tenantID, id string, res RailResult) error {
	return s.store.InTx(ctx, func(tx Tx) error {
		now := s.now()
		p, err := tx.FindPaymentByID(ctx, tenantID, id)
		if err != nil {
			return err
		}
		if p.SubmittedAt != nil || p.Status.terminal() {
			return nil // settled by the rail's callback before we got here
		}
		p.SubmittedAt, p.LeaseUntil, p.RailReference = &now, nil, res.Reference
		if p.Status == PaymentStatusPending {
			if err := s.movePayment(ctx, tx, now, p, PaymentStatusProcessing, ""); err != nil {
				return err
			}
		} else if err := tx.UpdatePayment(ctx, p); err != nil {
			return err
		}
		if res.Status.terminal() {
			return s.settlePayment(ctx, tx, now, p, res.Status, res.Reason)
		}
		return nil
	})
}
