package pages

import (
	"net/http"
	"time"

	"github.com/paykit/paykit"
)

// NewRudiqPay returns the RudiqPay widget page: the page of a web3 payment's
// widget link (paykit.WithWidgetURL), opened with its access token, which
// shows the payer where to pay what on which network, and how the payment
// stands; the payer's wallet pays on the chain (the sandbox plays it), and a
// reload shows the outcome. It changes nothing, so it has no form. See the
// package doc for the routes.
func NewRudiqPay(svc *paykit.Service, o Options) http.Handler {
	p := &rudiqPayPages{site: newSite(svc, o)}
	mux := p.newMux()
	mux.HandleFunc("GET /{id}", p.show)
	return secure(mux)
}

type rudiqPayPages struct{ *site }

// widgetView is the widget page.
type widgetView struct {
	*paykit.Web3Widget
	Left  time.Duration
	Open  bool   // the payer may still pay
	Class string // the status's style
}

func (p *rudiqPayPages) show(w http.ResponseWriter, r *http.Request) {
	wd, err := p.svc.AuthenticateWidget(r.Context(), r.PathValue("id"), r.URL.Query().Get("token"))
	if err != nil {
		if paykit.ErrorCode(err) == paykit.EUNAUTHORIZED {
			// A wrong or expired token: the link opens nothing, as for a
			// payment that does not exist.
			err = paykit.Errorf(paykit.ENOTFOUND, "%s", paykit.ErrorMessage(err))
		}
		p.fail(w, r, err)
		return
	}
	v := widgetView{Web3Widget: wd, Left: wd.Payment.ExpiresAt.Sub(p.svc.Clock().Now())}
	switch wd.Payment.Status {
	case paykit.Web3PaymentStatusPending, paykit.Web3PaymentStatusProcessing:
		v.Open, v.Class = true, "warn"
	case paykit.Web3PaymentStatusCompleted:
		v.Class = "ok"
	default:
		v.Class = "bad"
	}
	p.render(w, r, http.StatusOK, "widget", view{Title: "Pay " + formatMoney(wd.Payment.PaidPrice), Data: v})
}
