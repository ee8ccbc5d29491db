package pages

import (
	"net/http"
	"net/url"

	"github.com/paykit/paykit"
)

// NewGigapay returns the Gigapay app pages: an invoice's app link
// (paykit.WithInvoiceAppURL), where the client sees the invoice and, in the
// sandbox, pays it; and an employee's invitation link
// (paykit.WithEmployeeURL), where the worker claims the invitation and then
// verifies (the sandbox plays Gigapay's identity check). Mount it at the base
// of both links. See the package doc for the routes.
func NewGigapay(svc *paykit.Service, o Options) http.Handler {
	p := &gigapayPages{site: newSite(svc, o)}
	mux := p.newMux()
	mux.HandleFunc("GET /i/{id}/{$}", p.invoice)
	mux.HandleFunc("POST /i/{id}/pay", p.payInvoice)
	mux.HandleFunc("GET /e/{tenant}/{uid}/{$}", p.employee)
	mux.HandleFunc("POST /e/{tenant}/{uid}/claim", p.claim)
	mux.HandleFunc("POST /e/{tenant}/{uid}/verify", p.verify)
	return secure(mux)
}

type gigapayPages struct{ *site }

// Invoices.

// invoiceView is the invoice page.
type invoiceView struct {
	Invoice *paykit.Invoice
	Client  string // the integration's name
	Payouts []*paykit.Payout
	More    int // payouts beyond those listed
	Pay     form
	Notice  string
}

func (p *gigapayPages) loadInvoice(r *http.Request) (*paykit.Invoice, error) {
	return p.svc.FindInvoiceByLink(r.Context(), r.PathValue("id"), r.URL.Query().Get("token"))
}

func invoiceScope(r *http.Request) string {
	return "invoice\x00" + r.PathValue("id") + "\x00" + r.URL.Query().Get("token")
}

func invoiceState(inv *paykit.Invoice) string {
	paid := ""
	if inv.PaidAt != nil {
		paid = "paid"
	}
	return stateOf(inv.UpdatedAt, paid, inv.Price.Fixed())
}

func (p *gigapayPages) invoice(w http.ResponseWriter, r *http.Request) {
	inv, err := p.loadInvoice(r)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.invoicePage(w, r, http.StatusOK, inv, "")
}

// invoicePayouts is how many of its payouts an invoice's page lists.
const invoicePayouts = 50

func (p *gigapayPages) invoicePage(w http.ResponseWriter, r *http.Request, status int, inv *paykit.Invoice, notice string) {
	ctx := r.Context()
	v := invoiceView{Invoice: inv, Notice: notice}
	if integ, err := p.svc.FindIntegrationOfTenant(ctx, inv.TenantID); err == nil {
		v.Client = integ.Name
	}
	payouts, total, err := p.svc.FindPayouts(ctx, inv.TenantID, paykit.PayoutFilter{InvoiceUID: &inv.UID, ListPage: paykit.ListPage{Limit: invoicePayouts}})
	if err != nil {
		p.fail(w, r, err)
		return
	}
	v.Payouts, v.More = payouts, total-len(payouts)
	if inv.Payable() {
		v.Pay = p.forms.make(basePath(r)+"/i/"+url.PathEscape(inv.ID)+"/pay?token="+url.QueryEscape(r.URL.Query().Get("token")),
			invoiceScope(r), "pay", invoiceState(inv))
	}
	p.render(w, r, status, "invoice", view{Title: "Invoice " + inv.ID, Data: v})
}

func (p *gigapayPages) payInvoice(w http.ResponseWriter, r *http.Request) {
	inv, err := p.loadInvoice(r)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	if err := p.forms.checkState(r, invoiceScope(r), "pay", invoiceState(inv)); err == errStale {
		p.invoicePage(w, r, http.StatusConflict, inv, errStale.message)
		return
	} else if err != nil {
		p.fail(w, r, err)
		return
	}
	if _, err := p.svc.PayInvoice(r.Context(), inv.TenantID, inv.ID); err != nil {
		p.fail(w, r, err)
		return
	}
	seeOther(w, r, "/i/"+url.PathEscape(inv.ID)+"/?token="+url.QueryEscape(r.URL.Query().Get("token")))
}

