package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/paykit/paykit"
)

// Webhooks of the Gigapay dialect (see NewGigapay): the integration's webhook
// endpoints of the Gigapay scheme, subscribed to events of gigapayEvents. The
// wire names the events as Gigapay documents them; the Service checks them
// against the catalog and stores the event types they stand for.

// webhookErr reports a taken id as Django REST Framework's unique validator
// does: 400 {"id":["webhook with this id already exists."]}. Field names are
// renamed with the rest of the dialect's errors (gigapay_names.go).
func webhookErr(err error) error {
	if paykit.ErrorCode(err) == paykit.ECONFLICT && paykit.ErrorFields(err)["id"] != "" {
		var v paykit.Validation
		v.Add("id", "webhook with this id already exists.")
		return v.Err()
	}
	return err
}

// webhook returns the integration's Gigapay webhook id; one of another scheme
// is not found.
func (g *gigapay) webhook(c *gigapayCall, id string) (*paykit.Endpoint, error) {
	e, err := g.svc.FindEndpointByID(c.ctx, c.tenantID, id)
	if err != nil {
		return nil, err
	}
	if e.Scheme != SchemeGigapay {
		return nil, paykit.Errorf(paykit.ENOTFOUND, "Webhook not found.")
	}
	return e, nil
}

// events reads the required, non-empty events list.
func webhookEvents(f *form, required bool) *[]string {
	events := f.strings("events")
	switch {
	case events == nil && required:
		f.bad("events", "This field is required.")
	case events != nil && len(*events) == 0:
		f.bad("events", "This list may not be empty.")
	}
	return events
}

// listWebhooks lists the integration's Gigapay webhooks, newest first, like
// every list of the dialect.
func (g *gigapay) listWebhooks(c *gigapayCall) (int, any, error) {
	scheme := SchemeGigapay
	f := paykit.EndpointFilter{Scheme: &scheme}
	return paginate(c, func(p paykit.ListPage) ([]*paykit.Endpoint, int, error) {
		return g.svc.FindEndpointPage(c.ctx, c.tenantID, f, p)
	}, func(e *paykit.Endpoint) paykit.Cursor {
		return paykit.Cursor{CreatedAt: e.CreatedAt, UID: e.ID}
	}, func(e *paykit.Endpoint) (any, error) { return gigapayWebhookOf(e), nil })
}

func (g *gigapay) createWebhook(c *gigapayCall) (int, any, error) {
	f, err := c.objectForm()
	if err != nil {
		return 0, nil, err
	}
	in := paykit.EndpointCreate{ID: f.str("id"), URL: f.str("url"), Scheme: SchemeGigapay,
		Secret: f.str("secret_key"), Metadata: f.raw("metadata"), Catalog: gigapayEventTypes}
	if events := webhookEvents(f, true); events != nil {
		in.Events = *events
	}
	if len(in.Metadata) == 0 || string(in.Metadata) == "null" {
		in.Metadata = json.RawMessage(`{}`)
	}
	if err := f.v.Err(); err != nil {
		return 0, nil, err
	}
	e, err := g.svc.CreateEndpoint(c.ctx, c.tenantID, in)
	if err != nil {
		return 0, nil, webhookErr(err)
	}
	return http.StatusCreated, gigapayWebhookOf(e), nil
}

func (g *gigapay) getWebhook(c *gigapayCall) (int, any, error) {
	e, err := g.webhook(c, c.r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, gigapayWebhookOf(e), nil
}

// updateWebhook changes any field, the id and the secret_key included.
func (g *gigapay) updateWebhook(c *gigapayCall) (int, any, error) {
	return g.writeWebhook(c, false)
}

// replaceWebhook replaces every field: url and events are required, and an
// omitted secret_key is drawn anew.
func (g *gigapay) replaceWebhook(c *gigapayCall) (int, any, error) {
	return g.writeWebhook(c, true)
}

func (g *gigapay) writeWebhook(c *gigapayCall, replace bool) (int, any, error) {
	id := c.r.PathValue("id")
	if _, err := g.webhook(c, id); err != nil {
		return 0, nil, err
	}
	f, err := c.objectForm()
	if err != nil {
		return 0, nil, err
	}
	upd := paykit.EndpointUpdate{ID: f.strPtr("id"), URL: f.strPtr("url"), Secret: f.strPtr("secret_key"),
		Events: webhookEvents(f, replace), Catalog: gigapayEventTypes, Metadata: f.rawPtr("metadata")}
	if replace {
		if upd.URL == nil {
			f.bad("url", "This field is required.")
		}
		if upd.Secret == nil {
			upd.Secret = ptrTo("") // drawn anew, as Gigapay's PUT does
		}
		if upd.Metadata == nil {
			upd.Metadata = ptrTo(json.RawMessage(`{}`))
		}
	}
	if upd.Metadata != nil && (len(*upd.Metadata) == 0 || string(*upd.Metadata) == "null") {
		upd.Metadata = ptrTo(json.RawMessage(`{}`))
	}
	if upd.ID != nil && *upd.ID == "" {
		upd.ID = nil
	}
	if err := f.v.Err(); err != nil {
		return 0, nil, err
	}
	e, err := g.svc.UpdateEndpoint(c.ctx, c.tenantID, id, upd)
	if err != nil {
		return 0, nil, webhookErr(err)
	}
	return http.StatusOK, gigapayWebhookOf(e), nil
}

func (g *gigapay) deleteWebhook(c *gigapayCall) (int, any, error) {
	id := c.r.PathValue("id")
	if _, err := g.webhook(c, id); err != nil {
		return 0, nil, err
	}
	if err := g.svc.DeleteEndpoint(c.ctx, c.tenantID, id); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}
