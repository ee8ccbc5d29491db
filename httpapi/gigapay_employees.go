package httpapi

import (
	"net/http"

	"github.com/paykit/paykit"
)

// Employees, integrations and invoices of the Gigapay dialect (see NewGigapay).

// objectForm reads a body that must be one object.
func (c *gigapayCall) objectForm() (*form, error) {
	raw, err := c.readBody()
	if err != nil {
		return nil, err
	}
	items, _, err := objects(raw, false)
	if err != nil {
		return nil, err
	}
	return c.newForm(items[0], "", &paykit.Validation{}), nil
}

func employeeCreate(f *form) paykit.EmployeeCreate {
	return paykit.EmployeeCreate{ID: f.str("id"), Name: f.str("name"), Email: f.str("email"),
		CellphoneNumber: f.str("cellphone_number"), Country: f.str("country"), Metadata: f.raw("metadata")}
}

// employeeOf is the employee object of the employee routes: with claim_url,
// the invitation's link, when the host serves the page it opens
// (paykit.WithEmployeeURL). Embedded employees and webhook bodies have none.
func (g *gigapay) employeeOf(e *paykit.Employee) gigapayEmployee {
	out := gigapayEmployeeOf(e)
	out.ClaimURL = g.svc.EmployeeLink(e)
	return out
}

func (g *gigapay) listEmployees(c *gigapayCall) (int, any, error) {
	q := &query{q: c.r.URL.Query()}
	f := paykit.EmployeeFilter{Search: q.str("search"), CreatedAt: q.time("created_at"), NotifiedAt: q.time("notified_at"),
		ClaimedAt: q.time("claimed_at"), VerifiedAt: q.time("verified_at")}
	if err := q.v.Err(); err != nil {
		return 0, nil, err
	}
	return paginate(c, func(p paykit.ListPage) ([]*paykit.Employee, int, error) {
		f.ListPage = p
		return g.svc.FindEmployees(c.ctx, c.tenantID, f)
	}, func(e *paykit.Employee) paykit.Cursor { return paykit.Cursor{CreatedAt: e.CreatedAt, UID: e.UID} },
		func(e *paykit.Employee) (any, error) { return g.employeeOf(e), nil })
}

func (g *gigapay) createEmployee(c *gigapayCall) (int, any, error) {
	in, err := bind(c, employeeCreate)
	if err != nil {
		return 0, nil, err
	}
	return created(g.employeeOf)(g.svc.CreateEmployee(c.ctx, c.tenantID, in))
}

func (g *gigapay) getEmployee(c *gigapayCall) (int, any, error) {
	return ok(g.employeeOf)(g.svc.FindEmployeeByID(c.ctx, c.tenantID, c.r.PathValue("id")))
}

func (g *gigapay) updateEmployee(c *gigapayCall) (int, any, error) {
	upd, err := bind(c, func(f *form) paykit.EmployeeUpdate {
		return paykit.EmployeeUpdate{ID: f.strPtr("id"), Name: f.strPtr("name"), Email: f.strPtr("email"),
			CellphoneNumber: f.strPtr("cellphone_number"), Country: f.strPtr("country"), Metadata: f.rawPtr("metadata")}
	})
	if err != nil {
		return 0, nil, err
	}
	return ok(g.employeeOf)(g.svc.UpdateEmployee(c.ctx, c.tenantID, c.r.PathValue("id"), upd))
}

func (g *gigapay) replaceEmployee(c *gigapayCall) (int, any, error) {
	in, err := bind(c, employeeCreate)
	if err != nil {
		return 0, nil, err
	}
	return ok(g.employeeOf)(g.svc.ReplaceEmployee(c.ctx, c.tenantID, c.r.PathValue("id"), in))
}