// Employees.

// employeeView is the invitation page.
type employeeView struct {
	Employee *paykit.Employee
	Client   string
	Payouts  []*paykit.Payout
	Claim    *form // while the invitation may be claimed
	Verify   *form // once claimed, until verified
	Notice   string
}

func (p *gigapayPages) loadEmployee(r *http.Request) (*paykit.Employee, error) {
	return p.svc.FindEmployeeByLink(r.Context(), r.PathValue("tenant"), r.PathValue("uid"), r.URL.Query().Get("token"))
}

func employeeScope(r *http.Request) string {
	return "employee\x00" + r.PathValue("tenant") + "\x00" + r.PathValue("uid") + "\x00" + r.URL.Query().Get("token")
}

func employeeState(e *paykit.Employee) string { return stateOf(e.UpdatedAt, string(e.Status)) }

func (p *gigapayPages) employee(w http.ResponseWriter, r *http.Request) {
	e, err := p.loadEmployee(r)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.employeePage(w, r, http.StatusOK, e, "")
}

func (p *gigapayPages) employeePage(w http.ResponseWriter, r *http.Request, status int, e *paykit.Employee, notice string) {
	ctx := r.Context()
	v := employeeView{Employee: e, Notice: notice}
	if integ, err := p.svc.FindIntegrationOfTenant(ctx, e.TenantID); err == nil {
		v.Client = integ.Name
	}
	payouts, _, err := p.svc.FindPayouts(ctx, e.TenantID, paykit.PayoutFilter{EmployeeUID: &e.UID, ListPage: paykit.ListPage{Limit: invoicePayouts}})
	if err != nil {
		p.fail(w, r, err)
		return
	}
	v.Payouts = payouts
	base := basePath(r) + "/e/" + url.PathEscape(e.TenantID) + "/" + url.PathEscape(e.UID)
	tok := "?token=" + url.QueryEscape(r.URL.Query().Get("token"))
	switch e.Status {
	case paykit.EmployeeStatusNotified:
		f := p.forms.make(base+"/claim"+tok, employeeScope(r), "claim", employeeState(e))
		v.Claim = &f
	case paykit.EmployeeStatusClaimed:
		f := p.forms.make(base+"/verify"+tok, employeeScope(r), "verify", employeeState(e))
		v.Verify = &f
	}
	p.render(w, r, status, "employee", view{Title: "Your invitation from " + v.Client, Data: v})
}

// move checks an invitation form against the employee's state, then moves the
// employee with move.
func (p *gigapayPages) move(w http.ResponseWriter, r *http.Request, action string,
	move func(r *http.Request, tenantID, id string) (*paykit.Employee, error)) {
	e, err := p.loadEmployee(r)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	if err := p.forms.checkState(r, employeeScope(r), action, employeeState(e)); err == errStale {
		p.employeePage(w, r, http.StatusConflict, e, errStale.message)
		return
	} else if err != nil {
		p.fail(w, r, err)
		return
	}
	if _, err := move(r, e.TenantID, e.ID); err != nil {
		p.fail(w, r, err)
		return
	}
	seeOther(w, r, "/e/"+url.PathEscape(e.TenantID)+"/"+url.PathEscape(e.UID)+"/?token="+url.QueryEscape(r.URL.Query().Get("token")))
}

func (p *gigapayPages) claim(w http.ResponseWriter, r *http.Request) {
	p.move(w, r, "claim", func(r *http.Request, tenantID, id string) (*paykit.Employee, error) {
		return p.svc.ClaimEmployee(r.Context(), tenantID, id)
	})
}

func (p *gigapayPages) verify(w http.ResponseWriter, r *http.Request) {
	p.move(w, r, "verify", func(r *http.Request, tenantID, id string) (*paykit.Employee, error) {
		return p.svc.VerifyEmployee(r.Context(), tenantID, id)
	})
}
