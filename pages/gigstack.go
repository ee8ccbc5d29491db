package pages

import (
	"net/http"
	"net/url"

	"github.com/paykit/paykit"
)

// NewGigstack returns the gigstack payment link pages: the hosted page of a
// payment's shortURL (<gigstack API base>/pay/<token>), which shows the
// amount, the items and the status and, while the charge's processor is the
// sandbox, pays it as the processor would. A host with a real processor serves
// its own checkout at the link (the client_secret is there for it). Mount it
// at the gigstack API's base, for its /pay/ paths. See the package doc for the
// routes.
func NewGigstack(svc *paykit.Service, o Options) http.Handler {
	p := &gigstackPages{site: newSite(svc, o)}
	p.assets = "/pay/assets" // a host routes <base>/pay/ here, and the rest to the API
	mux := p.newMux()
	mux.HandleFunc("GET /pay/{token}", p.show)
	mux.HandleFunc("POST /pay/{token}", p.pay)
	return secure(mux)
}

type gigstackPages struct{ *site }

// chargeView is the payment link page.
type chargeView struct {
	Payment *paykit.Payment
	Team    string
	Client  string
	Payable bool
	Pay     form
	Notice  string
}

func chargeScope(r *http.Request) string { return "charge\x00" + r.PathValue("token") }

func chargeState(p *paykit.Payment) string { return stateOf(p.UpdatedAt, string(p.Status)) }

func (p *gigstackPages) show(w http.ResponseWriter, r *http.Request) {
	c, err := p.svc.FindChargeByLinkToken(r.Context(), r.PathValue("token"))
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.page(w, r, http.StatusOK, c, "")
}

func (p *gigstackPages) page(w http.ResponseWriter, r *http.Request, status int, c *paykit.Payment, notice string) {
	v := chargeView{Payment: c, Team: c.TenantID, Payable: c.PayableByLink(), Notice: notice}
	if tn, err := p.svc.FindTenantByID(r.Context(), c.TenantID); err == nil {
		v.Team = tn.Name
	}
	if c.Charge.Client != nil {
		v.Client = c.Charge.Client.Name
	}
	if v.Payable {
		v.Pay = p.forms.make(basePath(r)+"/pay/"+url.PathEscape(c.Charge.LinkToken), chargeScope(r), "pay", chargeState(c))
	}
	p.render(w, r, status, "charge", view{Title: "Pago a " + v.Team, Lang: "es", Data: v})
}

// pay is the page's pay button: the sandbox processor reports the payment
// succeeded, and the browser is sent back to the page.
func (p *gigstackPages) pay(w http.ResponseWriter, r *http.Request) {
	c, err := p.svc.FindChargeByLinkToken(r.Context(), r.PathValue("token"))
	if err != nil {
		p.fail(w, r, err)
		return
	}
	if err := p.forms.checkState(r, chargeScope(r), "pay", chargeState(c)); err == errStale {
		p.page(w, r, http.StatusConflict, c, errStale.message)
		return
	} else if err != nil {
		p.fail(w, r, err)
		return
	}
	if _, err := p.svc.PayChargeByLink(r.Context(), r.PathValue("token")); err != nil {
		p.fail(w, r, err)
		return
	}
	seeOther(w, r, "/pay/"+url.PathEscape(c.Charge.LinkToken))
}