func (g *gigapay) deleteEmployee(c *gigapayCall) (int, any, error) {
	if err := g.svc.DeleteEmployee(c.ctx, c.tenantID, c.r.PathValue("id")); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

func (g *gigapay) resendEmployee(c *gigapayCall) (int, any, error) {
	if _, err := c.readBody(); err != nil {
		return 0, nil, err
	}
	if err := g.svc.ResendEmployee(c.ctx, c.tenantID, c.r.PathValue("id")); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

// Integrations.

func integrationCreate(f *form) paykit.IntegrationCreate {
	return paykit.IntegrationCreate{ID: f.str("id"), Name: f.str("name"), Logo: f.str("logo"), Metadata: f.raw("metadata"),
		Email: f.str("email"), Recipient: f.str("recipient"), AddressLine1: f.str("address_line_1"),
		AddressLine2: f.str("address_line_2"), ZipCode: f.str("zip_code"), City: f.str("city")}
}

func (g *gigapay) listIntegrations(c *gigapayCall) (int, any, error) {
	f := paykit.IntegrationFilter{Account: &c.account.ID}
	if s := c.r.URL.Query().Get("type"); s != "" {
		switch s {
		case "1", "2", "3":
			f.Type = ptrTo(paykit.IntegrationType(s[0] - '0'))
		default:
			return 0, nil, invalidField("type", "Select a valid choice. "+s+" is not one of the available choices.")
		}
	}
	return paginate(c, func(p paykit.ListPage) ([]*paykit.Integration, int, error) {
		f.ListPage = p
		return g.svc.FindIntegrations(c.ctx, f)
	}, func(in *paykit.Integration) paykit.Cursor { return paykit.Cursor{CreatedAt: in.CreatedAt, UID: in.ID} },
		func(in *paykit.Integration) (any, error) { return gigapayIntegrationOf(in), nil })
}

func (g *gigapay) createIntegration(c *gigapayCall) (int, any, error) {
	in, err := bind(c, integrationCreate)
	if err != nil {
		return 0, nil, err
	}
	return created(gigapayIntegrationOf)(g.svc.CreateIntegration(c.ctx, c.account.ID, in))
}

func (g *gigapay) getIntegration(c *gigapayCall) (int, any, error) {
	return ok(gigapayIntegrationOf)(g.svc.FindIntegrationByID(c.ctx, c.account.ID, c.r.PathValue("id")))
}

func (g *gigapay) updateIntegration(c *gigapayCall) (int, any, error) {
	upd, err := bind(c, func(f *form) paykit.IntegrationUpdate {
		return paykit.IntegrationUpdate{ID: f.strPtr("id"), Name: f.strPtr("name"), Logo: f.strPtr("logo"),
			Email: f.strPtr("email"), Recipient: f.strPtr("recipient"), AddressLine1: f.strPtr("address_line_1"),
			AddressLine2: f.strPtr("address_line_2"), ZipCode: f.strPtr("zip_code"), City: f.strPtr("city"),
			Metadata: f.rawPtr("metadata")}
	})
	if err != nil {
		return 0, nil, err
	}
	return ok(gigapayIntegrationOf)(g.svc.UpdateIntegration(c.ctx, c.account.ID, c.r.PathValue("id"), upd))
}

func (g *gigapay) replaceIntegration(c *gigapayCall) (int, any, error) {
	in, err := bind(c, integrationCreate)
	if err != nil {
		return 0, nil, err
	}
	return ok(gigapayIntegrationOf)(g.svc.ReplaceIntegration(c.ctx, c.account.ID, c.r.PathValue("id"), in))
}

func (g *gigapay) deleteIntegration(c *gigapayCall) (int, any, error) {
	if err := g.svc.DeleteIntegration(c.ctx, c.account.ID, c.r.PathValue("id")); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

// Invoices.

func (g *gigapay) listInvoices(c *gigapayCall) (int, any, error) {
	q := &query{q: c.r.URL.Query()}
	f := paykit.InvoiceFilter{CreatedAt: q.time("created_at"), PaidAt: q.time("paid_at")}
	if err := q.v.Err(); err != nil {
		return 0, nil, err
	}
	return paginate(c, func(p paykit.ListPage) ([]*paykit.Invoice, int, error) {
		f.ListPage = p
		return g.svc.FindInvoices(c.ctx, c.tenantID, f)
	}, func(inv *paykit.Invoice) paykit.Cursor { return paykit.Cursor{CreatedAt: inv.CreatedAt, UID: inv.UID} },
		func(inv *paykit.Invoice) (any, error) { return gigapayInvoiceOf(inv), nil })
}

func (g *gigapay) getInvoice(c *gigapayCall) (int, any, error) {
	return ok(gigapayInvoiceOf)(g.svc.FindInvoiceByID(c.ctx, c.tenantID, c.r.PathValue("id")))
}

func (g *gigapay) updateInvoice(c *gigapayCall) (int, any, error) {
	// Only id and metadata are writable; the other fields are read-only and,
	// as in Django REST Framework, ignored.
	upd, err := bind(c, func(f *form) paykit.InvoiceUpdate {
		return paykit.InvoiceUpdate{ID: f.strPtr("id"), Metadata: f.rawPtr("metadata")}
	})
	if err != nil {
		return 0, nil, err
	}
	return ok(gigapayInvoiceOf)(g.svc.UpdateInvoice(c.ctx, c.tenantID, c.r.PathValue("id"), upd))
}

// closeInvoice closes an open invoice, as the newer Gigapay documents'
// POST /invoices/{id}/close/ does, for clients that batch payouts on one
// invoice: the sandbox control's rule (Service.CloseInvoice). The body is
// ignored.
func (g *gigapay) closeInvoice(c *gigapayCall) (int, any, error) {
	if _, err := c.readBody(); err != nil {
		return 0, nil, err
	}
	return ok(gigapayInvoiceOf)(g.svc.CloseInvoice(c.ctx, c.tenantID, c.r.PathValue("id")))
}

func (g *gigapay) deleteInvoice(c *gigapayCall) (int, any, error) {
	if err := g.svc.DeleteInvoice(c.ctx, c.tenantID, c.r.PathValue("id")); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}
