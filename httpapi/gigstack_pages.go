package httpapi

import (
	"html/template"
	"net/http"

	"github.com/paykit/paykit"
)

// The hosted payment link of a gigstack payment (its shortURL): a page that
// shows the amount and the items, and, while the charge's processor is the
// sandbox, a "pay" button that completes the payment through the ledger as
// the processor would. A host with a real processor serves its own checkout
// page at the link (the client_secret is there for it).

var gigstackPayPage = template.Must(template.New("pay").Parse(`<!doctype html>
<html lang="es"><head><meta charset="utf-8"><title>Pago {{.ID}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem}
table{width:100%;border-collapse:collapse}td,th{padding:.3rem;border-bottom:1px solid #ddd;text-align:left}
.amount{font-size:2rem}.status{color:#555}button{font-size:1.1rem;padding:.5rem 1.5rem}</style></head>
<body><h1>Pago a {{.Team}}</h1>
<p class="amount">{{.Amount}} {{.Currency}}</p>
<p class="status">Estado: <strong>{{.Status}}</strong>{{if .Client}} · Cliente: {{.Client}}{{end}}</p>
<table><tr><th>Concepto</th><th>Cantidad</th><th>Precio</th><th>Total</th></tr>
{{range .Items}}<tr><td>{{.Name}}</td><td>{{.Quantity}}</td><td>{{.UnitPrice}}</td><td>{{.Total}}</td></tr>
{{end}}</table>
{{if .Payable}}<form method="post"><p><button type="submit">Pagar (sandbox)</button></p></form>
{{else if eq .Status "succeeded"}}<p>Pagado. ¡Gracias!</p>{{end}}
</body></html>
`))

type payPageItem struct{ Name, Quantity, UnitPrice, Total string }

// payPage serves the hosted payment page of the link token.
func (g *gigstack) payPage(w http.ResponseWriter, r *http.Request) {
	p, err := g.svc.FindChargeByLinkToken(r.Context(), r.PathValue("token"))
	if err != nil {
		logError(r, err)
		g.writeError(w, r, err)
		return
	}
	ch := p.Charge
	data := struct {
		ID, Team, Amount, Currency, Client string
		Status                             paykit.PaymentStatus
		Items                              []payPageItem
		Payable                            bool
	}{ID: wireID(prefixPayment, p.ID), Team: p.TenantID, Amount: p.Amount.Fixed(), Currency: string(p.Amount.Currency),
		Status: p.Status, Payable: payable(p)}
	if ch.Client != nil {
		data.Client = ch.Client.Name
	}
	for _, it := range ch.Items {
		data.Items = append(data.Items, payPageItem{it.Name, it.Quantity.String(), it.UnitPrice.Fixed(), it.Total.Fixed()})
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := gigstackPayPage.Execute(w, data); err != nil {
		logError(r, err)
	}
}

// payable reports whether the page offers the sandbox's pay button.
func payable(p *paykit.Payment) bool {
	return p.Charge.Processor == (paykit.SandboxProcessor{}).Name() && p.Status != paykit.PaymentStatusSucceeded &&
		p.Status != paykit.PaymentStatusCanceled
}

// payLink is the page's pay button: the sandbox processor reports the payment
// succeeded, and the browser is sent back to the page.
func (g *gigstack) payLink(w http.ResponseWriter, r *http.Request) {
	p, err := g.svc.FindChargeByLinkToken(r.Context(), r.PathValue("token"))
	if err == nil && !payable(p) {
		err = paykit.Errorf(paykit.ECONFLICT, "This payment cannot be paid here.")
	}
	if err == nil {
		_, err = g.svc.MoveCharge(r.Context(), p.TenantID, p.ID, paykit.PaymentStatusSucceeded, "")
	}
	if err != nil {
		logError(r, err)
		g.writeError(w, r, err)
		return
	}
	http.Redirect(w, r, payLink(mountBase(r), p), http.StatusSeeOther)
}

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
	return gsOK(gigstackPaymentOf(p, mountBase(c.r)), "Payment updated")
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
