package pages

import (
	"net/http"
	"strings"
	"time"

	"github.com/paykit/paykit"
)

// NewWallet returns the GigPay wallet pages: the page of a token's wallet link
// (paykit.WithWalletURL), where the payee sees the offer and accepts it into
// an account of theirs or rejects it. See the package doc for the routes.
func NewWallet(svc *paykit.Service, o Options) http.Handler {
	p := &walletPages{site: newSite(svc, o)}
	mux := p.newMux()
	mux.HandleFunc("GET /{tenant}/payment/{token}", p.show)
	mux.HandleFunc("POST /{tenant}/payment/{token}/accept", p.accept)
	mux.HandleFunc("POST /{tenant}/payment/{token}/reject", p.reject)
	return secure(mux)
}

type walletPages struct{ *site }

// walletView is the wallet page.
type walletView struct {
	Token   *paykit.Token
	Payer   string
	State   string        // open, processing, paid, closed, rejected, expired
	Left    time.Duration // until the token expires, while open
	Accept  form
	Reject  form
	Account string // the account typed, shown again with its error
	Error   string // what is wrong with it
	Notice  string // a stale form's explanation
}

// scope is the capability a wallet form is bound to: the link.
func walletScope(r *http.Request) string {
	return "wallet\x00" + r.PathValue("tenant") + "\x00" + r.PathValue("token")
}

// load returns the token of the link.
func (p *walletPages) load(r *http.Request) (*paykit.Token, error) {
	return p.svc.FindTokenByToken(r.Context(), r.PathValue("tenant"), r.PathValue("token"))
}

func (p *walletPages) show(w http.ResponseWriter, r *http.Request) {
	t, err := p.load(r)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.page(w, r, http.StatusOK, t, walletView{})
}

// page renders the wallet page of t with status; v carries what a failed
// post shows again.
func (p *walletPages) page(w http.ResponseWriter, r *http.Request, status int, t *paykit.Token, v walletView) {
	ctx := r.Context()
	v.Token = t
	if a, err := p.svc.FindAccountByID(ctx, t.TenantID, t.SourceAccountID); err == nil && a.Name != "" {
		v.Payer = a.Name
	}
	if tn, err := p.svc.FindTenantByID(ctx, t.TenantID); err == nil {
		if v.Payer == "" {
			v.Payer = tn.Name
		} else if tn.Name != v.Payer {
			v.Payer += " (" + tn.Name + ")"
		}
	}
	switch {
	case t.Open():
		v.State = "open"
		v.Left = t.ExpiresAt.Sub(p.svc.Clock().Now())
		state, scope, base := tokenState(t), walletScope(r), "/"+r.PathValue("tenant")+"/payment/"+t.Token
		v.Accept = p.forms.make(basePath(r)+base+"/accept", scope, "accept", state)
		v.Reject = p.forms.make(basePath(r)+base+"/reject", scope, "reject", state)
	case t.Accepted():
		v.State = "processing"
	case t.Status == paykit.TokenStatusSucceeded:
		v.State = "paid"
	default:
		v.State = string(t.Status) // closed, rejected, expired
	}
	p.render(w, r, status, "wallet", view{Title: "Payment of " + formatMoney(t.Amount), Data: v})
}

// tokenState is the state of t for a form.
func tokenState(t *paykit.Token) string { return stateOf(t.UpdatedAt, string(t.Status), t.PaymentID) }

// post checks a wallet form against the token's state, then does act.
func (p *walletPages) post(w http.ResponseWriter, r *http.Request, action string, act func(t *paykit.Token) error) {
	t, err := p.load(r)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	if err := p.forms.checkState(r, walletScope(r), action, tokenState(t)); err == errStale {
		p.page(w, r, http.StatusConflict, t, walletView{Notice: errStale.message})
		return
	} else if err != nil {
		p.fail(w, r, err)
		return
	}
	if err := act(t); err != nil {
		if paykit.ErrorCode(err) == paykit.EINVALID {
			v := walletView{Account: r.PostFormValue("account"), Error: fieldMessages(err)}
			p.page(w, r, http.StatusBadRequest, t, v)
			return
		}
		p.fail(w, r, err)
		return
	}
	seeOther(w, r, "/"+r.PathValue("tenant")+"/payment/"+t.Token)
}

func (p *walletPages) accept(w http.ResponseWriter, r *http.Request) {
	p.post(w, r, "accept", func(t *paykit.Token) error {
		_, err := p.svc.AcceptToken(r.Context(), t.TenantID, t.Token, strings.TrimSpace(r.PostFormValue("account")))
		return err
	})
}

func (p *walletPages) reject(w http.ResponseWriter, r *http.Request) {
	p.post(w, r, "reject", func(t *paykit.Token) error {
		_, err := p.svc.RejectToken(r.Context(), t.TenantID, t.Token)
		return err
	})
}

// fieldMessages joins the messages of an EINVALID error, for a person.
func fieldMessages(err error) string {
	var b strings.Builder
	for _, m := range paykit.ErrorFields(err) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(m)
	}
	if b.Len() == 0 {
		return paykit.ErrorMessage(err)
	}
	return b.String()
}
