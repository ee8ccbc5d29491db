package httpapi

import (
	"net/http"

	"github.com/paykit/paykit"
)

// NewSandbox returns the sandbox controls, which play the part of the world
// outside paykit (the payout rail, a bank sending a deposit, the passing of
// time) with GigPay's auth, shapes and errors. Mount it only where such control
// is wanted: it settles payments at the caller's word.
func NewSandbox(svc *paykit.Service) http.Handler {
	s := &sandbox{svc: svc}
	rt := newRouter(bearerAuth(svc), gigPayErrorWriter(svc))
	rt.handle("POST /payments/{id}/complete", s.completePayment)
	rt.handle("POST /payments/{id}/cancel", s.cancelPayment)
	rt.handle("POST /payments/{id}/fail", s.failPayment)
	rt.handle("POST /deposits", s.receiveDeposit)
	rt.handle("POST /run-due", s.runDue)
	return rt
}

type sandbox struct {
	svc *paykit.Service
}

func (s *sandbox) completePayment(w http.ResponseWriter, r *http.Request, t *paykit.Tenant) error {
	if err := decodeJSON(w, r, &struct{}{}, true); err != nil {
		return err
	}
	p, err := s.svc.CompletePayment(r.Context(), t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, gigPayPaymentOf(p))
	return nil
}

type sandboxReason struct {
	Reason string `json:"reason"`
}

func (s *sandbox) cancelPayment(w http.ResponseWriter, r *http.Request, t *paykit.Tenant) error {
	var in sandboxReason
	if err := decodeJSON(w, r, &in, true); err != nil {
		return err
	}
	p, err := s.svc.CancelPayment(r.Context(), t.ID, r.PathValue("id"), in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, gigPayPaymentOf(p))
	return nil
}

func (s *sandbox) failPayment(w http.ResponseWriter, r *http.Request, t *paykit.Tenant) error {
	var in sandboxReason
	if err := decodeJSON(w, r, &in, true); err != nil {
		return err
	}
	p, err := s.svc.FailPayment(r.Context(), t.ID, r.PathValue("id"), in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, gigPayPaymentOf(p))
	return nil
}

// receiveDeposit records a deposit and completes it at once, as if the bank's
// money had arrived.
func (s *sandbox) receiveDeposit(w http.ResponseWriter, r *http.Request, t *paykit.Tenant) error {
	var in gigPayDepositCreate
	if err := decodeJSON(w, r, &in, false); err != nil {
		return err
	}
	ctx := r.Context()
	p, err := s.svc.CreateDeposit(ctx, t.ID, in.domain())
	if err != nil {
		return err
	}
	// The second write gets a key of its own, derived from the request's, so a
	// replay of this request replays both writes instead of clashing.
	if key := paykit.IdempotencyKeyFrom(ctx); key != "" {
		ctx = paykit.WithIdempotencyKey(ctx, key+"#complete")
	}
	if p, err = s.svc.CompletePayment(ctx, t.ID, p.ID); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, gigPayPaymentOf(p))
	return nil
}

func (s *sandbox) runDue(w http.ResponseWriter, r *http.Request, t *paykit.Tenant) error {
	if err := decodeJSON(w, r, &struct{}{}, true); err != nil {
		return err
	}
	if err := s.svc.RunDue(r.Context()); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
