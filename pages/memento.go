package pages

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/paykit/paykit"
)

// NewMemento returns the Memento request pages: the page of a payment
// request's link (paykit.WithRequestURL), where the payer sees who asks for
// how much, until when, and pays or declines. Paying and declining are the
// Service's PayRequest and DeclineRequest, so the merchant's notify_url
// callback fires as when the payer answers in the app. See the package doc
// for the routes.
func NewMemento(svc *paykit.Service, o Options) http.Handler {
	p := &mementoPages{site: newSite(svc, o)}
	mux := p.newMux()
	mux.HandleFunc("GET /{tenant}/{id}", p.show)
	mux.HandleFunc("POST /{tenant}/{id}/pay", p.pay)
	mux.HandleFunc("POST /{tenant}/{id}/decline", p.decline)
	return secure(mux)
}

type mementoPages struct{ *site }

// requestView is the request page.
type requestView struct {
	Request  *paykit.Request
	Merchant string
	Payer    string
	Balance  *paykit.Money // the payer's available balance in the request's currency
	State    string        // pending, paid, declined, expired, canceled
	Left     time.Duration
	Pay      form
	Decline  form
	Notice   string
	Problem  string // why paying failed (a short balance)
}

// load returns the request of the link.
func (p *mementoPages) load(r *http.Request) (*paykit.Request, error) {
	return p.svc.FindRequestByLink(r.Context(), r.PathValue("tenant"), r.PathValue("id"), r.URL.Query().Get("token"))
}

func requestScope(r *http.Request) string {
	return "request\x00" + r.PathValue("tenant") + "\x00" + r.PathValue("id") + "\x00" + r.URL.Query().Get("token")
}

func requestState(q *paykit.Request) string {
	return stateOf(q.UpdatedAt, string(q.Status), string(q.Reason))
}

func (p *mementoPages) show(w http.ResponseWriter, r *http.Request) {
	q, err := p.load(r)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.page(w, r, http.StatusOK, q, requestView{})
}

func (p *mementoPages) page(w http.ResponseWriter, r *http.Request, status int, q *paykit.Request, v requestView) {
	ctx := r.Context()
	v.Request = q
	if tn, err := p.svc.FindTenantByID(ctx, q.TenantID); err == nil {
		v.Merchant = tn.Name
	}
	if payer, err := p.svc.FindPayerByID(ctx, q.TenantID, q.PayerID); err == nil {
		v.Payer = payer.Username
		if v.Payer == "" {
			v.Payer = payer.Phone
		}
	}
	vw := view{Title: "Payment request from " + v.Merchant}
	switch q.Status {
	case paykit.RequestStatusPending:
		v.State = "pending"
		v.Left = q.ExpiresAt.Sub(p.svc.Clock().Now())
		if a, err := p.svc.FindPayerAccount(ctx, q.TenantID, q.PayerID, q.Amount.Currency); err == nil {
			bal := a.Available()
			v.Balance = &bal
		}
		base := basePath(r) + "/" + url.PathEscape(q.TenantID) + "/" + url.PathEscape(q.ID)
		tok := "?token=" + url.QueryEscape(r.URL.Query().Get("token"))
		state, scope := requestState(q), requestScope(r)
		v.Pay = p.forms.make(base+"/pay"+tok, scope, "pay", state)
		v.Decline = p.forms.make(base+"/decline"+tok, scope, "decline", state)
	case paykit.RequestStatusPaid:
		v.State = "paid"
	default:
		v.State = string(q.Reason) // declined, expired, canceled
	}
	if q.ImageURL != "" {
		// The merchant's image: its origin, and only it, may be loaded.
		// A host that could end the directive (the root checked the URL;
		// this keeps the header well-formed whatever it let through).
		if u, err := url.Parse(q.ImageURL); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" &&
			!strings.ContainsAny(u.Host, " ;,'\"\t\r\n") {
			vw.ImgSrc = u.Scheme + "://" + u.Host
		}
	}
	vw.Data = v
	p.render(w, r, status, "request", vw)
}

// post checks a request form against the request's state, then does act.
func (p *mementoPages) post(w http.ResponseWriter, r *http.Request, action string, act func(q *paykit.Request) error) {
	q, err := p.load(r)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	if err := p.forms.checkState(r, requestScope(r), action, requestState(q)); err == errStale {
		p.page(w, r, http.StatusConflict, q, requestView{Notice: errStale.message})
		return
	} else if err != nil {
		p.fail(w, r, err)
		return
	}
	if err := act(q); err != nil {
		if paykit.ErrorCode(err) == paykit.ELIMIT {
			// The balance is short: the request stays pending, and the
			// page says why.
			p.page(w, r, http.StatusUnprocessableEntity, q, requestView{Problem: paykit.ErrorMessage(err)})
			return
		}
		p.fail(w, r, err)
		return
	}
	seeOther(w, r, "/"+url.PathEscape(q.TenantID)+"/"+url.PathEscape(q.ID)+"?token="+url.QueryEscape(r.URL.Query().Get("token")))
}

func (p *mementoPages) pay(w http.ResponseWriter, r *http.Request) {
	p.post(w, r, "pay", func(q *paykit.Request) error {
		_, err := p.svc.PayRequest(r.Context(), q.TenantID, q.ID)
		return err
	})
}

func (p *mementoPages) decline(w http.ResponseWriter, r *http.Request) {
	p.post(w, r, "decline", func(q *paykit.Request) error {
		_, err := p.svc.DeclineRequest(r.Context(), q.TenantID, q.ID)
		return err
	})
}
