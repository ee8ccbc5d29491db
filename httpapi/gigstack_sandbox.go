package httpapi

import (
	"net/http"

	"github.com/paykit/paykit"
)

// NewGigstackSandbox returns the sandbox controls of the gigstack dialect,
// which play its processor's part with gigstack's auth (and team parameter),
// shapes and errors; the example server mounts it at /sandbox/gigstack:
//
//	POST /payments/{paymentId}/{status}   {"reason"?}: the processor moves the payment to status (a status of
//	                                      the seed's table, as the lifecycle allows) → {"data":payment,...}
//	POST /teams/{teamId}/sat               {"rfc"|"tax_id","legal_name","tax_system","zip"}: the team's SAT onboarding,
//	                                      its fiscal identity, so it can invoice (teams.sat.completed) → {"data":team,...}
//	POST /run-due                          perform all work due by the clock now (receipts' expiry, webhook
//	                                      deliveries) → 204
func NewGigstackSandbox(svc *paykit.Service) http.Handler {
	svc.RegisterScheme(gigstackScheme)
	g := &gigstack{svc: svc}
	rt := newRouter(bearerAuth(svc), g.writeError)
	g.handle(rt, "POST /payments/{id}/{status}", g.sandboxMove)
	g.handle(rt, "POST /teams/{id}/sat", g.sandboxSAT)
	g.handle(rt, "POST /run-due", func(c *gigstackCall) (int, any, error) {
		if err := g.svc.RunDue(c.ctx); err != nil {
			return 0, nil, err
		}
		return http.StatusNoContent, nil, nil
	})
	return rt
}

func (g *gigstack) sandboxMove(c *gigstackCall) (int, any, error) {
	var in sandboxReason
	if err := decodeJSON(c.w, c.r, &in, true); err != nil {
		return 0, nil, err
	}
	p, err := g.charge(c, c.r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	p, err = g.svc.MoveCharge(c.ctx, c.tenant(), p.ID, paykit.PaymentStatus(c.r.PathValue("status")), in.Reason)
	if err != nil {
		return 0, nil, err
	}
	return gsOK(gigstackPaymentOf(p, g.linkBase(c.r)), "Payment updated")
}

// gigstackSAT is a team's SAT onboarding: its fiscal identity.
type gigstackSAT struct {
	RFC       string `json:"rfc"`
	TaxID     string `json:"tax_id"`
	LegalName string `json:"legal_name"`
	TaxSystem string `json:"tax_system"`
	Zip       string `json:"zip"`
}

// sandboxSAT plays the team's SAT onboarding in gigstack's app: the team
// (the key's, or one a master team acts for) gets its fiscal identity and can
// invoice; teams.sat.completed is fired.
func (g *gigstack) sandboxSAT(c *gigstackCall) (int, any, error) {
	var in gigstackSAT
	if err := decodeJSON(c.w, c.r, &in, false); err != nil {
		return 0, nil, err
	}
	team, err := g.svc.ActingTeam(c.ctx, c.auth.ID, c.r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	t, err := g.svc.ConfigureFiscalIdentity(c.ctx, team.TenantID, paykit.FiscalIdentity{RFC: orString(in.RFC, in.TaxID),
		LegalName: in.LegalName, TaxSystem: in.TaxSystem, Zip: in.Zip})
	if err != nil {
		return 0, nil, err
	}
	return gsOK(gigstackTeamOf(t), "Team updated")
}
